"""Signed distances of scores from the decision, per article and label."""

from __future__ import annotations

import numpy as np


def margins(scores: np.ndarray, thresholds: np.ndarray, multilabel: bool) -> np.ndarray:
    """How far each label's score lies on the "predicted" side of its decision.

    Multi-label: score minus the label's threshold (``thresholds`` broadcasts: one row per
    article or one per label). Single-label: score minus the best other label's score,
    positive only for the predicted label. NaN scores (labels a model did not know) stay
    NaN and are never taken as the best other label.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if multilabel:
        return scores - thresholds
    filled = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-filled, axis=1)
    rows = np.arange(len(scores))
    best, second = filled[rows, order[:, 0]], filled[rows, order[:, 1]]
    other = np.where(filled == best[:, None], second[:, None], best[:, None])
    return scores - other
