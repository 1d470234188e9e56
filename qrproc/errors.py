"""The one error vocabulary of qrproc. The CLI turns these into one-line messages (exit 1), in the
user's language (`qrproc.i18n`: each message is translated where it is raised)."""

from qrproc.i18n import N_, _, place

#: What Vietnamese offices call each legacy encoding (TCVN3 is the "ABC" of its fonts).
ENCODING_NAMES = {"TCVN3": N_("TCVN3"), "VNI": "VNI", "VISCII": "VISCII",
                  "Windows-1258": "Windows-1258"}


def encoding_name(encoding: str) -> str:
    """A legacy encoding as the reader knows it: 'TCVN3 (ABC)' in Vietnamese."""
    name = ENCODING_NAMES.get(encoding)
    return _(name) if name else encoding


class QrprocError(Exception):
    """Base class of every error qrproc raises on purpose."""


class SourceError(QrprocError):
    """A catalogue source (file, portal) could not be read."""


class ParseError(SourceError):
    """A source was read but its content is not what we expected."""


class LegacyEncodingError(ParseError):
    """Text is in a legacy 8-bit Vietnamese encoding (TCVN3, VNI, VISCII)."""

    def __init__(self, encoding: str, where: str, sample: str):
        self.encoding = encoding
        self.where = where
        self.sample = sample
        super().__init__(
            _("{where}: text is in the legacy {encoding} encoding ({sample!r}); "
              "convert the file to Unicode (UTF-8) and import it again").format(
                where=place(where), encoding=encoding_name(encoding), sample=sample)
        )


class ImportRefused(QrprocError):
    """An import was checked and refused; the registry is left as it was."""


class RegistryError(QrprocError):
    """The registry file cannot be used (wrong version, not initialised, unknown code)."""


class PayloadError(QrprocError):
    """A QR payload is not allowed (scheme or host not on the allow-list)."""


class VerificationError(QrprocError):
    """A printed PDF failed verification: some code is missing, unreadable or wrong."""


class AuditError(QrprocError):
    """A board audit cannot be done or applied (no readable photo, no code found with --apply)."""
