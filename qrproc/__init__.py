"""qrproc: keep a commune's QR notice board of administrative procedures in step with the catalogue."""

__version__ = "0.1.0"
