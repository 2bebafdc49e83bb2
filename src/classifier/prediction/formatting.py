"""Rows of numbers written as text, for all rows of a batch at once.

Why this exists: a prediction row holds one score per label (90 for Reuters), and Python
formats floats one call at a time, so writing the scores cost as much as computing them.
:func:`fixed_point_rows` writes every digit of a whole matrix with NumPy and leaves Python
one slice per row: the digits come three at a time from a table of "000" to "999", every
row starts as a copy of one template (the column prefixes with a slot for each number),
the numbers are written into their slots, and the unused bytes of the slots (a number
shorter than the widest) are squeezed out in one pass over the chunk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MINUS, _POINT, _ZERO = ord("-"), ord("."), ord("0")
# "000" ... "999" (and "0".."9", "00".."99"): the digits of a group of decimals at once.
_DIGIT_GROUPS = {
    width: np.frombuffer(
        b"".join(b"%0*d" % (width, v) for v in range(10**width)), dtype=np.uint8
    ).reshape(-1, width)
    for width in (1, 2, 3)
}


def fixed_point_rows(
    values: np.ndarray,
    prefixes: Sequence[bytes],
    decimals: int,
    keep: np.ndarray | None = None,
) -> list[bytes]:
    """For each row ``i``: ``prefixes[j] + values[i, j]`` for every column ``j`` (only
    where ``keep[i, j]``, if given), joined.

    Each number has exactly ``decimals`` decimals, like ``"%.{decimals}f"``, rounded half to
    even on ``value * 10**decimals`` (so a value within 1e-16 of a rounding tie may round
    the other way from ``%f``); ``-0.000000`` is written ``0.000000``. Non-finite values
    or values too large for exact integer arithmetic are written by Python's ``%f``.
    """
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    if len(prefixes) != k:
        raise ValueError(f"{len(prefixes)} prefixes for {k} columns")
    if any(b"\0" in p for p in prefixes):
        raise ValueError("prefixes must not contain NUL bytes")
    if n == 0:
        return []
    scaled = np.rint(values * 10**decimals)
    if keep is not None:
        scaled[~keep] = 0.0
    if not np.isfinite(scaled).all() or np.abs(scaled).max() >= 2**53:
        return _python_rows(values, prefixes, decimals, keep)
    fixed = scaled.astype(np.int64)
    if keep is None:
        return _dense_rows(fixed, prefixes, decimals)
    rows, cols = np.nonzero(keep)
    return _sparse_rows(fixed[rows, cols], rows, cols, n, prefixes, decimals)


def _python_rows(values, prefixes, decimals, keep) -> list[bytes]:
    mask = np.ones(values.shape, dtype=bool) if keep is None else keep
    return [
        b"".join(
            p + b"%.*f" % (decimals, v) for p, v, m in zip(prefixes, row, cells, strict=True) if m
        )
        for row, cells in zip(values.tolist(), mask.tolist(), strict=True)
    ]


def _number_chars(fixed: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """The characters of ``fixed / 10**decimals`` (any shape ``s``), right-aligned in slots
    of the widest number's width, NUL bytes before the shorter ones: ``(*s, width)``;
    and each number's length ``s``."""
    negative = fixed < 0
    whole, fraction = np.divmod(np.abs(fixed), 10**decimals)
    n_whole = len(str(int(whole.max()))) if whole.size else 1
    if n_whole <= 9:  # 32-bit division is several times faster
        whole = whole.astype(np.int32)
    if decimals <= 9:
        fraction = fraction.astype(np.int32)
    point = 1 + n_whole  # slot: sign, whole digits, point, decimals
    width = point + (1 + decimals if decimals else 0)
    chars = np.zeros((*fixed.shape, width), dtype=np.uint8)
    end = width
    while end > point + 1:  # the decimals, up to three at a time from the right
        group = min(3, end - point - 1)
        fraction, part = np.divmod(fraction, 10**group)
        chars[..., end - group : end] = np.take(_DIGIT_GROUPS[group], part, axis=0)
        end -= group
    if decimals:
        chars[..., point] = _POINT
    shown = np.ones(fixed.shape, dtype=np.int64)  # whole digits written (no leading zeros)
    chars[..., point - 1] = _ZERO + whole % 10
    for d in range(1, n_whole):
        more = whole >= 10**d
        shown += more
        chars[..., point - 1 - d] = np.where(more, _ZERO + whole // 10**d % 10, 0)
    for d in range(1, n_whole + 1):  # the sign just before the first digit written
        sign = negative & (shown == d) if n_whole > 1 else negative
        chars[..., point - 1 - d] = np.where(sign, _MINUS, chars[..., point - 1 - d])
    lengths = shown + negative + (1 + decimals if decimals else 0)
    return chars, lengths


def _dense_rows(fixed: np.ndarray, prefixes: Sequence[bytes], decimals: int) -> list[bytes]:
    """Every cell: each row is a copy of one template, the prefixes with a slot after each
    for its number, and the slots' unused (NUL) bytes are dropped."""
    n, k = fixed.shape
    chars, lengths = _number_chars(fixed, decimals)
    width = chars.shape[-1]
    sizes = np.array([len(p) for p in prefixes], dtype=np.int64)
    slot_starts = np.cumsum(sizes) + width * np.arange(k)
    template = np.zeros(int(sizes.sum()) + k * width, dtype=np.uint8)
    for p, start in zip(prefixes, slot_starts.tolist(), strict=True):
        template[start - len(p) : start] = np.frombuffer(p, dtype=np.uint8)
    full = np.empty((n, len(template)), dtype=np.uint8)
    full[:] = template
    slots = (slot_starts[:, None] + np.arange(width)).ravel()
    full[:, slots] = chars.reshape(n, k * width)
    data = full[full != 0].tobytes()
    ends = np.cumsum(lengths.sum(axis=1) + int(sizes.sum())).tolist()
    return [data[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def _sparse_rows(
    fixed: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    n: int,
    prefixes: Sequence[bytes],
    decimals: int,
) -> list[bytes]:
    """Only the cells ``(rows, cols)`` (in row order): each cell is its prefix and number,
    NUL-padded to one width, and the padding is dropped."""
    chars, lengths = _number_chars(fixed, decimals)
    sizes = np.array([len(p) for p in prefixes], dtype=np.int64)
    heads = np.zeros((len(prefixes), int(sizes.max()) if len(sizes) else 0), dtype=np.uint8)
    for j, p in enumerate(prefixes):
        heads[j, heads.shape[1] - len(p) :] = np.frombuffer(p, dtype=np.uint8)
    cells = np.concatenate([heads[cols], chars], axis=1)
    data = cells[cells != 0].tobytes()
    per_row = np.bincount(rows, weights=lengths + sizes[cols], minlength=n).astype(np.int64)
    ends = np.cumsum(per_row).tolist()
    return [data[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
