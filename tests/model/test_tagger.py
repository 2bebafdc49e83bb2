import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from classifier.errors import ConfigError, DataError
from classifier.model.cleaning import TextCleaner
from classifier.model.tagger import TopicTagger
from tests.helpers import make_articles


@pytest.mark.parametrize(
    "model",
    [LinearSVC(), LogisticRegression(max_iter=500), SGDClassifier(random_state=0), ComplementNB()],
    ids=["linear_svc", "logreg", "sgd", "complement_nb"],
)
def test_every_model_learns_multilabel_topics(synthetic, model):
    texts, labels = synthetic
    tagger = TopicTagger(model).fit(texts[:150], labels[:150])
    assert tagger.multilabel_
    assert tagger.labels_ == ["agriculture", "energy", "market", "regulation"]
    predicted = tagger.predict(texts[150:])
    exact = np.mean([sorted(p) == sorted(t) for p, t in zip(predicted, labels[150:], strict=True)])
    assert exact > 0.7, exact


def test_probability_models_use_a_half_threshold(synthetic):
    texts, labels = synthetic
    tagger = TopicTagger(ComplementNB()).fit(texts, labels)
    assert tagger.score_kind_ == "probability"
    assert np.all(tagger.thresholds_ == 0.5)
    scores = tagger.decision_function(texts[:5])
    assert scores.shape == (5, 4)
    assert np.all((scores >= 0) & (scores <= 1))


def test_single_label_data_gives_a_multiclass_model():
    texts, labels = make_articles(120, seed=1)
    single = [[lab[0]] for lab in labels]
    tagger = TopicTagger(LinearSVC()).fit(texts, single)
    assert not tagger.multilabel_
    assert all(len(p) == 1 for p in tagger.predict(texts))


def test_binary_single_label_has_one_score_column_per_label():
    texts = ["oil gas grid", "wheat corn farm"] * 10
    tagger = TopicTagger(LinearSVC()).fit(texts, [["energy"], ["agriculture"]] * 10)
    assert tagger.decision_function(["oil"]).shape == (1, 2)
    assert tagger.predict(["oil grid", "corn"]) == [["energy"], ["agriculture"]]


def test_at_least_one_label_fills_empty_predictions(synthetic):
    texts, labels = synthetic
    strict = TopicTagger(LinearSVC(), at_least_one=False).fit(texts, labels)
    lenient = TopicTagger(LinearSVC(), at_least_one=True).fit(texts, labels)
    unrelated = ["completely unrelated words about nothing at all"]
    assert strict.predict(unrelated) == [[]]
    assert len(lenient.predict(unrelated)[0]) == 1


def test_tuned_thresholds_come_from_training_data_only(synthetic):
    texts, labels = synthetic
    tagger = TopicTagger(LinearSVC(), tune_thresholds=True, threshold_cv=3).fit(texts, labels)
    assert tagger.thresholds_.shape == (4,)
    assert not np.all(tagger.thresholds_ == 0.0)
    again = TopicTagger(LinearSVC(), tune_thresholds=True, threshold_cv=3).fit(texts, labels)
    np.testing.assert_array_equal(tagger.thresholds_, again.thresholds_)


def test_cleaning_travels_inside_the_model():
    texts = ["Oil/Gas output", "Wheat/Corn harvest"] * 5
    tagger = TopicTagger(LinearSVC(), cleaner=TextCleaner()).fit(
        texts, [["energy"], ["agriculture"]] * 5
    )
    vocabulary = tagger.transformer_.named_steps["features"].vocabulary_
    assert "oil" in vocabulary and "oilgas" not in vocabulary


def test_fewer_than_two_labels_is_a_data_error():
    with pytest.raises(DataError, match="at least two"):
        TopicTagger(LinearSVC()).fit(["a b", "c d"], [["x"], ["x"]])


def test_labels_unknown_to_the_model_are_ignored_in_indicators(synthetic):
    texts, labels = synthetic
    tagger = TopicTagger(LinearSVC()).fit(texts, labels)
    matrix = tagger.indicator_from_labels([["energy", "sports"]])
    assert matrix.tolist() == [[False, True, False, False]]


def test_threaded_one_vs_rest_with_logistic_regression_is_safe(synthetic):
    """LogisticRegression inspects the shared matrix in every thread; it must stay intact."""
    texts, labels = synthetic
    tagger = TopicTagger(LogisticRegression(solver="liblinear"), n_jobs=2)
    for _ in range(3):
        tagger.fit(texts, labels)
    assert tagger.predict(texts[:1])


def test_threshold_shrink_moves_thresholds_part_of_the_way(synthetic):
    texts, labels = synthetic
    kwargs = dict(tune_thresholds=True, threshold_cv=3, threshold_min_f1=0.0)
    full = TopicTagger(LinearSVC(), threshold_shrink=1.0, **kwargs).fit(texts, labels)
    half = TopicTagger(LinearSVC(), threshold_shrink=0.5, **kwargs).fit(texts, labels)
    np.testing.assert_allclose(half.thresholds_, full.thresholds_ / 2)


def test_rare_labels_get_their_own_shrink(synthetic):
    texts, labels = synthetic
    kwargs = dict(tune_thresholds=True, threshold_cv=3, threshold_min_f1=0.0)
    full = TopicTagger(LinearSVC(), threshold_shrink=1.0, **kwargs).fit(texts, labels)
    split = TopicTagger(
        LinearSVC(),
        threshold_shrink=0.5,
        threshold_shrink_rare=1.0,
        threshold_rare_count=60,  # only energy (56 articles) is rare
        **kwargs,
    ).fit(texts, labels)
    rare = np.array([name == "energy" for name in split.labels_])
    np.testing.assert_allclose(split.thresholds_[rare], full.thresholds_[rare])
    np.testing.assert_allclose(split.thresholds_[~rare], full.thresholds_[~rare] / 2)


def test_rank_fallback_lowers_the_cut_of_poorly_separated_labels(synthetic):
    texts, labels = synthetic
    kwargs = dict(tune_thresholds=True, threshold_cv=3, threshold_min_f1=1.01)
    default = TopicTagger(LinearSVC(), **kwargs).fit(texts, labels)
    rank = TopicTagger(LinearSVC(), threshold_fallback="rank", **kwargs).fit(texts, labels)
    assert np.all(default.thresholds_ == 0.0)
    assert not np.all(rank.thresholds_ == 0.0)


def test_unknown_threshold_fallback_is_a_config_error(synthetic):
    texts, labels = synthetic
    with pytest.raises(ConfigError, match="threshold_fallback"):
        TopicTagger(LinearSVC(), tune_thresholds=True, threshold_fallback="pcut").fit(texts, labels)
