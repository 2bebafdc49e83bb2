import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from classifier.errors import ConfigError
from classifier.model.features import build_features, fit_features, frequent_words


def test_word_only_is_one_vectorizer_with_tuple_ngrams():
    features = build_features(word={"ngram_range": [1, 2], "min_df": 1})
    assert isinstance(features, TfidfVectorizer)
    assert features.ngram_range == (1, 2)
    assert features.lowercase is False  # the cleaner decides about case


def test_word_and_char_are_concatenated():
    features = build_features(word={}, char={"ngram_range": [2, 3]})
    assert isinstance(features, FeatureUnion)
    matrix = features.fit_transform(["oil price", "wheat harvest"])
    words = features.transformer_list[0][1].vocabulary_
    assert matrix.shape[1] == len(words) + len(features.transformer_list[1][1].vocabulary_)


@pytest.mark.parametrize("bad", [[2, 1], [0, 1], ["a", 2], [1]])
def test_impossible_ngram_range_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="ngram_range"):
        build_features(word={"ngram_range": bad})


def test_unknown_option_and_no_features_are_config_errors():
    with pytest.raises(ConfigError, match=r"features\.word"):
        build_features(word={"ngram": [1, 2]})
    with pytest.raises(ConfigError, match="at least one"):
        build_features(word=None, char=None)


TEXTS = ["the oil price rose", "the wheat harvest", "the oil field", "a wheat price"]


@pytest.mark.parametrize(
    "max_df, expected",
    [
        (1.0, set()),
        (0.6, {"the"}),
        (0.75, set()),
        (2, {"the"}),
        (1, {"the", "oil", "wheat", "price"}),
    ],
)
def test_frequent_words_are_the_words_a_max_df_cut_left_out(max_df, expected):
    features = build_features(word={"ngram_range": [1, 2], "max_df": max_df})
    features.fit(TEXTS)
    found = frequent_words(features, TEXTS)
    assert found == sorted(expected)
    assert not set(found) & set(features.vocabulary_)


def test_frequent_words_of_a_union_come_from_its_word_part():
    features = build_features(word={"max_df": 0.6}, char={"ngram_range": [2, 3]})
    features.fit(TEXTS)
    assert frequent_words(features, TEXTS) == ["the"]


@pytest.mark.parametrize(("min_df", "max_df"), [(5, 2), (0.6, 0.5)])
def test_min_df_above_max_df_is_a_config_error(min_df, max_df):
    with pytest.raises(ConfigError, match=f"min_df={min_df} is above features.word.max_df"):
        build_features({"min_df": min_df, "max_df": max_df})


def test_min_df_count_above_a_max_df_fraction_of_the_texts_is_a_config_error():
    features = build_features({"min_df": 3, "max_df": 0.5})
    with pytest.raises(ConfigError, match="min_df/max_df keep no term on these 4 texts"):
        fit_features(features, ["oil gas", "oil wheat", "gas wheat", "oil gas wheat"])
