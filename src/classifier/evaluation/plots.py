"""Figures of an evaluation: precision-recall curves with the model's threshold marked,
and the paired differences between models with their confidence intervals.

Built with matplotlib's object API (no pyplot), like the training plots.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from classifier.evaluation.bootstrap import PairedResult
from classifier.evaluation.evaluate import ModelScores


def _operating_point(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    tp = float(np.sum(truth & predicted))
    precision = tp / max(float(predicted.sum()), 1.0)
    recall = tp / max(float(truth.sum()), 1.0)
    return recall, precision


def pr_curves(scores: ModelScores, multilabel: bool, top: int = 6) -> Figure:
    """Precision-recall curves of the ``top`` most frequent labels in the file.

    The marked point is where the model's threshold cuts the curve (multi-label), or the
    model's own predictions (multi-class: the best-scoring label wins, no threshold).
    """
    truth = scores.evaluation.y_true
    support = truth.sum(axis=0)
    chosen = [j for j in np.argsort(-support, kind="stable")[:top] if support[j] > 0]
    cols = min(3, max(len(chosen), 1))
    rows = max(math.ceil(len(chosen) / cols), 1)
    fig = Figure(figsize=(3.3 * cols, 3.0 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, j in zip(axes, chosen, strict=False):
        precision, recall, _ = precision_recall_curve(truth[:, j], scores.scores[:, j])
        ax.plot(recall, precision, color="#3b75af", lw=1.2)
        if multilabel:
            cut = scores.scores[:, j] >= scores.thresholds[j]
            mark = f"threshold {scores.thresholds[j]:.2f}"
        else:
            cut = scores.evaluation.y_pred[:, j]
            mark = "predicted (best label)"
        r, p = _operating_point(truth[:, j], cut)
        ax.plot([r], [p], "o", color="#d62728", label=f"{mark}: P {p:.2f} R {r:.2f}")
        ax.set_title(f"{scores.labels[j]} (n={int(support[j])})", fontsize=9)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes[len(chosen) :]:
        ax.set_axis_off()
    fig.suptitle("Precision-recall, most frequent labels (evaluation)", fontsize=10)
    return fig


def differences(pairs: list[tuple[str, str, PairedResult]], margin: float | None = None) -> Figure:
    """One bar per (pair, metric): the difference b - a with its confidence interval."""
    fig = Figure(figsize=(7, 1.2 + 0.6 * len(pairs)), layout="constrained")
    ax = fig.subplots()
    for y, (_, _, r) in enumerate(pairs):
        # Green: better beyond chance; red: worse; grey: the interval holds 0.
        color = "#2ca02c" if r.ci_low > 0 else "#d62728" if r.ci_high < 0 else "#7f7f7f"
        error = [[r.delta - r.ci_low], [r.ci_high - r.delta]]
        ax.errorbar([r.delta], [y], xerr=error, fmt="o", color=color, capsize=4)
    ax.axvline(0.0, color="black", lw=0.8)
    if margin:
        ax.axvline(margin, color="#ff7f0e", lw=0.8, ls="--", label=f"margin {margin:+g}")
        ax.legend(fontsize=7)
    ax.set_yticks(range(len(pairs)), [f"{b} - {a}\n{r.metric}" for a, b, r in pairs], fontsize=7)
    ax.invert_yaxis()
    confidence = pairs[0][2].confidence if pairs else 0.95
    ax.set_xlabel(f"difference (b - a), {confidence:.0%} paired bootstrap interval")
    ax.set_title("Model differences on the evaluation file")
    return fig
