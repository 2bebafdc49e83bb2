"""The run's figures at 5 and at 90 labels (Reuters has 90): readable size, values printed,
titles naming run and model, and the right counts."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from classifier.model.metrics import score_indicators
from classifier.tracking import plots

SUBJECT = "reuters-linear_svc · LinearSVC"


def evaluation(n_labels: int, multilabel: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = [f"topic-{i:02d}" for i in range(n_labels)]
    freq = rng.dirichlet(np.ones(n_labels))
    if multilabel:
        truth = rng.random((800, n_labels)) < freq * 3
        pred = truth ^ (rng.random(truth.shape) < 0.03)
    else:
        c = rng.choice(n_labels, size=800, p=freq)
        guess = np.where(rng.random(800) < 0.8, c, rng.choice(n_labels, size=800))
        truth, pred = np.eye(n_labels, dtype=bool)[c], np.eye(n_labels, dtype=bool)[guess]
    return score_indicators(truth, pred, labels, multilabel)


def png_size(figure) -> tuple[int, int]:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Image.open(buffer).size


def texts(figure) -> list[str]:
    return [t.get_text() for ax in figure.axes for t in ax.texts]


@pytest.mark.parametrize("n_labels", [5, 90])
@pytest.mark.parametrize("multilabel", [True, False])
def test_every_plot_is_titled_with_run_and_model_at_150_dpi(n_labels, multilabel):
    result = evaluation(n_labels, multilabel)
    for figure in (plots.per_label_scores(result, SUBJECT), plots.confusion(result, SUBJECT)):
        assert figure.dpi >= 150
        assert SUBJECT in figure.axes[0].get_title(loc="left")
        width, height = png_size(figure)
        # At least 20 pixels of height per label row (8-point text at 150 dpi is 17).
        rows = len(figure.axes[0].get_yticks())
        assert height >= 20 * rows and width >= 800


@pytest.mark.parametrize("n_labels", [5, 90])
def test_per_label_plot_prints_precision_recall_f1_and_support(n_labels):
    result = evaluation(n_labels, multilabel=True)
    figure = plots.per_label_scores(result, SUBJECT)
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert sorted(ticks) == sorted(result.labels)
    first = max(result.per_label, key=lambda r: r["support"])
    assert ticks[0] == first["label"]  # most frequent at the top
    line = (
        f"P {first['precision']:.2f}   R {first['recall']:.2f}   F1 {first['f1']:.2f}   "
        f"n={first['support']}"
    )
    assert line in texts(figure)
    assert len(texts(figure)) == n_labels


def test_multiclass_confusion_is_a_real_confusion_matrix():
    result = evaluation(5, multilabel=False)
    figure = plots.confusion(result, SUBJECT)
    matrix = np.zeros((5, 5), dtype=int)
    for t, p in zip(result.y_true.argmax(1), result.y_pred.argmax(1), strict=True):
        matrix[t, p] += 1
    printed = sorted(int(t) for t in texts(figure))
    assert printed == sorted(int(v) for v in matrix.ravel() if v)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == result.labels


def test_multiclass_confusion_at_90_classes_keeps_those_with_most_errors():
    result = evaluation(90, multilabel=False)
    figure = plots.confusion(result, SUBJECT)
    assert len(figure.axes[0].get_xticklabels()) == plots.MAX_MATRIX_LABELS
    assert f"{plots.MAX_MATRIX_LABELS} of 90 classes" in figure.axes[0].get_title(loc="left")


def test_multilabel_confusions_count_b_predicted_where_truth_was_a():
    labels = ["a", "b", "c"]
    truth = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=bool)
    pred = np.array([[0, 1, 0], [1, 1, 0], [1, 0, 0], [0, 1, 1], [1, 1, 0]], dtype=bool)
    result = score_indicators(truth, pred, labels, multilabel=True)
    # a -> b twice (once instead of a, once besides it), b -> c once (besides b).
    assert plots.confusion_pairs(result) == [("a", "b", 2, 1), ("b", "c", 1, 0)]
    figure = plots.confusion(result, SUBJECT)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["a  →  b", "b  →  c"]


def test_multilabel_confusions_at_90_labels_show_the_most_frequent_pairs():
    result = evaluation(90, multilabel=True)
    pairs = plots.confusion_pairs(result)
    figure = plots.confusion(result, SUBJECT)
    shown = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(shown) == plots.MAX_PAIRS < len(pairs)
    assert shown[0] == f"{pairs[0][0]}  →  {pairs[0][1]}"
