"""Figures logged with every run: per-label F1 and per-label confusion counts.

Built with matplotlib's object API (no pyplot), so no global figure state or GUI backend.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

from classifier.model.metrics import Evaluation


def _height(n_rows: int) -> float:
    return max(3.0, 0.28 * n_rows + 1.2)


def per_label_f1(evaluation: Evaluation, title: str = "Per-label F1 (test)") -> Figure:
    """Horizontal bars of F1 per label, best first, with each label's support."""
    rows = sorted(evaluation.per_label, key=lambda r: (r["f1"], r["support"]))
    fig = Figure(figsize=(7, _height(len(rows))), layout="constrained")
    ax = fig.subplots()
    ax.barh([str(r["label"]) for r in rows], [r["f1"] for r in rows], color="#3b75af")
    for y, row in enumerate(rows):
        ax.text(min(row["f1"], 0.98), y, f" n={row['support']}", va="center", fontsize=7)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("F1")
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7)
    return fig


def confusion(evaluation: Evaluation) -> Figure:
    """Multi-class: the confusion matrix. Multi-label: TP, FP, FN per label as a heat map."""
    labels = evaluation.labels
    if not evaluation.multilabel:
        truth = evaluation.y_true.argmax(axis=1)
        pred = evaluation.y_pred.argmax(axis=1)
        matrix = confusion_matrix(truth, pred, labels=range(len(labels)))
        fig = Figure(figsize=(1.5 + 0.45 * len(labels), 1.2 + 0.45 * len(labels)))
        ax = fig.subplots()
        ConfusionMatrixDisplay(matrix, display_labels=labels).plot(
            ax=ax, xticks_rotation="vertical", colorbar=False
        )
        ax.set_title("Confusion matrix (test)")
        fig.set_layout_engine("constrained")
        return fig
    t, p = evaluation.y_true, evaluation.y_pred
    counts = np.column_stack([(t & p).sum(0), (~t & p).sum(0), (t & ~p).sum(0)])
    fig = Figure(figsize=(5, _height(len(labels))), layout="constrained")
    ax = fig.subplots()
    # Colour by the share of each label's row, so rare labels are as readable as common ones.
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", aspect="auto", vmin=0, vmax=1)
    for (i, j), value in np.ndenumerate(counts):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(3), ["true pos.", "false pos.", "false neg."])
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title("Per-label confusion counts (test)")
    return fig
