"""Per-label decision thresholds chosen on out-of-fold scores of the training split."""

from __future__ import annotations

from typing import Literal

import numpy as np

Fallback = Literal["default", "rank"]
FALLBACKS: tuple[str, ...] = ("default", "rank")


def _best_f1_cut(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The F1-maximising cut on ``scores`` and its F1; ``truth`` has both classes."""
    n_pos = int(truth.sum())
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    tp = np.cumsum(truth[order])
    predicted = np.arange(1, len(scores) + 1)
    f1 = 2.0 * tp / (predicted + n_pos)
    # Only cut where the next score differs, so tied scores fall on the same side.
    distinct = np.append(sorted_scores[1:] < sorted_scores[:-1], True)
    f1 = np.where(distinct, f1, -1.0)
    k = int(np.argmax(f1))
    if k + 1 == len(scores):
        return float(sorted_scores[-1]) - 1e-6, float(f1[k])
    return float((sorted_scores[k] + sorted_scores[k + 1]) / 2.0), float(f1[k])


def _one_class(truth: np.ndarray) -> bool:
    n_pos = int(truth.sum())
    return n_pos == 0 or n_pos == len(truth)


def best_f1_threshold(
    scores: np.ndarray, truth: np.ndarray, default: float, min_f1: float = 0.0
) -> float:
    """The cut on ``scores`` that maximises F1 against the binary ``truth``.

    The threshold lies half-way between the lowest score kept and the highest score left
    out, so it does not sit exactly on a training example. A label with no positive
    example keeps ``default``, and so does one whose best F1 is below ``min_f1``: for a
    rare label whose few examples score low, the "best" cut would let hundreds of texts
    through (Yang's SCut.FBR rule, 2001).
    """
    truth = truth.astype(bool)
    if _one_class(truth):
        return default
    cut, f1 = _best_f1_cut(scores, truth)
    return default if f1 < min_f1 else cut


def rank_threshold(scores: np.ndarray, truth: np.ndarray, default: float) -> float:
    """The cut that keeps as many texts as ``truth`` has positives (Yang's PCut, 2001).

    It lies half-way between the ``n``-th and ``n+1``-th highest scores, ``n`` being the
    number of positives. A label with no positive example (or no negative) keeps
    ``default``.
    """
    truth = truth.astype(bool)
    if _one_class(truth):
        return default
    n_pos = int(truth.sum())
    ranked = np.sort(scores)[::-1]
    return float((ranked[n_pos - 1] + ranked[n_pos]) / 2.0)


def tune_thresholds(
    scores: np.ndarray,
    indicator: np.ndarray,
    default: float,
    min_f1: float = 0.0,
    fallback: Fallback = "default",
) -> np.ndarray:
    """One F1-optimal threshold per label (column) of ``scores``.

    A label whose best F1 stays below ``min_f1`` gets ``default`` (``fallback="default"``)
    or the cut that keeps as many texts as it has positives (``fallback="rank"``): a rare
    label's few positives often score below the default, so the default cut almost never
    lets them through, while the rank cut keeps its few best-scoring texts.
    """
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    out = np.full(scores.shape[1], default, dtype=np.float64)
    for j in range(scores.shape[1]):
        column, truth = scores[:, j], indicator[:, j].astype(bool)
        if _one_class(truth):
            continue
        cut, f1 = _best_f1_cut(column, truth)
        if f1 >= min_f1:
            out[j] = cut
        elif fallback == "rank":
            out[j] = rank_threshold(column, truth, default)
    return out
