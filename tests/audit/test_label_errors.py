import numpy as np
import pytest
from sklearn.svm import LinearSVC

from classifier.audit.label_errors import evidence, rank_label_issues, within_spread
from classifier.audit.margins import margins
from classifier.data.corpus import Split
from classifier.data.labels import label_indicator
from classifier.errors import ConfigError
from classifier.model.tagger import TopicTagger
from classifier.training.crossval import out_of_fold
from tests.audit.conftest import demo_tagger
from tests.helpers import TOPIC_WORDS, make_articles


def test_evidence_is_zero_at_the_threshold_and_one_at_the_other_sides_mean():
    # one label: positives' margins average 1.0, negatives' -1.0, each side's spread
    # below that distance (so the spread floor does not bind)
    margin = np.array([[2.0], [0.0], [-3.0], [-1.0], [1.0], *[[1.0]] * 4, *[[-1.0]] * 20])
    given = np.array([[True], [True], [False], [False], [False], *[[True]] * 4, *[[False]] * 20])
    ev = evidence(margin, given)
    assert ev[1, 0] == 0.0  # a positive at the threshold
    assert ev[0, 0] == pytest.approx(-2.0)  # a confident positive: evidence for it
    assert ev[4, 0] == pytest.approx(1.0)  # a negative scored like the average positive
    assert ev[3, 0] == pytest.approx(-1.0)
    assert ev[2, 0] == pytest.approx(-3.0)


def test_evidence_divisor_is_at_least_half_the_gap_between_the_means():
    # positives barely above the threshold (mean 0.1), negatives far below (mean -1.9)
    margin = np.array([[0.1], [0.1], [0.5], *[[-2.0]] * 20])
    given = np.array([[True], [True], [False], *[[False]] * 20])
    ev = evidence(margin, given)
    gap = 0.1 - (0.5 - 40.0) / 21
    assert ev[2, 0] == pytest.approx(0.5 / (gap / 2))  # not 0.5 / 0.1


def test_evidence_divisor_is_at_least_the_spread_of_the_labels_margins():
    # A rare label whose positives score like its negatives (means -0.99 and about -1):
    # without the floor a negative just past the threshold gets the margin divided by
    # half a tiny gap; with it, by the margins' spread around their side's mean.
    rng = np.random.default_rng(0)
    negatives = -1.0 + 0.3 * rng.standard_normal(2000)
    margin = np.r_[-0.99, -0.99, 0.2, negatives][:, None]
    given = np.zeros_like(margin, dtype=bool)
    given[:2] = True
    pos, neg = margin[given[:, 0], 0], margin[~given[:, 0], 0]
    gap = pos.mean() - neg.mean()
    assert 0 < gap < 0.05
    spread = within_spread(pos, neg)
    assert spread == pytest.approx(neg.std(), rel=1e-3)  # the two positives add no spread

    before = evidence(margin, given, spread_floor=False)
    assert before[2, 0] == pytest.approx(0.2 / (gap / 2))  # outsized: above 8
    assert before[2, 0] > 8

    ev = evidence(margin, given)
    assert ev[2, 0] == pytest.approx(0.2 / spread)
    assert 0 < ev[2, 0] < 1  # past the threshold, but well within the scores' noise
    # the bound: no evidence exceeds the article's margin in units of the spread
    assert (np.abs(ev) <= np.abs(margin) / spread + 1e-12).all()
    # an article past the threshold by several spreads is still confident
    margin[3, 0] = 4 * spread
    assert evidence(margin, given)[3, 0] >= 1


def test_no_evidence_for_labels_without_both_sides_or_separation():
    margin = np.array([[0.5, 1.0], [-0.5, -1.0], [0.2, 2.0]])
    given = np.array([[True, True], [True, False], [True, True]])
    ev = evidence(margin, given)
    assert np.isnan(ev[:, 0]).all()  # every article has label 0
    margin_flat = np.array([[-1.0], [1.0]])  # positives below negatives: no separation
    assert np.isnan(evidence(margin_flat, np.array([[True], [False]]))).all()


def test_single_label_margins_are_against_the_best_other_label():
    scores = np.array([[2.0, 1.0, -1.0], [0.0, 3.0, np.nan]])
    m = margins(scores, np.zeros(3), multilabel=False)
    assert m[0].tolist() == [1.0, -1.0, -3.0]
    assert m[1, :2].tolist() == [-3.0, 3.0] and np.isnan(m[1, 2])


def _planted(split: Split, row: int, labels: list[str]) -> Split:
    new = [list(x) for x in split.labels]
    new[row] = labels
    return Split(split.ids, split.texts, new)


def _issues(demo, planted: Split, **options):
    oof = out_of_fold(demo_tagger(), planted, folds=5, seed=0)
    return rank_label_issues(
        planted.ids, label_indicator(planted.labels, demo.label_names), oof, **options
    )


def test_a_planted_wrong_label_tops_the_list(demo):
    train = demo.train
    row = train.ids.index("demo-0001")  # Argentine wheat harvest: agriculture
    assert train.labels[row] == ["agriculture"]
    issues = _issues(demo, _planted(train, row, ["health"]))
    top = issues[0]
    assert top.id == "demo-0001"
    assert top.given == ["health"]
    assert top.suspected == ["agriculture"]
    assert top.confident
    assert "agriculture not given but scored" in top.reason
    assert "health given but scored" in top.reason
    assert [x.score for x in issues] == sorted((x.score for x in issues), reverse=True)
    assert all(x.score > 0 for x in issues)


def test_an_added_label_is_found_at_the_top(demo):
    row = demo.train.ids.index("demo-0001")
    issues = _issues(demo, _planted(demo.train, row, ["agriculture", "labour"]))
    ranked = [x.id for x in issues]
    assert "demo-0001" in ranked[:3]
    found = issues[ranked.index("demo-0001")]
    assert found.suspected == ["agriculture"]
    assert found.reason.startswith("labour given but scored")


def test_a_removed_label_is_found_at_the_top(demo):
    train = demo.train
    row = train.ids.index("demo-0007")  # container line shares rally: market, transport
    assert train.labels[row] == ["market", "transport"]
    issues = _issues(demo, _planted(train, row, ["market"]))
    ranked = [x.id for x in issues]
    assert "demo-0007" in ranked[:3]
    found = issues[ranked.index("demo-0007")]
    assert found.suspected == ["market", "transport"]
    assert found.reason.startswith("transport not given but scored")


def test_an_article_left_without_labels_is_confident_with_the_at_least_one_rule(demo):
    row = demo.train.ids.index("demo-0001")
    planted = _planted(demo.train, row, [])
    for at_least_one in (True, False):
        issues = _issues(demo, planted, at_least_one=at_least_one)
        found = next((x for x in issues if x.id == "demo-0001"), None)
        if at_least_one:
            assert found.confident and found.suspected == ["agriculture"]
            assert found.reason.startswith("no label given; agriculture not given")
        else:
            assert found is None or found.score < 1.0 or found.suspected == ["agriculture"]


def test_tuned_thresholds_are_an_option_and_unknown_choices_an_error(demo):
    row = demo.train.ids.index("demo-0001")
    issues = _issues(demo, _planted(demo.train, row, ["health"]), threshold="tuned")
    assert issues[0].id == "demo-0001"
    with pytest.raises(ConfigError, match=r"audit\.threshold='median'"):
        _issues(demo, demo.train, threshold="median")


def test_single_label_data_ranks_a_planted_wrong_label_first():
    texts, labels = make_articles(300, seed=3)
    keep = [i for i, item in enumerate(labels) if len(item) == 1][:150]
    split = Split([f"a{i}" for i in keep], [texts[i] for i in keep], [labels[i] for i in keep])
    row = 7
    true = split.labels[row][0]
    wrong = next(name for name in sorted(TOPIC_WORDS) if name != true)
    planted = _planted(split, row, [wrong])
    names = sorted(TOPIC_WORDS)
    oof = out_of_fold(TopicTagger(LinearSVC()), planted, folds=5, seed=0)
    assert not oof.multilabel
    issues = rank_label_issues(planted.ids, label_indicator(planted.labels, names), oof)
    top = issues[0]
    assert top.id == planted.ids[row] and top.suspected == [true] and top.confident
    assert f"{wrong} given but another label scored higher" in top.reason
    assert all(len(x.suspected) == 1 for x in issues)
