import numpy as np
import pytest

from classifier.model.thresholds import best_f1_threshold, rank_threshold, tune_thresholds


def test_threshold_separates_perfectly_separable_scores():
    scores = np.array([-2.0, -1.0, -0.5, 0.3, 0.8, 1.5])
    truth = np.array([0, 0, 0, 1, 1, 1])
    t = best_f1_threshold(scores, truth, default=0.0)
    assert -0.5 < t < 0.3
    assert ((scores >= t) == truth.astype(bool)).all()


def test_threshold_moves_below_zero_when_positives_score_low():
    scores = np.array([-1.0, -0.9, -0.3, -0.2, -0.1])
    truth = np.array([0, 0, 1, 1, 1])
    t = best_f1_threshold(scores, truth, default=0.0)
    assert -0.9 < t < -0.3


def test_label_without_positives_keeps_default():
    assert best_f1_threshold(np.array([0.1, 0.2]), np.array([0, 0]), default=0.5) == 0.5


def test_ties_fall_on_one_side():
    scores = np.array([0.5, 0.5, 0.5, -1.0])
    truth = np.array([1, 0, 1, 0])
    t = best_f1_threshold(scores, truth, default=0.0)
    assert -1.0 < t < 0.5


def test_one_threshold_per_column():
    scores = np.array([[1.0, -1.0], [-1.0, 1.0], [0.5, 0.2]])
    truth = np.array([[1, 0], [0, 1], [1, 0]])
    assert tune_thresholds(scores, truth, 0.0).shape == (2,)


def test_rare_label_with_poor_best_f1_keeps_the_default():
    # One positive, ranked below 99 negatives: the "best" cut would pass 100 texts.
    scores = np.concatenate([np.linspace(1.0, 0.1, 99), [-0.5]])
    truth = np.zeros(100, dtype=int)
    truth[-1] = 1
    assert best_f1_threshold(scores, truth, default=0.0, min_f1=0.0) < -0.4
    assert best_f1_threshold(scores, truth, default=0.0, min_f1=0.3) == 0.0


def test_rank_threshold_keeps_as_many_texts_as_positives():
    scores = np.array([-0.2, -0.9, -0.5, -0.8, -0.95])
    truth = np.array([0, 0, 1, 0, 1])
    t = rank_threshold(scores, truth, default=0.0)
    assert (scores >= t).sum() == 2
    assert -0.8 < t < -0.5


def test_rank_threshold_of_a_label_without_positives_is_the_default():
    assert rank_threshold(np.array([0.1, 0.2]), np.array([0, 0]), default=0.5) == 0.5


def test_rank_fallback_replaces_the_default_of_poorly_separated_labels():
    # Column 0: separable, tuned by F1. Column 1: its one positive ranks third (F1 0.5).
    scores = np.array([[1.0, -0.1], [0.8, -0.2], [-1.0, -0.6], [-1.2, -0.9]])
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    default = tune_thresholds(scores, truth, 0.0, min_f1=0.6)
    rank = tune_thresholds(scores, truth, 0.0, min_f1=0.6, fallback="rank")
    assert default[1] == 0.0
    assert rank[1] == pytest.approx(-0.15)
    assert rank[0] == default[0]


def test_unknown_fallback_is_an_error():
    with pytest.raises(ValueError, match="fallback"):
        tune_thresholds(np.zeros((2, 1)), np.array([[1], [0]]), 0.0, fallback="pcut")
