"""Figures logged with every run: per-label precision, recall and F1, and what the model
confuses (a confusion matrix for multi-class data, the most frequent label swaps for
multi-label data).

Titles name the run and the model, so a saved or shared picture says what it shows.
Built with matplotlib's object API (no pyplot): no global figure state, no GUI backend.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory
from sklearn.metrics import confusion_matrix

from classifier.model.metrics import Evaluation

DPI = 150
# A multi-class matrix shows at most this many classes (those with the most errors).
MAX_MATRIX_LABELS = 30
# A multi-label plot shows at most this many (truth, predicted) pairs.
MAX_PAIRS = 20
_COLOURS = {"f1": "#4c72b0", "precision": "#dd8452", "recall": "#55a868"}


def _title(text: str, subject: str) -> str:
    return f"{text}\n{subject}" if subject else text


def per_label_scores(evaluation: Evaluation, subject: str = "") -> Figure:
    """One row per label, most frequent first: an F1 bar, precision and recall markers,
    and the three values with the label's test support printed beside the row."""
    rows = sorted(evaluation.per_label, key=lambda r: (-int(r["support"]), str(r["label"])))
    n = len(rows)
    fig = Figure(figsize=(10, 0.27 * n + 1.9), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    y = np.arange(n)
    f1 = [float(r["f1"]) for r in rows]
    ax.barh(y, f1, height=0.7, color=_COLOURS["f1"], alpha=0.85, label="F1")
    for key, marker in (("precision", "D"), ("recall", "o")):
        values = [float(r[key]) for r in rows]
        ax.scatter(
            values, y, marker=marker, s=22, color=_COLOURS[key], zorder=3, clip_on=False, label=key
        )
    # Values in a column right of the axes: x in axes units, y in data units.
    text_at = blended_transform_factory(ax.transAxes, ax.transData)
    for i, r in enumerate(rows):
        ax.text(
            1.02,
            i,
            f"P {r['precision']:.2f}   R {r['recall']:.2f}   F1 {r['f1']:.2f}   n={r['support']}",
            transform=text_at,
            va="center",
            fontsize=8,
            family="monospace",
        )
    ax.set_yticks(y, [str(r["label"]) for r in rows], fontsize=8)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel("score on the test split (n: test articles with the label)")
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    ax.set_title(_title("Per-label precision, recall and F1 (test)", subject), loc="left")
    return fig


def confusion(evaluation: Evaluation, subject: str = "") -> Figure:
    """Multi-class: the confusion matrix. Multi-label: the most frequent label confusions."""
    if evaluation.multilabel:
        return label_confusions(evaluation, subject)
    return confusion_matrix_plot(evaluation, subject)


def confusion_matrix_plot(evaluation: Evaluation, subject: str = "") -> Figure:
    """Counts of (true class, predicted class); cells coloured by the share of the true
    class's articles, so rare and frequent classes read alike. Beyond
    :data:`MAX_MATRIX_LABELS` classes, those with the most errors."""
    labels = np.array(evaluation.labels)
    truth = evaluation.y_true.argmax(axis=1)
    pred = evaluation.y_pred.argmax(axis=1)
    matrix = confusion_matrix(truth, pred, labels=range(len(labels)))
    title = "Confusion matrix (test)"
    if len(labels) > MAX_MATRIX_LABELS:
        errors = matrix.sum(0) + matrix.sum(1) - 2 * np.diag(matrix)
        keep = np.sort(np.argsort(-errors, kind="stable")[:MAX_MATRIX_LABELS])
        matrix, labels = matrix[np.ix_(keep, keep)], labels[keep]
        title += f"\n{MAX_MATRIX_LABELS} of {len(evaluation.labels)} classes, most errors"
    k = len(labels)
    side = max(5.5, 2.5 + 0.42 * k)
    fig = Figure(figsize=(side + 1.0, side), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    diagonal = np.eye(k, dtype=bool)
    # Correct predictions and errors on their own colour scales: errors are small shares
    # and would vanish on the diagonal's scale.
    worst = max(float(shares[~diagonal].max(initial=0.0)), 0.01)
    right = ax.imshow(np.ma.masked_where(~diagonal, shares), cmap="Blues", vmin=0, vmax=1)
    wrong = ax.imshow(np.ma.masked_where(diagonal, shares), cmap="Reds", vmin=0, vmax=worst)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            dark = shares[i, j] > (0.55 if i == j else 0.55 * worst)
            colour = "white" if dark else "#1f2328"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color=colour)
    fig.colorbar(right, ax=ax, shrink=0.5, label="correct: share of the true class")
    fig.colorbar(wrong, ax=ax, shrink=0.5, label="errors: share of the true class")
    ax.set_xticks(range(k), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(k), labels, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(_title(title, subject), loc="left", fontsize=10)
    return fig


def confusion_pairs(evaluation: Evaluation) -> list[tuple[str, str, int, int]]:
    """(true label A, predicted label B, articles, of which A was missed) for each pair
    where an article with A was tagged B without being B. Most frequent first."""
    t, p = evaluation.y_true.astype(bool), evaluation.y_pred.astype(bool)
    wrong = (p & ~t).astype(np.int64)
    together = t.astype(np.int64).T @ wrong
    instead = (t & ~p).astype(np.int64).T @ wrong
    pairs = [
        (evaluation.labels[a], evaluation.labels[b], int(together[a, b]), int(instead[a, b]))
        for a, b in zip(*np.nonzero(together), strict=True)
    ]
    return sorted(pairs, key=lambda x: (-x[2], -x[3], x[0], x[1]))


def label_confusions(evaluation: Evaluation, subject: str = "") -> Figure:
    """The :data:`MAX_PAIRS` most frequent confusions (B predicted on an article whose true
    label is A), each bar split into "instead of A" (A missed) and "besides A"."""
    pairs = confusion_pairs(evaluation)[:MAX_PAIRS]
    fig = Figure(figsize=(10, 0.32 * max(len(pairs), 3) + 2.2), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    title = "Most frequent label confusions (test): B predicted on articles whose true label is A"
    ax.set_title(_title(title, subject), loc="left", fontsize=10)
    if not pairs:
        ax.text(0.5, 0.5, "no label predicted wrongly on the test split", ha="center")
        ax.set_axis_off()
        return fig
    y = np.arange(len(pairs))
    total = np.array([n for _, _, n, _ in pairs])
    instead = np.array([m for _, _, _, m in pairs])
    ax.barh(y, instead, height=0.7, color="#c44e52", label="instead of A (A missed)")
    ax.barh(y, total - instead, left=instead, height=0.7, color="#f0a0a0", label="besides A")
    for i, (n, m) in enumerate(zip(total, instead, strict=True)):
        ax.text(n, i, f" {n}  ({m} instead of A)", va="center", fontsize=8)
    ax.set_yticks(y, [f"{a}  →  {b}" for a, b, _, _ in pairs], fontsize=8)
    ax.set_ylim(len(pairs) - 0.5, -0.5)
    ax.set_xlim(0, total.max() * 1.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("test articles with true label A that were tagged B (A  →  B)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return fig
