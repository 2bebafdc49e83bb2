"""Paired comparison of two models' predictions on the same articles.

The difference in a metric (challenger minus reference) gets a paired bootstrap confidence
interval (articles resampled with replacement, the same resample for both models) and a
paired approximate randomization test (each article's two predictions swapped at random).
Both work on per-article counts of true positives, false positives and false negatives, so
one resample is a weighted sum: a sparse matrix product over all resamples at once (the
counts are mostly zeros), in blocks of ``block`` resamples to bound memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse

# Metrics a comparison can use (higher is better), from summed counts.
METRICS = ("micro_f1", "macro_f1", "weighted_f1", "accuracy")


@dataclass(frozen=True)
class PairedResult:
    """``delta = score_b - score_a`` on ``metric``, its interval and the test's p-value."""

    metric: str
    score_a: float
    score_b: float
    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    samples: int
    seed: int

    def as_dict(self) -> dict[str, float | int | str]:
        """The fields by name (for JSON, MLflow tags and tables)."""
        return asdict(self)


def article_counts(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per article, per label: true positives, false positives, false negatives side by
    side, then whether the article is exactly right; shape ``(n, 3 * k + 1)``."""
    y_true, y_pred = y_true.astype(bool), y_pred.astype(bool)
    exact = (y_true == y_pred).all(axis=1, keepdims=True)
    return np.hstack([y_true & y_pred, ~y_true & y_pred, y_true & ~y_pred, exact]).astype(
        np.float64
    )


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def metric_from_counts(metric: str, counts: np.ndarray, n_articles: np.ndarray | float):
    """``metric`` from summed :func:`article_counts` (shape ``(..., 3 * k + 1)``).

    Same definitions as scikit-learn with ``zero_division=0`` (a label that is neither
    true nor predicted has F1 0 in the macro mean), so a point estimate equals
    :func:`classifier.model.metrics.score_indicators`.
    """
    k = (counts.shape[-1] - 1) // 3
    tp, fp, fn = counts[..., :k], counts[..., k : 2 * k], counts[..., 2 * k : 3 * k]
    if metric == "micro_f1":
        return _f1(tp.sum(-1), fp.sum(-1), fn.sum(-1))
    if metric == "macro_f1":
        return _f1(tp, fp, fn).mean(-1)
    if metric == "weighted_f1":
        support = tp + fn
        total = support.sum(-1)
        weighted = (_f1(tp, fp, fn) * support).sum(-1)
        return np.divide(weighted, total, out=np.zeros_like(total), where=total > 0)
    if metric == "accuracy":
        return counts[..., -1] / n_articles
    raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")


def _blocks(total: int, block: int) -> list[int]:
    return [min(block, total - start) for start in range(0, total, block)]


def _weighted_sums(
    draw: Callable[[int], np.ndarray], a: np.ndarray, b: np.ndarray, samples: int, block: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``a`` and ``b`` under ``samples`` weight rows drawn ``block`` at a time."""
    both = sparse.csc_matrix(np.hstack([a, b])).T.tocsr()
    sums = np.vstack([(both @ draw(size).T).T for size in _blocks(samples, block)])
    return sums[:, : a.shape[1]], sums[:, a.shape[1] :]


def paired_bootstrap(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    metric: str = "micro_f1",
    samples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    block: int = 250,
) -> PairedResult:
    """Compare model b with model a on the same articles (indicator matrices).

    The interval is the percentile interval of the bootstrap differences; the p-value is
    two-sided, from ``samples`` random swaps of the two models' predictions per article
    (with the usual +1 correction, so it is never 0).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence} must be between 0 and 1")
    n = len(y_true)
    if n == 0 or samples < 1:
        raise ValueError("a comparison needs at least one article and one resample")
    a, b = article_counts(y_true, pred_a), article_counts(y_true, pred_b)
    score_a = float(metric_from_counts(metric, a.sum(0), n))
    score_b = float(metric_from_counts(metric, b.sum(0), n))
    delta = score_b - score_a
    rng = np.random.default_rng(seed)

    def resample(size: int) -> np.ndarray:
        rows = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        return np.bincount(rows.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)

    boot_a, boot_b = _weighted_sums(resample, a, b, samples, block)
    deltas = metric_from_counts(metric, boot_b, n) - metric_from_counts(metric, boot_a, n)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(deltas, [tail, 1.0 - tail])

    def swaps(size: int) -> np.ndarray:
        return (rng.random((size, n)) < 0.5).astype(np.float64)

    # Swapping article i moves b_i - a_i from a's sums to b's.
    moved, _ = _weighted_sums(swaps, b - a, np.zeros((n, 0)), samples, block)
    perm_a, perm_b = a.sum(0) + moved, b.sum(0) - moved
    perm_deltas = metric_from_counts(metric, perm_b, n) - metric_from_counts(metric, perm_a, n)
    extreme = np.count_nonzero(np.abs(perm_deltas) >= abs(delta) - 1e-12)
    p_value = float((extreme + 1) / (samples + 1))
    return PairedResult(
        metric,
        score_a,
        score_b,
        delta,
        float(low),
        float(high),
        confidence,
        p_value,
        samples,
        seed,
    )
