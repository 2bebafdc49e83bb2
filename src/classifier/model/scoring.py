"""Fast per-label scores of a fitted :class:`~classifier.model.tagger.TopicTagger` for batch
prediction, plus what prediction reports beside the scores (out-of-vocabulary rate, the
terms behind each label).

Why this exists: for a word TF-IDF model, scikit-learn's analyzer (``_count_vocab``, which
builds every n-gram through several Python calls per token) takes about half of the
prediction time, and one-vs-rest scores label by label. :class:`Scorer` finds the
unigrams and bigrams of a whole batch at once (:class:`~classifier.model.ngrams.WordNgrams`;
other n-gram ranges: one regular expression ``findall`` per text and one dictionary lookup
per n-gram), builds the sparse matrix once, applies the fitted idf weights and norm with
the same formulas as :class:`~sklearn.feature_extraction.text.TfidfTransformer`, and
scores all labels with one stacked coefficient matrix. The features equal the
scikit-learn pipeline's (tests/model/test_scoring.py checks this to 1e-9). Feature set-ups the
fast path does not cover (character n-grams, custom analyzers) use the fitted pipeline
unchanged.

Which taggers the fast path covers, and the float32 copy of the coefficients it
multiplies by, are in :mod:`classifier.model.fast_path`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from classifier.model.cleaning_rules import clean_texts
from classifier.model.decisions import LabelRules
from classifier.model.fast_path import fast_vectorizer, stacked_linear
from classifier.model.ngrams import WORD_TOKEN_PATTERN, WordNgrams
from classifier.model.packing import pack_strings, unpack_strings
from classifier.model.weighting import Weighting

if TYPE_CHECKING:
    from classifier.model.tagger import TopicTagger


@dataclass(frozen=True)
class Tokenizing:
    """How the fast path finds a text's words: the cleaner's options and the vectorizer's
    ``lowercase``, ``token_pattern`` and ``ngram_range``."""

    cleaning: dict[str, Any]
    lowercase: bool
    token_pattern: str
    ngram_range: tuple[int, int]

    @property
    def splits_ascii(self) -> bool:
        """Whether a cleaned ASCII text's tokens are its space-separated words of two or
        more characters (see :meth:`Scorer._tokens`)."""
        return self.token_pattern == WORD_TOKEN_PATTERN and self.cleaning["punctuation"] == "space"


# The version of the layout of Scorer.tables(): the tables cache rebuilds other versions.
TABLES_VERSION = 2


class Scorer:
    """Features and scores of a fitted tagger, computed fast where the model allows it.

    ``fast`` tells whether the feature fast path is used; ``ngrams`` is its batch n-gram
    lookup (None for other n-gram ranges); ``linear`` whether scores come from one stacked
    coefficient matrix ``coef`` (required by ``explain``); ``rules`` turns scores into
    labels. A scorer whose :meth:`tables` are not None can be rebuilt from them
    (:meth:`from_tables`) without the tagger and without importing scikit-learn.
    """

    def __init__(self, tagger: TopicTagger) -> None:
        from classifier.model.features import word_vectorizer

        self.tagger = tagger
        self.rules = tagger.label_rules()
        self.labels = list(self.rules.labels)
        vec = fast_vectorizer(tagger)
        self.fast = vec is not None
        self._word = vec or word_vectorizer(tagger.transformer_.steps[-1][1])
        # Words left out of the vocabulary by max_df were seen in training: not OOV.
        self._seen = frozenset(getattr(tagger, "frequent_words_", ()))
        self.has_vocabulary = self._word is not None
        self._cleaner = tagger.transformer_.steps[0][1] if len(tagger.transformer_) == 2 else None
        self._vocab = self._word.vocabulary_ if self._word is not None else None
        self._terms: list[str] | None = None
        self.ngrams = None
        if self.fast:
            self._weighting = Weighting.of(vec)
            self._set_tokenizing(
                Tokenizing(
                    self._cleaner.get_params(),
                    bool(vec.lowercase),
                    vec.token_pattern,
                    tuple(vec.ngram_range),
                )
            )
            self.ngrams = self._word_ngrams()
        elif self._word is not None:
            self._tokenize = re.compile(self._word.token_pattern).findall
        stacked = stacked_linear(tagger)
        self.linear = stacked is not None
        self.coef, self.intercept = stacked if stacked else (None, None)

    def _set_tokenizing(self, tokenizing: Tokenizing) -> None:
        self._tokenizing = tokenizing
        self._tokenize = re.compile(tokenizing.token_pattern).findall
        self._split_ok = tokenizing.splits_ascii

    # ------------------------------------------------------------ tables

    def tables(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """What :meth:`from_tables` needs, as a JSON-able header and named arrays (data
        only: no object to unpickle); None where the fast path or the stacked linear
        scores do not apply, or the n-gram range has no batch lookup."""
        if not (self.fast and self.linear and self.ngrams is not None):
            return None
        weighting = {k: v for k, v in asdict(self._weighting).items() if k != "idf"}
        header = {
            "version": TABLES_VERSION,
            "labels": self.labels,
            "multilabel": self.rules.multilabel,
            "at_least_one": self.rules.at_least_one,
            "tokenizing": asdict(self._tokenizing),
            "weighting": weighting,
        }
        terms_text, terms_offsets = pack_strings(self.terms())
        arrays = {
            "coef": self.coef,
            "intercept": self.intercept,
            "thresholds": np.asarray(self.rules.thresholds, dtype=np.float64),
            "terms_text": terms_text,
            "terms_offsets": terms_offsets,
            **{f"ngrams.{k}": v for k, v in self.ngrams.tables().items()},
        }
        if self._weighting.idf is not None:
            arrays["idf"] = self._weighting.idf
        return header, arrays

    @classmethod
    def from_tables(cls, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Scorer:
        """The scorer that :meth:`tables` gave ``header`` and ``arrays`` for."""
        if header.get("version") != TABLES_VERSION:
            raise ValueError(f"tables version {header.get('version')} is not {TABLES_VERSION}")
        self = cls.__new__(cls)
        self.tagger = None
        labels = tuple(header["labels"])
        thresholds = np.asarray(arrays["thresholds"], dtype=np.float64)
        rules = LabelRules(labels, bool(header["multilabel"]), thresholds, header["at_least_one"])
        self.rules, self.labels = rules, list(labels)
        self.fast = self.linear = self.has_vocabulary = True
        self._weighting = Weighting(**header["weighting"], idf=arrays.get("idf"))
        tokenizing = dict(header["tokenizing"])
        tokenizing["ngram_range"] = tuple(tokenizing["ngram_range"])
        self._set_tokenizing(Tokenizing(**tokenizing))
        self._terms = None
        self._packed_terms = (arrays["terms_text"], arrays["terms_offsets"])
        self._vocab = self._cleaner = self._word = None
        self._seen = frozenset()
        ngrams = {
            k.removeprefix("ngrams."): v for k, v in arrays.items() if k.startswith("ngrams.")
        }
        self.ngrams = self._word_ngrams(ngrams)
        self.coef, self.intercept = arrays["coef"], np.asarray(arrays["intercept"])
        n_features, n_labels = self._weighting.n_features, len(labels)
        if self.coef.shape != (n_features, n_labels) or self.ngrams.n_features != n_features:
            raise ValueError("tables of inconsistent shapes")
        return self

    def terms(self) -> list[str]:
        """The fast path's feature names (vocabulary terms) in column order, built on
        first use."""
        if self._terms is None:
            if self._vocab is None:
                self._terms = unpack_strings(*self._packed_terms)
            else:
                terms = [""] * len(self._vocab)
                for term, column in self._vocab.items():
                    terms[column] = term
                self._terms = terms
        return self._terms

    # ------------------------------------------------------------ features

    def transform(self, texts: Sequence[str]) -> tuple[sp.spmatrix, np.ndarray | None]:
        """The feature matrix of ``texts`` and each text's out-of-vocabulary rate (the share
        of its word tokens that are not in the vocabulary; None without a word vocabulary)."""
        if not self.fast:
            X = self.tagger.transform_features(texts)
            return X, self._oov_only(texts)
        if self.ngrams is not None:
            rows, cols, oov = self.ngrams.count(texts)
        else:
            rows, cols, oov = self._count_strings(self._prepare(texts))
        return self.weigh(rows, cols, len(texts)), oov

    def weigh(self, rows: np.ndarray, cols: np.ndarray, n_texts: int) -> sp.csc_matrix:
        """The TF-IDF features of ``n_texts`` texts from the ``(row, col)`` of each n-gram
        found (fast path only), with :class:`TfidfTransformer`'s formulas, in its order."""
        return self._weighting.weigh(rows, cols, n_texts)

    def _tokens(self, text: str) -> list[str]:
        """The vectorizer's tokens of one cleaned text.

        A cleaned ASCII text holds only letters, digits, spaces and the "." and "," inside
        numbers, so splitting on those gives exactly the default pattern's tokens (two or
        more word characters), several times faster; other texts use the pattern.
        """
        if self._split_ok and text.isascii():
            return [t for t in text.replace(".", " ").replace(",", " ").split() if len(t) > 1]
        return self._tokenize(text)

    def _count_strings(self, cleaned: list[str]):
        """Row and column of every n-gram found in the vocabulary (any ``ngram_range``)."""
        low, high = self._tokenizing.ngram_range
        get = self._vocab.get
        rows: list[int] = []
        cols: list[int] = []
        oov = np.zeros(len(cleaned), dtype=np.float64)
        for row, text in enumerate(cleaned):
            tokens = self._tokens(text)
            grams = list(map(get, tokens))
            if tokens:
                unknown = grams.count(None)
                if unknown and self._seen:
                    unknown -= sum(
                        t in self._seen for t, g in zip(tokens, grams, strict=True) if g is None
                    )
                oov[row] = unknown / len(tokens)
            if low > 1:
                grams = []
            for n in range(max(low, 2), high + 1):
                grams += map(get, [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)])
            found = [g for g in grams if g is not None]
            cols += found
            rows += [row] * len(found)
        return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), oov

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        """Texts cleaned (and case-folded) as the pipeline does before its token pattern."""
        cleaned = clean_texts(texts, **self._tokenizing.cleaning)
        return [t.lower() for t in cleaned] if self._tokenizing.lowercase else cleaned

    def _word_ngrams(self, tables: Mapping[str, np.ndarray] | None = None) -> WordNgrams | None:
        """Batch n-gram lookup for unigram and bigram vocabularies (else None), from the
        vocabulary or from the lookup's ``tables``."""
        ngram_range = self._tokenizing.ngram_range
        if ngram_range not in ((1, 1), (1, 2), (2, 2)):
            return None
        cleaning = self._tokenizing.cleaning
        options = {
            "ngram_range": ngram_range,
            "prepare": self._prepare,
            "tokenize": self._tokens,
            # Cleaning an ASCII text with these options only folds case and turns every
            # other character into a space: its tokens are its runs of letters and digits
            # (of letters only when numbers are removed).
            "ascii_tokens": self._split_ok and cleaning["digits"] in ("keep", "remove"),
            "lowercase": cleaning["lowercase"] or self._tokenizing.lowercase,
            "split_digits": cleaning["digits"] == "remove",
        }
        if tables is not None:
            return WordNgrams.from_tables(tables, **options)
        return WordNgrams(self._vocab, seen_words=self._seen, **options)

    def _oov_only(self, texts: Sequence[str]) -> np.ndarray | None:
        if self._word is None:
            return None
        cleaned = self._cleaner.transform(texts) if self._cleaner is not None else list(texts)
        out = np.zeros(len(cleaned))
        for row, text in enumerate(cleaned):
            tokens = self._tokenize(text)
            if tokens:
                unknown = sum(t not in self._vocab and t not in self._seen for t in tokens)
                out[row] = unknown / len(tokens)
        return out

    # ------------------------------------------------------------ scores

    def scores(self, X) -> np.ndarray:
        """Per-label scores ``(n_texts, n_labels)``, as ``TopicTagger.decision_function``."""
        if not self.linear:
            return self.tagger.scores_from_features(X)
        product = sp.csc_matrix(X, dtype=np.float32) @ self.coef
        return np.add(product, self.intercept, dtype=np.float64)

    def explain(self, X, indicator: np.ndarray, k: int) -> list[dict[str, list]]:
        """For each text, its predicted labels' ``k`` terms with the largest contribution
        (coefficient x feature value) to the score, as ``{label: [[term, weight], ...]}``."""
        names = self._feature_names()
        X = sp.csr_matrix(X)
        out = []
        for row in range(X.shape[0]):
            start, end = X.indptr[row], X.indptr[row + 1]
            cols, values = X.indices[start:end], X.data[start:end]
            item = {}
            for j in np.flatnonzero(indicator[row]):
                contrib = values * self.coef[cols, j]
                order = np.argsort(-contrib, kind="stable")[:k]
                item[self.labels[j]] = [
                    [names[cols[i]], round(float(contrib[i]), 6)] for i in order if contrib[i] > 0
                ]
            out.append(item)
        return out

    def _feature_names(self) -> list[str]:
        """Every feature's name: the vocabulary's terms, or the fitted features' names."""
        if self.fast:
            return self.terms()
        if self._terms is None:
            names = self.tagger.transformer_[-1].get_feature_names_out()
            self._terms = [str(name) for name in names]
        return self._terms
