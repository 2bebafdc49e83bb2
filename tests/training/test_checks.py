from classifier.data.corpus import Corpus, Split
from classifier.training.checks import check_corpus


def corpus(train, test):
    def split(rows):
        return Split(
            [str(i) for i in range(len(rows))], [t for t, _ in rows], [labels for _, labels in rows]
        )

    return Corpus("c", "mem", split(train), split(test))


def test_duplicates_between_splits_are_counted():
    train = [("Oil prices rose 5% on Monday.", ["energy"]), ("Wheat harvest", ["agri"])]
    test = [
        ("Oil prices rose 5% on Monday.", ["energy"]),  # identical
        ("OIL PRICES ROSE 7 percent... on Monday", ["energy"]),  # differs in case/numbers/words
        ("oil prices rose on monday", ["energy"]),  # same words without number/punctuation
        ("Something new", ["agri"]),
    ]
    _, report = check_corpus(corpus(train, test))
    assert report.exact_duplicates == 1
    assert report.near_duplicates == 2
    assert report.metrics()["data_near_duplicates"] == 2.0


def test_rare_labels_are_dropped_from_both_splits(caplog):
    train = [("a", ["x", "rare"]), ("b", ["x"]), ("c", ["y"]), ("d", ["y"])]
    test = [("e", ["rare"]), ("f", ["x", "y"])]
    cleaned, report = check_corpus(corpus(train, test), min_count=2)
    assert report.dropped_labels == {"rare": 1}
    assert cleaned.train.labels[0] == ["x"]
    # Multi-label data: the article stays, as a negative for every label.
    assert cleaned.test.labels == [[], ["x", "y"]]
    assert "rare" in caplog.text


def test_single_label_articles_of_a_dropped_label_are_dropped():
    train = [("a", ["x"]), ("b", ["x"]), ("c", ["y"]), ("d", ["y"]), ("e", ["rare"])]
    test = [("f", ["rare"]), ("g", ["x"])]
    cleaned, report = check_corpus(corpus(train, test), min_count=2)
    assert cleaned.train.texts == ["a", "b", "c", "d"]
    assert cleaned.test.texts == ["g"]
    assert report.dropped_articles == 2


def test_cardinality_and_empty_counts():
    _, report = check_corpus(corpus([("a", ["x", "y"]), (" ", ["x"])], [("b", ["y"])]))
    assert report.label_cardinality_train == 1.5
    assert report.empty_train == 1
