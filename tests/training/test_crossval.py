import numpy as np
import pytest
from sklearn.svm import LinearSVC

from classifier.data.corpus import Split
from classifier.errors import ConfigError
from classifier.model.tagger import TopicTagger
from classifier.training.crossval import check_metric, cross_validate, fold_indices


def test_folds_partition_the_data_and_keep_rare_labels_in_every_fold(synthetic):
    _, labels = synthetic
    labels = [*labels, ["rare"], ["rare"], ["rare"]]
    folds = fold_indices(labels, 3, seed=0)
    validation = np.concatenate([val for _, val in folds])
    assert sorted(validation.tolist()) == list(range(len(labels)))
    for train_idx, val_idx in folds:
        assert set(train_idx).isdisjoint(val_idx)
        assert any(labels[i] == ["rare"] for i in val_idx)


def test_single_label_folds_fall_back_when_a_class_is_too_small():
    labels = [["a"]] * 10 + [["b"]] * 10 + [["c"]]
    folds = fold_indices(labels, 5, seed=0)
    assert len(folds) == 5


def test_cross_validate_reports_mean_and_std_per_metric(synthetic):
    texts, labels = synthetic
    split = Split([str(i) for i in range(len(texts))], texts, labels)
    scores = cross_validate(TopicTagger(LinearSVC()), split, folds=3, seed=0)
    assert 0.7 < scores["micro_f1"] <= 1.0
    assert scores["micro_f1_std"] >= 0.0
    assert {"macro_f1", "hamming_loss", "accuracy"} <= set(scores)


def test_model_choice_accepts_cv_metrics_only():
    assert check_metric("cv_macro_f1") == "cv_macro_f1"
    for name in ("test_micro_f1", "micro_f1", "train_seconds"):
        with pytest.raises(ConfigError, match="cross-validation metric"):
            check_metric(name)


def test_more_folds_than_articles_is_a_config_error():
    split = Split(["a", "b", "c"], ["x y", "y z", "z x"], [["p"], ["q"], ["p"]])
    with pytest.raises(ConfigError, match=r"cv.folds=5 is more than the 3 training articles"):
        cross_validate(TopicTagger(LinearSVC()), split, folds=5)
