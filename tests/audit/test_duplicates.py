import numpy as np
import pytest

from classifier.audit.confusions import confused_pairs
from classifier.audit.duplicates import find_duplicates, similar_pairs
from classifier.data.corpus import Split
from classifier.errors import ConfigError


def _with_copies(demo):
    """The demo splits plus an exact copy of a training article in the test split with
    another label, and a near copy (last paragraph changed) in training with its label."""
    train, test = demo.train, demo.test
    row = train.ids.index("demo-0001")
    text = train.texts[row]
    near = text.rsplit("\n\n", 1)[0] + "\n\nThe exchange will publish a new estimate next month."
    train2 = Split(
        [*train.ids, "near-0001"], [*train.texts, near], [*train.labels, ["agriculture"]]
    )
    test2 = Split([*test.ids, "copy-0001"], [*test.texts, text], [*test.labels, ["market"]])
    return {"train": train2, "test": test2}


def test_exact_and_near_copies_with_different_labels_come_first(demo):
    groups = find_duplicates(_with_copies(demo), threshold=0.8)
    first = groups[0]
    assert {(m.split, m.id) for m in first.members} == {
        ("train", "demo-0001"),
        ("train", "near-0001"),
        ("test", "copy-0001"),
    }
    assert first.conflicting and first.cross_split and not first.exact
    assert 0.8 <= first.similarity < 1.0
    conflicting = [g.conflicting for g in groups]
    assert conflicting == sorted(conflicting, reverse=True)


def test_an_exact_copy_alone_is_an_exact_group(demo):
    splits = _with_copies(demo)
    train = splits["train"].subset(range(len(splits["train"]) - 1))  # drop the near copy
    groups = find_duplicates({"train": train, "test": splits["test"]}, threshold=0.95)
    copy = next(g for g in groups if any(m.id == "copy-0001" for m in g.members))
    assert copy.exact and copy.similarity == pytest.approx(1.0)
    assert sorted(m.id for m in copy.members) == ["copy-0001", "demo-0001"]


def test_distinct_articles_are_not_duplicates(demo):
    assert find_duplicates({"train": demo.train}, threshold=0.9) == []


def test_empty_texts_are_never_duplicates_and_threshold_is_checked():
    pairs, sims = similar_pairs(["...", "!!!", "wheat harvest", "wheat harvest"], 0.9)
    assert pairs.tolist() == [[2, 3]] and sims[0] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="threshold"):
        similar_pairs(["a b", "a b"], 1.5)


def test_confused_pairs_count_missed_given_label_against_predicted_one():
    labels = ["a", "b", "c"]
    given = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    predicted = np.array([[0, 1, 0], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=bool)
    pairs = confused_pairs(labels, given, predicted)
    assert [(p.given, p.predicted, p.count) for p in pairs] == [
        ("a", "b", 2),
        ("a", "c", 1),
        ("c", "a", 1),
    ]
    assert pairs[0].share == pytest.approx(2 / 3)
    assert len(confused_pairs(labels, given, predicted, top=1)) == 1
