"""Rows of numbers written as text, for all rows of a batch at once.

Why this exists: a prediction row holds one score per label (90 for Reuters), and Python
formats floats one call at a time, so writing the scores cost as much as computing them.
:func:`fixed_point_cells` writes every digit of a whole matrix with NumPy: the digits come
three at a time from a table of "000" to "999", and each cell is its column's prefix and
a slot for its number, NUL bytes filling what a shorter number leaves. :func:`joined_rows`
puts such matrices and the rows' other parts side by side and drops the NUL bytes in one
pass, so a chunk of JSONL needs no Python call per row beyond its id and labels.
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
    return _split_rows(fixed_point_cells(values, prefixes, decimals, keep))


def fixed_point_cells(
    values: np.ndarray,
    prefixes: Sequence[bytes],
    decimals: int,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """The rows of :func:`fixed_point_rows` as the rows of a uint8 matrix, with NUL bytes
    where a row has nothing to write (NUL is not in any row), for :func:`joined_rows`."""
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    if len(prefixes) != k:
        raise ValueError(f"{len(prefixes)} prefixes for {k} columns")
    if any(b"\0" in p for p in prefixes):
        raise ValueError("prefixes must not contain NUL bytes")
    if n == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    scaled = np.rint(values * 10**decimals)
    if keep is not None:
        scaled[~keep] = 0.0
    if not np.isfinite(scaled).all() or np.abs(scaled).max() >= 2**53:
        return padded(_python_rows(values, prefixes, decimals, keep))
    fixed = scaled.astype(np.int64)
    if keep is None:
        return _dense_cells(fixed, prefixes, decimals)
    rows, cols = np.nonzero(keep)
    return padded(_sparse_rows(fixed[rows, cols], rows, cols, n, prefixes, decimals))


def padded(values: Sequence[bytes]) -> np.ndarray:
    """``values`` (without NUL bytes) as the rows of a uint8 matrix, NUL-padded to the
    longest."""
    width = max(map(len, values), default=0)
    if width == 0:
        return np.zeros((len(values), 0), dtype=np.uint8)
    return np.array(values, dtype=f"S{width}").view(np.uint8).reshape(len(values), width)


def joined_rows(parts: Sequence[bytes | np.ndarray]) -> np.ndarray:
    """Rows made of ``parts`` side by side (bytes: the same in every row; uint8 matrices:
    one row each, NUL-padded), the NUL bytes dropped, as the bytes of all rows in a row:
    one pass over the whole chunk, not one Python call per row."""
    matrices = [p for p in parts if not isinstance(p, bytes)]
    n = len(matrices[0]) if matrices else 0
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    full = np.empty((n, sum(widths)), dtype=np.uint8)
    at = 0
    for part, width in zip(parts, widths, strict=True):
        row = np.frombuffer(part, np.uint8) if isinstance(part, bytes) else part
        full[:, at : at + width] = row
        at += width
    return full[full != 0]


def _split_rows(cells: np.ndarray) -> list[bytes]:
    """Each row of a NUL-padded matrix, without its NUL bytes."""
    if len(cells) == 0:
        return []
    kept = cells != 0
    data = cells[kept].tobytes()
    ends = np.cumsum(kept.sum(axis=1)).tolist()
    return [data[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


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


def _dense_cells(fixed: np.ndarray, prefixes: Sequence[bytes], decimals: int) -> np.ndarray:
    """Every cell: each row is one cell per column, its prefix (NUL-padded in front to the
    longest prefix) and its number's slot."""
    n, k = fixed.shape
    chars, _ = _number_chars(fixed, decimals)
    head = max(len(p) for p in prefixes)
    heads = np.zeros((k, head), dtype=np.uint8)
    for j, p in enumerate(prefixes):
        heads[j, head - len(p) :] = np.frombuffer(p, dtype=np.uint8)
    cells = np.empty((n, k, head + chars.shape[-1]), dtype=np.uint8)
    cells[:, :, :head] = heads
    cells[:, :, head:] = chars
    return cells.reshape(n, -1)


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
