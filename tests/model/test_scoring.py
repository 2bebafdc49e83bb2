"""The fast scorer gives the scikit-learn pipeline's features (to 1e-9), its scores (to 1e-5:
the product uses float32 coefficients) and its labels (except within 1e-5 of a threshold)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from classifier.model.cleaning import TextCleaner
from classifier.model.decisions import near_threshold
from classifier.model.features import build_features
from classifier.model.scoring import Scorer
from classifier.model.tagger import TopicTagger
from tests.helpers import TOPIC_WORDS

# Tokeniser edge cases: single characters, digits and decimals, thousands separators,
# underscores, accents (composed and combining), ligatures, full-width letters, CJK, Greek,
# Cyrillic, apostrophes, hyphens, mixed case, symbols and control characters.
TRICKY = [
    *[
        "a",
        "I",
        "x",
        "7",
        "42",
        "4.5",
        "12,400",
        "3.14.15",
        "1,2,3",
        "snake_case",
        "__init__",
        "café",
        "naïve",
    ],
    *[
        "東京",
        "株式",
        "αβγ",
        "Ω",
        "москва",
        "d'or",
        "co-op",
        "e-mail",
        "U.S.",
        "A.B.C.",
        "x86_64",
        "MiXeD",
        "CASE",
    ],
    *["$5", "€3", "100%", "#tag", "@user", "http://x.io/a?b=c"],
    "cafe\u0301",  # combining accent
    "\ufb01nance",  # ligature
    "\uff21\uff22\uff23",  # full-width ABC
    "l\u2019\u00e9tat",  # typographic apostrophe
    "tab\x00nul",
    "\u200bzero",
]


def varied_texts(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    topics = sorted(TOPIC_WORDS)
    texts, labels = [], []
    for _ in range(n):
        chosen = sorted(rng.sample(topics, rng.choice([1, 1, 2])))
        words = " ".join(TOPIC_WORDS[t] for t in chosen).split()
        pool = words + TRICKY
        tokens = [rng.choice(pool) for _ in range(rng.randint(0, 40))]
        seps = [rng.choice([" ", " ", "  ", ", ", ". ", "\n", "/", "-"]) for _ in tokens]
        texts.append("".join(t + s for t, s in zip(tokens, seps, strict=True)))
        labels.append(chosen)
    return texts, labels


# Float32 coefficients: scores within this of the float64 pipeline's; a label may differ
# only where the pipeline's score lies within it of the label's threshold.
SCORE_TOL = 1e-5


def assert_scores_and_labels_match(tagger, scores, texts) -> int:
    """Scores to SCORE_TOL and labels equal to the float64 pipeline's, except where a label
    is near its threshold; returns the number of such near-threshold cells."""
    expected = tagger.decision_function(texts)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=SCORE_TOL)
    near = near_threshold(tagger.label_rules(), expected, SCORE_TOL)
    differ = tagger.indicator_from_scores(scores) != tagger.indicator_from_scores(expected)
    assert not (differ & ~near).any(), "labels differ away from any threshold"
    return int(near.sum())


TRAIN, LABELS = varied_texts(400, seed=1)
UNSEEN, _ = varied_texts(600, seed=2)
UNSEEN += ["", "   ", "a b c", "4.5 12,400", "東京 株式", "totally unknown words here"]


def fit(features: dict, cleaner: TextCleaner | None = None, classifier=None, labels=None):
    return TopicTagger(
        classifier or LinearSVC(),
        features=build_features(**features),
        cleaner=cleaner,
    ).fit(TRAIN, labels or LABELS)


WORD = {"ngram_range": (1, 2), "sublinear_tf": True}
CASES = {
    "default": ({"word": WORD}, None),
    "unigrams": ({"word": {"ngram_range": (1, 1)}}, None),
    "trigrams": ({"word": {"ngram_range": (1, 3), "sublinear_tf": True}}, None),
    "bigrams-only": ({"word": {"ngram_range": (2, 2)}}, None),
    "binary-l1-no-idf": (
        {"word": {"ngram_range": (1, 2), "binary": True, "norm": "l1", "use_idf": False}},
        None,
    ),
    "min-df": ({"word": {"ngram_range": (1, 2), "min_df": 3}}, None),
    "max-features": ({"word": {"ngram_range": (1, 2), "max_features": 60}}, None),
    "max-df": ({"word": {"ngram_range": (1, 2), "max_df": 0.1}}, None),
    "punctuation-kept": ({"word": WORD}, TextCleaner(punctuation="keep", normalize_unicode=False)),
    "digits-replaced": ({"word": WORD}, TextCleaner(digits="replace")),
    "digits-removed": ({"word": WORD}, TextCleaner(digits="remove")),
    "word-and-char": ({"word": WORD, "char": {"ngram_range": (2, 4)}}, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_features_and_scores_equal_the_pipeline(case):
    features, cleaner = CASES[case]
    tagger = fit(features, cleaner)
    scorer = Scorer(tagger)
    assert scorer.fast == ("char" not in features)
    X, oov = scorer.transform(UNSEEN)
    expected = tagger.transform_features(UNSEEN)
    assert X.shape == expected.shape
    assert abs(X - expected).max() <= 1e-9
    assert_scores_and_labels_match(tagger, scorer.scores(X), UNSEEN)
    assert oov.shape == (len(UNSEEN),) and ((oov >= 0) & (oov <= 1)).all()


@pytest.mark.parametrize(
    "classifier, labels",
    [
        (LogisticRegression(max_iter=500), None),
        (SGDClassifier(random_state=0), None),
        (LinearSVC(), [[lab[0]] for lab in LABELS]),  # single-label, 4 classes
        (LinearSVC(), [["energy" if "energy" in lab else "other"] for lab in LABELS]),  # binary
        (ComplementNB(), None),  # no decision_function: falls back to the model
    ],
)
def test_stacked_scores_equal_the_model_for_other_classifiers(classifier, labels):
    tagger = fit({"word": WORD}, classifier=classifier, labels=labels)
    scorer = Scorer(tagger)
    assert scorer.linear == (not isinstance(classifier, ComplementNB))
    X, _ = scorer.transform(UNSEEN)
    assert_scores_and_labels_match(tagger, scorer.scores(X), UNSEEN)


def test_the_scorer_keeps_a_compact_copy_and_leaves_the_model_as_it_was():
    tagger = fit({"word": WORD})
    estimators = tagger.model_.estimators_
    before = [e.coef_ for e in estimators]
    copies = [e.coef_.copy() for e in estimators]
    scorer = Scorer(tagger)
    assert scorer.coef.dtype == np.float32 and scorer.coef.flags.c_contiguous
    assert scorer.coef.shape == (len(scorer._word.vocabulary_), len(scorer.labels))
    for estimator, original, copy in zip(estimators, before, copies, strict=True):
        assert estimator.coef_ is original and estimator.coef_.dtype == np.float64
        np.testing.assert_array_equal(estimator.coef_, copy)
        assert not np.shares_memory(estimator.coef_, scorer.coef)


def test_oov_rate_is_the_share_of_unknown_word_tokens():
    tagger = fit({"word": WORD})
    scorer = Scorer(tagger)
    _, oov = scorer.transform(["oil gas zzzunknown qqqnever", "oil gas", "", "a b"])
    np.testing.assert_allclose(oov, [0.5, 0.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "features",
    [
        {"word": {"ngram_range": (1, 2), "max_df": 0.5}},  # batch n-gram lookup
        {"word": {"ngram_range": (1, 3), "max_df": 0.5}},  # one lookup per n-gram
        {"word": {"max_df": 0.5}, "char": {"ngram_range": (2, 3)}},  # the pipeline's features
    ],
    ids=["bigrams", "trigrams", "word-and-char"],
)
def test_words_cut_by_max_df_were_seen_so_they_are_not_out_of_vocabulary(features):
    tagger = TopicTagger(LinearSVC(), features=build_features(**features))
    tagger.fit([f"The {text}" for text in TRAIN], LABELS)
    assert "the" in tagger.frequent_words_
    scorer = Scorer(tagger)
    assert "the" not in scorer._word.vocabulary_
    _, oov = scorer.transform(["The oil zzzunknown", "the the oil gas"])
    np.testing.assert_allclose(oov, [1 / 3, 0.0])


def test_explain_lists_the_terms_that_raised_each_predicted_label():
    tagger = fit({"word": WORD})
    scorer = Scorer(tagger)
    X, _ = scorer.transform(["oil pipeline refinery wheat the said"])
    indicator = np.zeros((1, len(scorer.labels)), dtype=bool)
    energy = scorer.labels.index("energy")
    indicator[0, energy] = True
    (item,) = scorer.explain(X, indicator, 2)
    assert list(item) == ["energy"]
    terms = item["energy"]
    assert 1 <= len(terms) <= 2
    assert all(weight > 0 for _, weight in terms)
    assert terms == sorted(terms, key=lambda t: -t[1])
    assert {"oil", "pipeline", "refinery", "oil pipeline", "pipeline refinery"} >= {
        t for t, _ in terms
    }


DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def demo_texts(split: str) -> tuple[list[str], list[list[str]]]:
    """The bundled demo corpus (news-like articles written for this project)."""
    rows = [json.loads(line) for line in (DEMO / f"{split}.jsonl").read_text().splitlines()]
    return [f"{r['title']}\n\n{r['body']}" for r in rows], [r["topics"] for r in rows]


def non_ascii(text: str, rng: random.Random) -> str:
    """``text`` as other tools write it: typographic quotes and dashes, accents,
    non-breaking spaces, full-width digits and a few words of other scripts."""
    swaps = {'"': "\u201c", "'": "\u2019", " - ": " \u2014 ", "e": "\u00e9", " ": "\u00a0"}
    for old, new in swaps.items():
        text = text.replace(old, new, rng.randint(0, 3))
    return text + rng.choice(
        ["", " 東京 株式", " москва", " \uff11\uff12 naïve café", "\ufb01nance"]
    )


@pytest.mark.parametrize("digits", ["keep", "remove"])
def test_real_looking_articles_ascii_and_not_give_the_pipelines_features_and_labels(digits):
    train, labels = demo_texts("train")
    tagger = TopicTagger(
        LinearSVC(),
        features=build_features(word={"ngram_range": (1, 2), "max_df": 0.5, "sublinear_tf": True}),
        cleaner=TextCleaner(digits=digits),
    ).fit(train, labels)
    rng = random.Random(3)
    test, _ = demo_texts("test")
    texts = test + [non_ascii(t, rng) for t in test + train[:100]]
    assert sum(t.isascii() for t in texts) >= 30 and sum(not t.isascii() for t in texts) >= 100
    scorer = Scorer(tagger)
    assert scorer.ngrams is not None
    X, _ = scorer.transform(texts)
    assert abs(X - tagger.transform_features(texts)).max() <= 1e-9
    assert_scores_and_labels_match(tagger, scorer.scores(X), texts)


@pytest.fixture(scope="module")
def default_tagger():
    return fit({"word": WORD})


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
        | st.text(alphabet=st.sampled_from("oil gas Price,.-/'\n 12.5 wheat OPEC"), max_size=300),
        min_size=1,
        max_size=20,
    )
)
def test_random_texts_give_the_pipelines_features_and_labels(default_tagger, texts):
    scorer = Scorer(default_tagger)
    X, _ = scorer.transform(texts)
    assert abs(X - default_tagger.transform_features(texts)).max() <= 1e-9
    assert_scores_and_labels_match(default_tagger, scorer.scores(X), texts)
