"""From per-label scores to labels: the decision rules of a fitted tagger.

A multi-label model predicts every label whose score reaches its threshold (and, with
``at_least_one``, its best label when none does); a single-label model predicts its best
label. The rules live here, apart from the tagger, because prediction from cached scorer
tables (:mod:`classifier.model.tables`) applies them without importing scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelRules:
    """The labels of a fitted tagger and how it picks them from scores."""

    labels: tuple[str, ...]
    multilabel: bool
    thresholds: np.ndarray
    at_least_one: bool

    def indicator(self, scores: np.ndarray, thresholds: np.ndarray | None = None) -> np.ndarray:
        """Boolean matrix of predicted labels from scores ``(n_texts, n_labels)``, with
        ``thresholds`` instead of the model's if given (multi-class: the best label)."""
        n, k = scores.shape
        if not self.multilabel:
            out = np.zeros((n, k), dtype=bool)
            out[np.arange(n), scores.argmax(axis=1)] = True
            return out
        margin = scores - (self.thresholds if thresholds is None else thresholds)
        out = margin >= 0
        if self.at_least_one:
            empty = ~out.any(axis=1)
            out[np.flatnonzero(empty), margin[empty].argmax(axis=1)] = True
        return out

    def names(self, indicator: np.ndarray) -> list[list[str]]:
        """Label names of each row of a boolean indicator matrix."""
        names = self.labels
        out: list[list[str]] = [[] for _ in range(len(indicator))]
        for row, col in zip(*(a.tolist() for a in np.nonzero(indicator)), strict=True):
            out[row].append(names[col])
        return out


def near_threshold(rules: LabelRules, scores: np.ndarray, tol: float) -> np.ndarray:
    """Cells of ``scores`` whose predicted label may flip when the scores move by up to
    ``tol``: a score within ``tol`` of its threshold or, where the best label is picked
    (single-label models; multi-label rows with no label over its threshold and
    ``at_least_one``), a best score within ``2 tol`` of the second best."""
    if rules.multilabel:
        margin = scores - rules.thresholds
        near = np.abs(margin) <= tol
        picked = (margin.max(axis=1) < tol) & rules.at_least_one
    else:
        margin, near = scores, np.zeros(scores.shape, dtype=bool)
        picked = np.ones(len(scores), dtype=bool)
    best_two = np.sort(margin, axis=1)[:, -2:]
    tie = picked & (best_two[:, -1] - best_two[:, 0] <= 2 * tol)
    return near | tie[:, None]
