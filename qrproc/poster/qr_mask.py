"""Choosing the data mask of many QR symbols at once.

A QR writer tries the eight data masks on every symbol and keeps the one with the lowest penalty
(ISO/IEC 18004 §7.8.3). zxing-cpp's writer (zint inside) spends three quarters of its time on
that scoring: 1.06 ms for a version 7 symbol, against 0.22 ms when it is given the mask. So the
writer is asked once per symbol with mask 0, and the choice is made here, for a batch of symbols
in a few dozen numpy operations on bit-packed rows and columns:

* the eight candidates of a symbol are its mask-0 matrix XOR a difference that depends only on
  the version and the error-correction level (the other mask over the data modules, the other
  format bits). `mask_deltas` takes it from the writer itself: a one-character payload written at
  that version with each mask, twice over with two payloads, which must agree;
* `penalties` scores candidates as zint's ``qr_evaluate`` does: N1, 3 + (run − 5) for each run
  of five or more modules of one colour in a row or column; N2, 3 for each 2 × 2 block of one
  colour; N3, 40 for each dark-light-dark-dark-dark-light-dark run in a row or column with four
  light modules before it or after it (beyond the symbol counts as light: the quiet zone is);
  N4, 10 for each full 5 % the share of dark modules is away from half;
* `best` keeps the lowest score, the lower mask on a tie.

The result is the writer's own automatic symbol, bit for bit (tests/test_qr_mask.py compares
them on a thousand payloads at every level). Rows are packed into 64-bit words, so this covers
symbols up to 64 modules across (version 11); the caller leaves larger ones to the writer.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

#: The widest symbol whose rows fit one 64-bit word (version 11 is 61 modules).
MAX_SIZE = 64
MASKS = 8

_U = {s: np.uint64(s) for s in range(12)}
_ONE = np.uint64(1)

#: (payload, ec, version, mask) -> the writer's module matrix (True = dark).
Writer = Callable[[str, str, int, int], np.ndarray]


def pack(matrix: np.ndarray) -> np.ndarray:
    """The rows of a boolean (..., n, n) array as 64-bit words: column j in bit j (n ≤ 64)."""
    packed = np.packbits(matrix, axis=-1, bitorder="little")
    words = np.zeros(matrix.shape[:-1] + (8,), np.uint8)
    words[..., :packed.shape[-1]] = packed
    return words.view("<u8")[..., 0].astype(np.uint64)


def _lines(x: np.ndarray, n: int) -> np.ndarray:
    """N1 + N3 of lines (rows or columns) packed in `x` (..., n), summed over the last axis."""
    u = _U
    same = ~(x ^ (x >> _ONE)) & np.uint64((1 << (n - 1)) - 1)  # bit i: x[i] == x[i + 1]
    five = same & (same >> u[1]) & (same >> u[2]) & (same >> u[3])  # x[i .. i + 4] one colour
    # a run of L ≥ 5 holds L − 4 windows of five and one start: 3 + (L − 5) = windows + 2 starts
    n1 = np.bitwise_count(five).astype(np.int64) + 2 * np.bitwise_count(five & ~(five << _ONE))
    finder = (x & ~(x >> u[1]) & (x >> u[2]) & (x >> u[3]) & (x >> u[4]) & ~(x >> u[5])
              & (x >> u[6]))  # bit i: 1011101 starts at i
    light_before = ~((x << u[1]) | (x << u[2]) | (x << u[3]) | (x << u[4]))
    light_after = ~((x >> u[7]) | (x >> u[8]) | (x >> u[9]) | (x >> u[10]))
    n3 = np.bitwise_count(finder & (light_before | light_after)).astype(np.int64)
    return (n1 + 40 * n3).sum(axis=-1)


def penalties(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """The penalty of each candidate, given as packed rows and packed columns (..., n)."""
    full = np.uint64((1 << n) - 1)
    above, below = rows[..., :-1], rows[..., 1:]
    same_v = ~(above ^ below) & full
    same_h = ~(above ^ (above >> _ONE)) & (full >> _ONE)
    n2 = 3 * np.bitwise_count(same_v & (same_v >> _ONE) & same_h).astype(np.int64).sum(axis=-1)
    dark = np.bitwise_count(rows).astype(np.int64).sum(axis=-1)
    share = 100.0 * dark / (n * n)  # as zint computes it, in doubles
    n4 = 10 * (np.abs(share - 50.0) / 5.0).astype(np.int64)
    return _lines(rows, n) + _lines(cols, n) + n2 + n4


def mask_deltas(version: int, ec: str, write: Writer) -> np.ndarray | None:
    """(8, n, n): what turns a mask-0 symbol of this version and level into its mask-k one; None
    when two payloads disagree (then the masks are not a plain XOR, and the writer must choose)."""
    size = 17 + 4 * version
    found = []
    for payload in ("0", "A"):
        matrices = [write(payload, ec, version, k) for k in range(MASKS)]
        if any(m.shape != (size, size) for m in matrices):
            return None
        found.append(np.stack([m ^ matrices[0] for m in matrices]))
    if not np.array_equal(found[0], found[1]):
        return None
    return found[0]


def best(plain: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For mask-0 matrices `plain` (m, n, n) of one size: (the chosen matrices (m, n, n), their
    masks (m,))."""
    n = plain.shape[-1]
    candidates_rows = pack(plain)[:, None, :] ^ pack(deltas)[None, :, :]
    candidates_cols = (pack(plain.transpose(0, 2, 1))[:, None, :]
                       ^ pack(deltas.transpose(0, 2, 1))[None, :, :])
    masks = np.argmin(penalties(candidates_rows, candidates_cols, n), axis=1)  # first on a tie
    return plain ^ deltas[masks], masks
