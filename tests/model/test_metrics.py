import numpy as np
import pytest
from sklearn.svm import LinearSVC

from classifier.data.corpus import Split
from classifier.model.metrics import evaluate, score_indicators
from classifier.model.tagger import TopicTagger
from classifier.tracking.plots import confusion, per_label_scores


def test_multilabel_metrics_match_hand_counts():
    truth = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    pred = np.array([[1, 0], [1, 0], [1, 1]], dtype=bool)
    result = score_indicators(truth, pred, ["a", "b"], multilabel=True)
    # tp=3, fp=1, fn=1 over all labels
    assert result.metrics["micro_precision"] == pytest.approx(0.75)
    assert result.metrics["micro_recall"] == pytest.approx(0.75)
    assert result.metrics["micro_f1"] == pytest.approx(0.75)
    assert result.metrics["accuracy"] == pytest.approx(1 / 3)  # subset accuracy
    assert result.metrics["hamming_loss"] == pytest.approx(2 / 6)
    assert [row["support"] for row in result.per_label] == [2, 2]
    assert result.prefixed("test_")["test_micro_f1"] == pytest.approx(0.75)


def test_multiclass_accuracy_and_no_hamming_loss():
    truth = np.eye(3, dtype=bool)[[0, 1, 2, 2]]
    pred = np.eye(3, dtype=bool)[[0, 1, 1, 2]]
    result = score_indicators(truth, pred, ["a", "b", "c"], multilabel=False)
    assert result.metrics["accuracy"] == pytest.approx(0.75)
    assert "hamming_loss" not in result.metrics


def test_evaluate_and_plots_on_a_fitted_tagger(synthetic):
    texts, labels = synthetic
    tagger = TopicTagger(LinearSVC()).fit(texts[:150], labels[:150])
    split = Split([str(i) for i in range(50)], texts[150:], labels[150:])
    result = evaluate(tagger, split)
    assert set(result.metrics) >= {
        "micro_f1",
        "macro_f1",
        "weighted_f1",
        "micro_precision",
        "micro_recall",
        "accuracy",
        "hamming_loss",
    }
    assert result.metrics["micro_f1"] > 0.8
    for figure in (per_label_scores(result), confusion(result)):
        assert len(figure.axes) == 1
        assert figure.axes[0].get_title(loc="left")
