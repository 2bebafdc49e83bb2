"""k-fold cross-validation on the training split: the scores model choice may look at.

Sweeps and tuning compare ``cv_*`` metrics; the test split is evaluated once per run and
never drives a choice.
"""

from __future__ import annotations

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


def cross_validate(
    tagger: TopicTagger, split: Split, folds: int = 5, seed: int = 0, stratify: bool = True
) -> dict[str, float]:
    """Mean and standard deviation of every test metric over ``folds`` folds of ``split``.

    Returns ``{"micro_f1": mean, "micro_f1_std": std, ...}``; each fold fits a fresh clone
    of ``tagger`` (threshold tuning included) on the other folds.
    """
    if folds > len(split.texts):
        raise ConfigError(
            f"cv.folds={folds} is more than the {len(split.texts)} training articles; "
            "use fewer folds (0 or 1: no cross-validation)"
        )
    per_fold: dict[str, list[float]] = {}
    for train_idx, val_idx in fold_indices(split.labels, folds, seed, stratify):
        train, val = split.subset(train_idx), split.subset(val_idx)
        model = clone(tagger).fit(train.texts, train.labels)
        for name, value in evaluate(model, val).metrics.items():
            per_fold.setdefault(name, []).append(value)
    summary: dict[str, float] = {}
    for name, values in per_fold.items():
        summary[name] = float(np.mean(values))
        summary[f"{name}_std"] = float(np.std(values))
    return summary


def check_metric(metric: str) -> str:
    """``metric`` if it is a cross-validation metric; model choice never looks at test_*."""
    if not metric.startswith("cv_"):
        raise ConfigError(
            f"optimized_metric={metric!r}: sweeps optimise a cross-validation metric (cv_*); "
            "the test split is evaluated once per run and never drives a choice"
        )
    return metric
