"""Rows of numbers written as text, for all rows of a batch at once.

Why this exists: a prediction row holds one score per label (90 for Reuters), and Python
formats floats one call at a time, so writing the scores cost as much as computing them.
:func:`fixed_point_rows` writes every digit of a whole matrix with NumPy integer arithmetic
and leaves Python one slice per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MINUS, _POINT, _ZERO = ord("-"), ord("."), ord("0")


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
    scale = 10**decimals
    scaled = np.rint(values * scale)
    if keep is not None:
        scaled[~keep] = 0.0
    if n == 0:
        return []
    if not np.isfinite(scaled).all() or np.abs(scaled).max() >= 2**53:
        mask = np.ones((n, k), dtype=bool) if keep is None else keep
        return [
            b"".join(
                p + b"%.*f" % (decimals, v)
                for p, v, m in zip(prefixes, row, cells, strict=True)
                if m
            )
            for row, cells in zip(values.tolist(), mask.tolist(), strict=True)
        ]
    fixed = scaled.astype(np.int64)
    negative = fixed < 0
    magnitude = np.abs(fixed)
    whole, fraction = np.divmod(magnitude, scale)
    n_whole = len(str(int(whole.max())))
    width = 1 + n_whole + 1 + decimals  # sign, whole digits, point, decimals
    chars = np.zeros((n, k, width), dtype=np.uint8)  # 0: no character
    rest = fraction.astype(np.int32)
    for d in range(decimals):
        rest, digit = np.divmod(rest, 10)
        chars[:, :, width - 1 - d] = _ZERO + digit
    point = width - 1 - decimals
    chars[:, :, point] = _POINT
    chars[:, :, point - 1] = _ZERO + whole % 10
    digits = np.ones((n, k), dtype=np.int64)  # whole digits written: leading zeros are not
    for d in range(1, n_whole):
        shown = whole >= 10**d
        digits += shown
        chars[:, :, point - 1 - d] = np.where(shown, _ZERO + whole // 10**d % 10, 0)
    rows, cols = np.nonzero(negative)
    chars[rows, cols, point - 1 - digits[rows, cols]] = _MINUS
    width_p = max(len(p) for p in prefixes)
    heads = np.zeros((k, width_p), dtype=np.uint8)
    for j, p in enumerate(prefixes):
        heads[j, : len(p)] = np.frombuffer(p, dtype=np.uint8)
    if (heads == 0).sum() != k * width_p - sum(len(p) for p in prefixes):
        raise ValueError("prefixes must not contain NUL bytes")
    full = np.concatenate([np.broadcast_to(heads, (n, k, width_p)), chars], axis=2).reshape(n, -1)
    kept = full != 0
    if keep is not None:
        kept &= np.repeat(keep, width_p + width, axis=1)
    data = full[kept].tobytes()
    ends = np.cumsum(kept.sum(axis=1)).tolist()
    return [data[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
