"""k-fold cross-validation on the training split: the scores model choice may look at.

Sweeps and tuning compare ``cv_*`` metrics; the test split is evaluated once per run and
never drives a choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold

from classifier.data.corpus import Split
from classifier.errors import ConfigError
from classifier.model.metrics import evaluate
from classifier.model.tagger import TopicTagger


def fold_indices(
    labels: list[list[str]], folds: int, seed: int, stratify: bool = True
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/validation index pairs; stratified so rare labels appear in every fold.

    Multi-label data uses iterative stratification (Sechidis et al., 2011), single-label
    data scikit-learn's StratifiedKFold; ``stratify=False`` gives plain shuffled folds.
    """
    n = len(labels)
    if not stratify:
        return list(KFold(folds, shuffle=True, random_state=seed).split(np.zeros(n)))
    names = sorted({lab for item in labels for lab in item})
    index = {name: j for j, name in enumerate(names)}
    if any(len(item) != 1 for item in labels):
        matrix = np.zeros((n, len(names)), dtype=int)
        for i, item in enumerate(labels):
            matrix[i, [index[lab] for lab in item]] = 1
        splitter = MultilabelStratifiedKFold(folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(n), matrix))
    target = np.array([index[item[0]] for item in labels])
    counts = np.bincount(target)
    if counts.min() < folds:  # StratifiedKFold needs every class in every fold
        return list(KFold(folds, shuffle=True, random_state=seed).split(np.zeros(n)))
    return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(n), target))


def fitted_folds(
    tagger: TopicTagger, split: Split, folds: int = 5, seed: int = 0, stratify: bool = True
) -> Iterator[tuple[np.ndarray, TopicTagger]]:
    """Each fold's validation indices and a fresh clone of ``tagger`` (threshold tuning
    included) fitted on the other folds."""
    if folds > len(split.texts):
        raise ConfigError(
            f"cv.folds={folds} is more than the {len(split.texts)} training articles; "
            "use fewer folds (0 or 1: no cross-validation)"
        )
    for train_idx, val_idx in fold_indices(split.labels, folds, seed, stratify):
        train = split.subset(train_idx)
        yield val_idx, clone(tagger).fit(train.texts, train.labels)


def cross_validate(
    tagger: TopicTagger, split: Split, folds: int = 5, seed: int = 0, stratify: bool = True
) -> dict[str, float]:
    """Mean and standard deviation of every test metric over ``folds`` folds of ``split``.

    Returns ``{"micro_f1": mean, "micro_f1_std": std, ...}``; each fold fits a fresh clone
    of ``tagger`` (threshold tuning included) on the other folds.
    """
    per_fold: dict[str, list[float]] = {}
    for val_idx, model in fitted_folds(tagger, split, folds, seed, stratify):
        for name, value in evaluate(model, split.subset(val_idx)).metrics.items():
            per_fold.setdefault(name, []).append(value)
    summary: dict[str, float] = {}
    for name, values in per_fold.items():
        summary[name] = float(np.mean(values))
        summary[f"{name}_std"] = float(np.std(values))
    return summary


@dataclass(frozen=True)
class OutOfFold:
    """Every article's scores from the fold model that did not see it.

    Columns follow ``labels`` (the split's sorted labels). A label a fold model never saw
    in its training folds has NaN scores and thresholds for that fold's articles.
    """

    labels: list[str]
    multilabel: bool
    # scores (decision values or probabilities) and the fold model's per-label thresholds
    scores: np.ndarray
    thresholds: np.ndarray
    # labels the fold model predicts (thresholds and the at-least-one rule applied)
    predicted: np.ndarray
    # the models' untuned threshold: 0 for decision values, 0.5 for probabilities
    default_threshold: float = 0.0


def out_of_fold(
    tagger: TopicTagger, split: Split, folds: int = 5, seed: int = 0, stratify: bool = True
) -> OutOfFold:
    """Scores of each article of ``split`` from a clone of ``tagger`` fitted on the other
    folds (the same folds as :func:`cross_validate`): what label audits rank by."""
    names = sorted({lab for item in split.labels for lab in item})
    column = {name: j for j, name in enumerate(names)}
    shape = (len(split), len(names))
    scores = np.full(shape, np.nan)
    thresholds = np.full(shape, np.nan)
    predicted = np.zeros(shape, dtype=bool)
    multilabel, default = False, 0.0
    for val_idx, model in fitted_folds(tagger, split, folds, seed, stratify):
        cols = np.array([column[name] for name in model.labels_])
        fold_scores = model.decision_function(split.subset(val_idx).texts)
        rows = val_idx[:, None]
        scores[rows, cols] = fold_scores
        thresholds[rows, cols] = model.thresholds_
        predicted[rows, cols] = model.indicator_from_scores(fold_scores)
        multilabel = multilabel or model.multilabel_
        default = model.default_threshold_
    return OutOfFold(names, multilabel, scores, thresholds, predicted, default)


def check_metric(metric: str) -> str:
    """``metric`` if it is a cross-validation metric; model choice never looks at test_*."""
    if not metric.startswith("cv_"):
        raise ConfigError(
            f"optimized_metric={metric!r}: sweeps optimise a cross-validation metric (cv_*); "
            "the test split is evaluated once per run and never drives a choice"
        )
    return metric
