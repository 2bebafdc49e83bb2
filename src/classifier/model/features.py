"""Text features: word TF-IDF (optionally with character n-grams), or stateless hashing."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

from sklearn.base import TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.utils import get_tags

from classifier.errors import ConfigError
from classifier.model.ngrams import WORD_TOKEN_PATTERN


def _ngram_range(value: Sequence[int], where: str) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}.ngram_range must be two integers [min, max], got {value!r}"
        ) from None
    if not 1 <= low <= high:
        raise ConfigError(f"{where}.ngram_range={[low, high]} is impossible: need 1 <= min <= max")
    return low, high


def _check_document_frequencies(min_df: Any, max_df: Any, where: str) -> None:
    """Refuse a ``min_df`` above ``max_df`` (both counts, or both fractions), which would
    keep no term. A count against a fraction depends on the number of texts; scikit-learn
    checks that pair when fitting."""
    both_counts = isinstance(min_df, Integral) and isinstance(max_df, Integral)
    both_fractions = isinstance(min_df, float) and isinstance(max_df, float)
    if (both_counts or both_fractions) and min_df > max_df:
        raise ConfigError(
            f"{where}.min_df={min_df} is above {where}.max_df={max_df}: no term can be kept "
            "(a term must be in at least min_df and at most max_df of the texts)"
        )


def _tfidf(options: Mapping[str, Any], analyzer: str, where: str) -> TfidfVectorizer:
    opts = dict(options)
    opts["ngram_range"] = _ngram_range(opts.get("ngram_range", (1, 1)), where)
    for key in ("min_df", "max_df"):
        if isinstance(opts.get(key), float) and not 0.0 <= opts[key] <= 1.0:
            raise ConfigError(f"{where}.{key}={opts[key]} must be a count or a fraction in [0, 1]")
    _check_document_frequencies(opts.get("min_df", 1), opts.get("max_df", 1.0), where)
    if analyzer == "word":
        opts.setdefault("token_pattern", WORD_TOKEN_PATTERN)
    try:
        # Cleaning (and case folding) happen in the TextCleaner step before this one.
        return TfidfVectorizer(analyzer=analyzer, lowercase=False, **opts)
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None


def build_features(
    word: Mapping[str, Any] | None = None,
    char: Mapping[str, Any] | None = None,
) -> TransformerMixin:
    """Build the feature extractor described by ``conf/features/*.yaml``.

    ``word`` and ``char`` hold :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    options (``ngram_range``, ``min_df``, ``max_df``, ``sublinear_tf``, ``max_features``, ...);
    leave one out (``null``) to not use it. With both, their columns are concatenated.
    """
    parts: list[tuple[str, TfidfVectorizer]] = []
    if word is not None:
        parts.append(("word", _tfidf(word, "word", "features.word")))
    if char is not None:
        parts.append(("char", _tfidf(char, "char_wb", "features.char")))
    if not parts:
        raise ConfigError("features: set at least one of features.word or features.char")
    if len(parts) == 1:
        return parts[0][1]
    return FeatureUnion(parts)


def fit_features(features: Any, cleaned: Sequence[str]) -> Any:
    """``features.fit_transform(cleaned)``; document-frequency limits that keep no term for
    this corpus (a ``min_df`` count above a ``max_df`` fraction of its texts, say) are a
    ConfigError naming the options, not scikit-learn's ValueError."""
    try:
        return features.fit_transform(cleaned)
    except ValueError as err:
        text = str(err)
        if "min_df" not in text and "max_df" not in text:
            raise
        raise ConfigError(
            f"features: min_df/max_df keep no term on these {len(cleaned)} texts ({text})"
        ) from err


def word_vectorizer(features: Any) -> TfidfVectorizer | None:
    """The word-level TfidfVectorizer of a feature step (alone or in a FeatureUnion)."""
    candidates = (
        [t for _, t in features.transformer_list]
        if isinstance(features, FeatureUnion)
        else [features]
    )
    for vec in candidates:
        if isinstance(vec, TfidfVectorizer) and vec.analyzer == "word":
            return vec
    return None


def frequent_words(features: Any, cleaned: Sequence[str]) -> list[str]:
    """Words of the cleaned training texts that the fitted word vectorizer left out of its
    vocabulary for being in more than ``max_df`` of the texts, sorted.

    The model has seen them, so prediction must not count them as out of vocabulary (a
    ``max_df`` cut drops "the", "said", ..., which would otherwise make a fifth of every
    article look unknown). scikit-learn no longer keeps them (``stop_words_`` is gone), so
    the document frequencies of single words are counted once more here.
    """
    vec = word_vectorizer(features)
    if vec is None:
        return []
    limit = vec.max_df if isinstance(vec.max_df, Integral) else vec.max_df * len(cleaned)
    if limit >= len(cleaned):
        return []
    tokenize = re.compile(vec.token_pattern).findall
    counts = Counter(word for text in cleaned for word in set(tokenize(text)))
    vocabulary = vec.vocabulary_
    return sorted(w for w, n in counts.items() if n > limit and w not in vocabulary)


def is_stateless(features: Any) -> bool:
    """True for a feature step that learns nothing from the data (hashing), which can then
    vectorise a corpus chunk by chunk; False when it needs the whole corpus (TF-IDF)."""
    return not get_tags(features).requires_fit


def build_hashing(
    n_features: int = 2**20,
    ngram_range: Sequence[int] = (1, 2),
    binary: bool = False,
    norm: str | None = "l2",
) -> HashingVectorizer:
    """Word n-gram counts hashed into ``n_features`` columns (``conf/features/hashing.yaml``).

    Unlike TF-IDF it learns nothing from the data, so a corpus larger than memory can be
    vectorised chunk by chunk for out-of-core training. Cleaning and case folding happen
    in the TextCleaner step, as for TF-IDF; signs are not alternated, so counts stay >= 0.
    """
    if not 2 <= int(n_features) <= 2**31 - 1:
        raise ConfigError(f"features.n_features={n_features} must be between 2 and 2**31-1")
    return HashingVectorizer(
        n_features=int(n_features),
        ngram_range=_ngram_range(ngram_range, "features"),
        binary=binary,
        norm=norm,
        lowercase=False,
        token_pattern=WORD_TOKEN_PATTERN,
        alternate_sign=False,
    )
