"""The label pairs the model confuses most: given one label, it predicted another instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Confusion:
    """``count`` articles carry ``given`` but were tagged ``predicted`` (and not ``given``)."""

    given: str
    predicted: str
    count: int
    # count / articles that carry ``given``
    share: float


def confused_pairs(
    labels: Sequence[str], given: np.ndarray, predicted: np.ndarray, top: int | None = None
) -> list[Confusion]:
    """Pairs ``(a, b)`` counted once per article that has ``a`` but not ``b`` and is
    predicted ``b`` but not ``a``; most frequent first (``top`` of them, None: all).

    For single-label data this is the off-diagonal of the confusion matrix.
    """
    missed = (given & ~predicted).astype(np.int64)
    extra = (predicted & ~given).astype(np.int64)
    counts = missed.T @ extra
    support = given.sum(axis=0)
    a, b = np.nonzero(counts)
    order = np.lexsort((b, a, -counts[a, b]))
    pairs = [
        Confusion(labels[i], labels[j], int(counts[i, j]), float(counts[i, j] / support[i]))
        for i, j in zip(a[order].tolist(), b[order].tolist(), strict=True)
    ]
    return pairs if top is None else pairs[:top]
