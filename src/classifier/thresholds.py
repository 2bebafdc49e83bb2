"""Per-label decision thresholds chosen on out-of-fold scores of the training split."""

from __future__ import annotations

import numpy as np


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
    n_pos = int(truth.sum())
    if n_pos == 0 or n_pos == len(truth):
        return default
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
        return default
    if k + 1 == len(scores):
        return float(sorted_scores[-1]) - 1e-6
    return float((sorted_scores[k] + sorted_scores[k + 1]) / 2.0)


def tune_thresholds(
    scores: np.ndarray, indicator: np.ndarray, default: float, min_f1: float = 0.0
) -> np.ndarray:
    """One F1-optimal threshold per label (column) of ``scores``."""
    return np.array(
        [
            best_f1_threshold(scores[:, j], indicator[:, j], default, min_f1)
            for j in range(scores.shape[1])
        ],
        dtype=np.float64,
    )
