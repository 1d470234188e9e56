"""The QR masks chosen in batches (qrproc.poster.qr_mask): the same symbols as zxing-cpp's own
automatic choice, bit for bit, and a penalty score that follows the rules module by module."""

from __future__ import annotations

import random
import uuid

import numpy as np
import pytest

from qrproc.poster import payload as pl
from qrproc.poster import qr_mask
from qrproc.poster.payload import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_CODE


def writer_choice(payload: str, ec: str) -> np.ndarray:
    """zxing-cpp's symbol with the mask it chooses itself."""
    return pl._write(payload, ec)


def payloads(n: int, seed: int, ec: str = "Q") -> list[str]:
    """Links shaped like the ones printed (a procedure's page, a search by code) and text of
    every length up to what version 13 holds at `ec`: every version the batch path covers and
    two beyond."""
    rnd = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    # text that just fills each version 1..13 (lower-case letters: byte mode, nothing shorter)
    out = ["".join(rnd.choice(letters) for _ in range(cap)) for cap in pl._BYTE_CAPACITY[ec][:13]]
    for i in range(n - len(out)):
        kind = i % 3
        if kind == 0:
            out.append(DEFAULT_TEMPLATE.format(id=uuid.UUID(int=rnd.getrandbits(128))))
        elif kind == 1:
            code = f"{rnd.randint(1, 3)}.{rnd.randint(0, 14999):06d}"
            out.append(DEFAULT_TEMPLATE_CODE.format(code=code, type=rnd.choice(["STANDARD", "SPECIFIC"])))
        else:
            alphabet = letters + "0123456789/-.?=&ABCDEFXYZ"
            longest = pl._BYTE_CAPACITY[ec][12]
            out.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, longest))))
    return out


@pytest.mark.parametrize("ec", ["L", "M", "Q", "H"])
def test_a_batch_gives_the_writers_own_symbols_bit_for_bit(ec):
    texts = payloads(250, seed={"L": 1, "M": 2, "Q": 3, "H": 4}[ec], ec=ec)
    symbols = pl.encode_many(texts, ec)
    versions = set()
    for text, symbol in zip(texts, symbols):
        expected = writer_choice(text, ec)
        assert symbol.payload == text and symbol.ec == ec
        assert symbol.dark.shape == expected.shape, text
        assert np.array_equal(symbol.dark, expected), (text, symbol.version)
        assert symbol.version == (expected.shape[0] - 17) // 4
        versions.add(symbol.version)
    assert set(range(1, 12)) <= versions  # every version the packed rows cover
    assert max(versions) > 11  # and one left to the writer (over 64 modules)


def test_one_symbol_and_the_default_encoder_are_the_writers_too():
    link = DEFAULT_TEMPLATE.format(id="019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
    for symbol in (pl.encode(link, "Q"), pl.default_encoder("1.001193", link, "Q")):
        assert np.array_equal(symbol.dark, writer_choice(link, "Q"))
        assert symbol.version == 7 and symbol.size == 45


def test_the_batch_keeps_the_order_and_the_levels_of_mixed_keys():
    texts = payloads(12, seed=9)
    keys = [(f"c{i}", t, "QHML"[i % 4]) for i, t in enumerate(texts)]
    symbols = pl.encode_all(pl.default_encoder, keys)
    for (code, text, ec), symbol in zip(keys, symbols):
        assert symbol.payload == text and symbol.ec == ec
        assert np.array_equal(symbol.dark, writer_choice(text, ec))


def test_another_encoder_is_asked_one_key_at_a_time():
    asked = []

    def encoder(code, payload, ec):
        asked.append(code)
        return pl.encode(payload, ec)

    pl.encode_all(encoder, [("a", "x", "Q"), ("b", "y", "M")])
    assert asked == ["a", "b"]


# -- the penalty score, against the rules written out module by module ------------------------

def reference_penalty(m: np.ndarray) -> int:
    """ISO/IEC 18004 §7.8.3 as zint evaluates it, one module at a time."""
    n = m.shape[0]
    lines = [list(m[r]) for r in range(n)] + [list(m[:, c]) for c in range(n)]
    score = 0
    for line in lines:  # N1: runs of five or more
        run = 1
        for a, b in zip(line, line[1:]):
            if a == b:
                run += 1
            else:
                score += run - 2 if run >= 5 else 0
                run = 1
        score += run - 2 if run >= 5 else 0
    for r in range(n - 1):  # N2: 2 x 2 blocks of one colour
        for c in range(n - 1):
            if m[r, c] == m[r + 1, c] == m[r, c + 1] == m[r + 1, c + 1]:
                score += 3
    pattern = [True, False, True, True, True, False, True]
    for line in lines:  # N3: 1:1:3:1:1 with four light modules before or after
        for i in range(n - 6):
            if line[i:i + 7] == pattern:
                before = all(not line[j] for j in range(i - 4, i) if j >= 0)
                after = all(not line[j] for j in range(i + 7, i + 11) if j < n)
                score += 40 if before or after else 0
    share = 100.0 * int(m.sum()) / (n * n)  # N4
    score += 10 * int(abs(share - 50.0) / 5.0)
    return score


def score(matrices: np.ndarray) -> list[int]:
    n = matrices.shape[-1]
    return list(qr_mask.penalties(qr_mask.pack(matrices), qr_mask.pack(matrices.transpose(0, 2, 1)), n))


def test_the_penalty_matches_the_rules_on_random_and_edge_matrices():
    rnd = np.random.default_rng(5)
    cases = [rnd.random((n, n)) < p for n in (21, 25, 45, 61, 64) for p in (0.5, 0.3, 0.8)]
    n = 25
    cases += [np.zeros((n, n), bool), np.ones((n, n), bool),
              np.tile([True, False], (n, n // 2 + 1))[:, :n]]
    finder = np.zeros((n, n), bool)
    finder[0, :7] = [1, 0, 1, 1, 1, 0, 1]  # at the left edge: the outside is light
    finder[3, n - 7:] = [1, 0, 1, 1, 1, 0, 1]  # at the right edge
    finder[6, 8:15] = [1, 0, 1, 1, 1, 0, 1]
    finder[6, 4] = True  # dark three before, light after
    finder[9, 3:21] = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1]  # light 3 only
    finder[:7, 20] = [1, 0, 1, 1, 1, 0, 1]  # in a column
    cases.append(finder)
    for m in cases:
        assert score(m[None])[0] == reference_penalty(m), m.shape


def test_the_penalty_of_every_candidate_picks_the_writers_mask():
    """The eight candidates of real symbols, scored here and by the reference; the lowest is the
    mask the writer itself uses."""
    for text in payloads(9, seed=11):
        ec = "Q"
        plain = pl._write(text, ec, mask=0)
        version = (plain.shape[0] - 17) // 4
        if plain.shape[0] > qr_mask.MAX_SIZE:
            continue
        deltas = qr_mask.mask_deltas(version, ec, pl._write)
        candidates = plain[None] ^ deltas
        ours = score(candidates)
        assert ours == [reference_penalty(c) for c in candidates]
        chosen = candidates[int(np.argmin(ours))]
        assert np.array_equal(chosen, writer_choice(text, ec))


def test_a_writer_whose_masks_are_not_a_plain_xor_is_left_to_choose():
    """If the difference between masks depended on the payload (another writer, another
    version of it), the deltas are refused and the caller asks the writer for its own choice."""
    def odd_writer(payload, ec, version, mask):
        m = pl._write(payload, ec, version, mask)
        if payload == "A" and mask == 3:
            m = m.copy()
            m[10, 10] ^= True
        return m

    assert qr_mask.mask_deltas(2, "Q", odd_writer) is None

    def wrong_size(payload, ec, version, mask):
        return pl._write(payload, ec, 0, mask)  # a writer that ignores the version asked for

    assert qr_mask.mask_deltas(5, "Q", wrong_size) is None
    assert qr_mask.mask_deltas(5, "Q", pl._write) is not None
