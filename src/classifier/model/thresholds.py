"""Per-label decision thresholds chosen on out-of-fold scores of the training split."""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

Fallback = Literal["default", "rank"]
FALLBACKS: tuple[str, ...] = get_args(Fallback)


def _one_class(truth: np.ndarray) -> bool:
    n_pos = int(truth.sum())
    return n_pos == 0 or n_pos == len(truth)


def best_f1_threshold(
    scores: np.ndarray,
    truth: np.ndarray,
    default: float,
    min_f1: float = 0.0,
    fallback: Fallback = "default",
) -> float:
    """The cut on ``scores`` that maximises F1 against the binary ``truth``.

    The threshold lies half-way between the lowest score kept and the highest score left
    out, so it does not sit exactly on a training example. A label with no positive
    example keeps ``default``. A label whose best F1 is below ``min_f1`` gets its
    fallback: ``default`` (Yang's SCut.FBR rule, 2001: for a rare label whose few
    examples score low, the "best" cut would let hundreds of texts through), or with
    ``fallback="rank"`` the cut of :func:`rank_threshold`: the default cut almost never
    lets such a label's low-scoring positives through, the rank cut keeps its few
    best-scoring texts.
    """
    truth = truth.astype(bool)
    if _one_class(truth):
        return default
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
    if f1[k] < min_f1:
        return rank_threshold(scores, truth, default) if fallback == "rank" else default
    if k + 1 == len(scores):
        return float(sorted_scores[-1]) - 1e-6
    return float((sorted_scores[k] + sorted_scores[k + 1]) / 2.0)


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
    """One :func:`best_f1_threshold` per label (column) of ``scores``."""
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    return np.array(
        [
            best_f1_threshold(scores[:, j], indicator[:, j], default, min_f1, fallback)
            for j in range(scores.shape[1])
        ],
        dtype=np.float64,
    )
