"""Faults the tests inject at the boundary with the QR encoder (zxing-cpp), to show that
verification catches a card whose code is not the one it should be. Production code has no
switch for this: the tests pass the encoder, or monkeypatch `qrproc.poster.payload.default_encoder`
for a run through the command line."""

from __future__ import annotations

from typing import Iterable

from qrproc.poster.payload import Encoder, QrSymbol, encode


def wrong_payload_encoder(codes: Iterable[str]) -> Encoder:
    """An encoder that prints a *different* (still allow-listed) link for `codes`: the same
    length, so the symbol still fits its area and only the link differs."""
    wrong = frozenset(codes)

    def encoder(code: str, payload: str, ec: str) -> QrSymbol:
        if code in wrong:
            last = "1" if payload[-1] != "1" else "2"
            return encode(payload[:-1] + last, ec)
        return encode(payload, ec)

    return encoder
