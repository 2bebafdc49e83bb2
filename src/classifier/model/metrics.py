"""Scores of a fitted tagger on a held-out split, with scikit-learn's metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    hamming_loss,
    precision_recall_fscore_support,
)

from classifier.data.corpus import Split
from classifier.model.tagger import TopicTagger


@dataclass(frozen=True)
class Evaluation:
    """Metrics (unprefixed names such as ``micro_f1``) and the per-label table."""

    labels: list[str]
    multilabel: bool
    metrics: dict[str, float]
    per_label: list[dict[str, float | int | str]]
    y_true: np.ndarray
    y_pred: np.ndarray

    def prefixed(self, prefix: str) -> dict[str, float]:
        """Metrics with a prefix, e.g. ``test_micro_f1``."""
        return {f"{prefix}{name}": value for name, value in self.metrics.items()}


def score_indicators(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], multilabel: bool
) -> Evaluation:
    """Micro, macro and weighted F1/precision/recall, accuracy and (multi-label) Hamming loss.

    ``accuracy`` is subset accuracy for multi-label data (every label of an article right).
    """
    metrics: dict[str, float] = {}
    for average in ("micro", "macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=0
        )
        metrics[f"{average}_f1"] = float(f)
        metrics[f"{average}_precision"] = float(p)
        metrics[f"{average}_recall"] = float(r)
    if multilabel:
        metrics["accuracy"] = float(accuracy_score(y_true, y_pred))
        metrics["hamming_loss"] = float(hamming_loss(y_true, y_pred))
    else:
        metrics["accuracy"] = float(np.mean((y_true == y_pred).all(axis=1)))
    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0
    )
    per_label = [
        {
            "label": label,
            "precision": float(p[j]),
            "recall": float(r[j]),
            "f1": float(f[j]),
            "support": int(support[j]),
            "predicted": int(y_pred[:, j].sum()),
        }
        for j, label in enumerate(labels)
    ]
    return Evaluation(labels, multilabel, metrics, per_label, y_true, y_pred)


def evaluate(tagger: TopicTagger, split: Split) -> Evaluation:
    """Tag ``split`` and score the result against its labels.

    Test labels the model never saw in training cannot be predicted and are left out.
    """
    y_true = tagger.indicator_from_labels(split.labels)
    y_pred = tagger.predict_indicator(split.texts)
    return score_indicators(y_true, y_pred, list(tagger.labels_), tagger.multilabel_)
