"""Batch n-gram lookup: the same columns and OOV rates as one lookup per token."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.model.cleaning import TextCleaner
from classifier.model.ngrams import WordNgrams
from classifier.model.token_keys import packed_key

TOKEN = re.compile(r"(?u)\b\w\w+\b")
CLEANER = TextCleaner()
# Numbers removed: digits separate tokens on the raw-bytes path.
NO_DIGITS = TextCleaner(digits="remove")


def reference(vocabulary: dict[str, int], ngram_range, texts: list[str], cleaner=CLEANER):
    """Columns per text (sorted) and OOV rates, one dictionary lookup per n-gram."""
    low, high = ngram_range
    columns, oov = [], []
    for text in cleaner.transform(texts):
        tokens = TOKEN.findall(text)
        grams = [
            " ".join(tokens[i : i + n])
            for n in range(low, high + 1)
            for i in range(len(tokens) - n + 1)
        ]
        columns.append(sorted(vocabulary[g] for g in grams if g in vocabulary))
        unknown = sum(t not in vocabulary for t in tokens)
        oov.append(unknown / len(tokens) if tokens else 0.0)
    return columns, oov


def lookup(vocabulary, ngram_range, ascii_tokens=True, cleaner=CLEANER):
    return WordNgrams(
        vocabulary,
        ngram_range,
        prepare=cleaner.transform,
        tokenize=TOKEN.findall,
        ascii_tokens=ascii_tokens,
        lowercase=True,
        split_digits=cleaner.digits == "remove",
    )


def per_text(rows, cols, n):
    return [sorted(cols[rows == i].tolist()) for i in range(n)]


WORDS = ["oil", "gas", "price", "opec", "bpd", "x86", "2024", "regulators", "cryptocurrency"]
WORDS += ["électricité", "naïve", "東京"]
# Words of 11 to 20 characters are found by two keys, longer ones by their text.
WORDS += ["internationalization", "internationalizations", "nationwideXency"]
TERMS = [*WORDS, "oil price", "gas price", "opec oil", "cryptocurrency mining", "東京 oil"]
# "mining" only appears inside a bigram: a word with an id but no unigram column.
VOCABULARIES = {
    (1, 2): {t: i for i, t in enumerate(TERMS)},
    (1, 1): {t: i for i, t in enumerate(WORDS)},
    (2, 2): {t: i for i, t in enumerate(t for t in TERMS if " " in t)},
}
PIECES = [*WORDS, "mining", "Oil", "PRICE", "a", "I", "7", "4.5", "12,400", "snake_case"]
PIECES += ["verylongunknownword", "Cryptocurrency", "ümlaut", "\u00a0", "\x00", "l'or"]
# The first ten characters of a known word with another rest, and the reverse.
PIECES += ["cryptocurrencies", "abcdefghijency", "internationalizationsX"]
SEPARATORS = [" ", "  ", "\n", "\n\n", "/", "-", ". ", ", ", "\t", "_", '"', "'"]

texts_strategy = st.lists(
    st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=30).map(
        lambda parts: "".join(a + b for a, b in parts)
    ),
    max_size=12,
)


@pytest.mark.parametrize("cleaner", [CLEANER, NO_DIGITS], ids=["digits-kept", "digits-removed"])
@pytest.mark.parametrize("ngram_range", sorted(VOCABULARIES))
@settings(max_examples=150, deadline=None)
@given(texts=texts_strategy)
def test_batch_lookup_equals_one_lookup_per_ngram(ngram_range, cleaner, texts):
    vocabulary = VOCABULARIES[ngram_range]
    rows, cols, oov = lookup(vocabulary, ngram_range, cleaner=cleaner).count(texts)
    expected_cols, expected_oov = reference(vocabulary, ngram_range, texts, cleaner)
    assert per_text(rows, cols, len(texts)) == expected_cols
    np.testing.assert_allclose(oov, expected_oov, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cleaner", [CLEANER, NO_DIGITS], ids=["digits-kept", "digits-removed"])
@settings(max_examples=100, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet=st.sampled_from("aqQzb1 \n.,-") | st.characters(max_codepoint=127)),
        max_size=8,
    )
)
def test_any_ascii_text_is_tokenized_as_the_cleaner_and_token_pattern_do(cleaner, texts):
    words = ["ab", "a1", "zz", "ab zz", "q" * 11, "q" * 20, "q" * 21, "42"]
    vocabulary = {w: i for i, w in enumerate(words)}
    vocabulary |= {"a" * 10: len(vocabulary), "Ab": len(vocabulary) + 1}
    rows, cols, oov = lookup(vocabulary, (1, 2), cleaner=cleaner).count(texts)
    expected_cols, expected_oov = reference(vocabulary, (1, 2), texts, cleaner)
    assert per_text(rows, cols, len(texts)) == expected_cols
    np.testing.assert_allclose(oov, expected_oov, rtol=0, atol=1e-12)


def test_the_string_path_alone_gives_the_same_result():
    texts = ["Oil price: OPEC oil, gas price.", "cryptocurrency mining\nregulators", "東京 oil"]
    texts += ["Internationalization, internationalizations and cryptocurrencies"]
    vocabulary = VOCABULARIES[(1, 2)]
    fast = lookup(vocabulary, (1, 2)).count(texts)
    slow = lookup(vocabulary, (1, 2), ascii_tokens=False).count(texts)
    assert per_text(fast[0], fast[1], 4) == per_text(slow[0], slow[1], 4)
    np.testing.assert_array_equal(fast[2], slow[2])


@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        min_size=1,
        max_size=10,
    ),
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        min_size=1,
        max_size=10,
    ),
)
def test_packed_keys_of_different_tokens_differ(a, b):
    assert (packed_key(a) == packed_key(b)) == (a == b)
    assert 0 < packed_key(a) < 2**63


def test_only_short_ascii_alphanumeric_tokens_have_a_packed_key():
    assert packed_key("a" * 11) is None
    assert packed_key("café") is None
    assert packed_key("snake_case") is None


def test_a_vocabulary_without_short_ascii_words():
    vocabulary = {"électricité": 0, "cryptocurrency": 1, "électricité cryptocurrency": 2}
    texts = ["Cryptocurrency électricité cryptocurrency", "oil and gas"]
    rows, cols, oov = lookup(vocabulary, (1, 2)).count(texts)
    expected_cols, expected_oov = reference(vocabulary, (1, 2), texts)
    assert per_text(rows, cols, 2) == expected_cols == [[0, 1, 1, 2], []]
    np.testing.assert_allclose(oov, expected_oov)


def test_an_unsupported_ngram_range_is_refused():
    with pytest.raises(ValueError, match="ngram_range"):
        lookup({"a b c": 0}, (1, 3))
