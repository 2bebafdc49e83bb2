"""Score one saved model on labelled articles, with the metrics training logs as ``test_*``.

Labels in the file that the model does not know cannot be predicted: they are counted and
named, and left out of the scores, as in training's own evaluation of its test split.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from classifier.data.corpus import Split
from classifier.model.metrics import Evaluation, score_indicators
from classifier.model.persistence import LoadedModel


@dataclass(frozen=True)
class ModelScores:
    """A model's predictions, scores and metrics on one labelled set.

    ``unknown`` counts, per label the model does not know, the articles that carry it.
    """

    labels: list[str]
    scores: np.ndarray
    thresholds: np.ndarray
    evaluation: Evaluation
    unknown: dict[str, int]
    # Articles with at least one label the model does not know.
    unknown_articles: int


def unknown_labels(known: list[str], labels: list[list[str]]) -> tuple[dict[str, int], int]:
    """Per unknown label the number of articles carrying it, most frequent first, and the
    number of articles with any unknown label."""
    index = set(known)
    counts: Counter[str] = Counter()
    rows = 0
    for item in labels:
        missing = {label for label in item if label not in index}
        counts.update(missing)
        rows += bool(missing)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), rows


def score_model(model: LoadedModel, split: Split) -> ModelScores:
    """Tag ``split`` with ``model`` and score it against the split's labels."""
    tagger = model.tagger
    scores = tagger.decision_function(split.texts)
    y_pred = tagger.indicator_from_scores(scores)
    y_true = tagger.indicator_from_labels(split.labels)
    labels = list(tagger.labels_)
    evaluation = score_indicators(y_true, y_pred, labels, bool(tagger.multilabel_))
    unknown, rows = unknown_labels(labels, split.labels)
    return ModelScores(labels, scores, np.asarray(tagger.thresholds_), evaluation, unknown, rows)


def predictions_over(scores: ModelScores, labels: list[str]) -> np.ndarray:
    """The predictions of ``scores`` over ``labels``, which may hold labels of other
    models: a label this model does not know is never predicted."""
    index = {label: j for j, label in enumerate(scores.labels)}
    pred = np.zeros((scores.evaluation.y_pred.shape[0], len(labels)), dtype=bool)
    for j, label in enumerate(labels):
        if label in index:
            pred[:, j] = scores.evaluation.y_pred[:, index[label]]
    return pred


def truth_over(split: Split, labels: list[str]) -> np.ndarray:
    """The indicator matrix of ``split``'s labels over ``labels`` (others are ignored)."""
    index = {label: j for j, label in enumerate(labels)}
    out = np.zeros((len(split), len(labels)), dtype=bool)
    for row, item in enumerate(split.labels):
        for label in item:
            if label in index:
                out[row, index[label]] = True
    return out
