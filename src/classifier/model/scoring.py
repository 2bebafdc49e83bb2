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

The product: the features are built column by column (CSC) and the coefficients are held
as a float32 copy laid out feature-major, ``(n_features, n_labels)``, made when the scorer
is built (the model file and its estimators keep their float64 ``coef_``). SciPy's CSC
product then reads each feature's row of coefficients once per batch, in feature order,
instead of once per article at random: about four times faster than the float64 CSR
product. Scores move from the float64 pipeline's by about 1e-6 (tests check 1e-5); a
label can only change where a score lies that close to its threshold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier

from classifier.model.cleaning import TextCleaner
from classifier.model.features import WORD_TOKEN_PATTERN, word_vectorizer
from classifier.model.ngrams import WordNgrams
from classifier.model.tagger import TopicTagger


def _fast_vectorizer(tagger: TopicTagger) -> TfidfVectorizer | None:
    """The word TfidfVectorizer of ``tagger`` if the fast path reproduces it, else None."""
    steps = getattr(tagger.transformer_, "steps", [])
    if len(steps) != 2 or type(steps[0][1]) is not TextCleaner:
        return None
    vec = steps[1][1]
    if type(vec) is not TfidfVectorizer:
        return None
    plain = (
        vec.analyzer == "word"
        and vec.tokenizer is None
        and vec.preprocessor is None
        and vec.stop_words is None
        and vec.strip_accents is None
        and vec.input == "content"
        and vec.norm in ("l1", "l2", None)
        and re.compile(vec.token_pattern).groups <= 1
    )
    return vec if plain else None


def _stacked_linear(tagger: TopicTagger) -> tuple[np.ndarray, np.ndarray] | None:
    """Float32 coefficients ``(n_features, n_labels)`` (C order: each feature's labels are
    contiguous) and float64 intercepts giving the tagger's scores with one matrix product,
    or None for models that are not linear decision functions.

    A copy: the tagger's estimators keep their own float64 ``coef_``.
    """
    if tagger.score_kind_ != "decision":
        return None
    model = tagger.model_
    if isinstance(model, OneVsRestClassifier):
        parts = model.estimators_
        if not all(hasattr(e, "coef_") and hasattr(e, "intercept_") for e in parts):
            return None  # e.g. a constant predictor for a label always present
        if len(parts) != len(tagger.labels_) or len(parts) == 1:
            return None
        rows = [np.ravel(_dense(e.coef_)) for e in parts]
        coef = np.empty((rows[0].size, len(parts)), dtype=np.float32)
        block = 4096  # features at a time: the strided writes stay in cache
        for start in range(0, len(coef), block):
            coef[start : start + block] = np.stack([r[start : start + block] for r in rows], 1)
        intercept = np.concatenate([np.ravel(e.intercept_) for e in parts])
        return coef, intercept.astype(np.float64)
    if hasattr(model, "coef_") and hasattr(model, "intercept_"):
        coef = np.asarray(_dense(model.coef_))
        intercept = np.ravel(model.intercept_)
        if coef.shape[0] == 1:  # binary: scores are [-s, s], as in tagger._model_scores
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        if coef.shape[0] != len(tagger.labels_):
            return None
        return np.ascontiguousarray(coef.T, dtype=np.float32), intercept.astype(np.float64)
    return None


def _count_matrix(
    rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], dtype
) -> sp.csc_matrix:
    """CSC matrix counting each ``(row, col)`` pair, row indices sorted in each column.

    One sort of the combined ``col * n_rows + row`` keys: faster than building a COO
    matrix and summing its duplicates.
    """
    n_rows, n_cols = shape
    keys, counts = np.unique(cols * n_rows + rows, return_counts=True)
    key_cols = keys // n_rows
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(key_cols, minlength=n_cols), out=indptr[1:])
    return sp.csc_matrix((counts.astype(dtype), keys - key_cols * n_rows, indptr), shape=shape)


def _normalize_rows(X: sp.csc_matrix, norm: str) -> None:
    """Divide each row of ``X`` in place by its l1 or l2 norm, as
    :func:`sklearn.preprocessing.normalize` does (rows of zeros stay zero)."""
    values = np.abs(X.data) if norm == "l1" else X.data * X.data
    norms = np.bincount(X.indices, weights=values, minlength=X.shape[0]).astype(np.float64)
    if norm == "l2":
        np.sqrt(norms, out=norms)
    norms[norms == 0.0] = 1.0
    X.data /= norms[X.indices]


def _dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else matrix


def near_threshold(tagger: TopicTagger, scores: np.ndarray, tol: float) -> np.ndarray:
    """Cells of ``scores`` whose predicted label may flip when the scores move by up to
    ``tol``: a score within ``tol`` of its threshold or, where the best label is picked
    (single-label models; multi-label rows with no label over its threshold and
    ``at_least_one``), a best score within ``2 tol`` of the second best."""
    if tagger.multilabel_:
        margin = scores - np.asarray(tagger.thresholds_)
        near = np.abs(margin) <= tol
        picked = (margin.max(axis=1) < tol) & bool(tagger.at_least_one)
    else:
        margin, near = scores, np.zeros(scores.shape, dtype=bool)
        picked = np.ones(len(scores), dtype=bool)
    best_two = np.sort(margin, axis=1)[:, -2:]
    tie = picked & (best_two[:, -1] - best_two[:, 0] <= 2 * tol)
    return near | tie[:, None]


class Scorer:
    """Features and scores of a fitted tagger, computed fast where the model allows it.

    ``fast`` tells whether the feature fast path is used; ``ngrams`` is its batch n-gram
    lookup (None for other n-gram ranges); ``linear`` whether scores come from one stacked
    coefficient matrix ``coef`` (required by ``explain``).
    """

    def __init__(self, tagger: TopicTagger) -> None:
        self.tagger = tagger
        self.labels = list(tagger.labels_)
        self._vec = _fast_vectorizer(tagger)
        self.fast = self._vec is not None
        self._word = self._vec or word_vectorizer(tagger.transformer_.steps[-1][1])
        # Words left out of the vocabulary by max_df were seen in training: not OOV.
        self._seen = frozenset(getattr(tagger, "frequent_words_", ()))
        self.has_vocabulary = self._word is not None
        self._cleaner = tagger.transformer_.steps[0][1] if len(tagger.transformer_) == 2 else None
        if self._word is not None:
            self._vocab = self._word.vocabulary_
            self._tokenize = re.compile(self._word.token_pattern).findall
        self._split_ok = (
            self.fast
            and self._vec.token_pattern == WORD_TOKEN_PATTERN
            and self._cleaner.punctuation == "space"
        )
        self.ngrams = self._word_ngrams() if self.fast else None
        stacked = _stacked_linear(tagger)
        self.linear = stacked is not None
        self.coef, self.intercept = stacked if stacked else (None, None)
        self._names: np.ndarray | None = None

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
        vec = self._vec
        X = _count_matrix(rows, cols, (n_texts, len(self._vocab)), vec.dtype)
        if vec.binary:
            X.data.fill(1)
        if vec.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if vec.use_idf:
            X.data *= np.repeat(vec.idf_, np.diff(X.indptr))
        if vec.norm is not None:
            _normalize_rows(X, vec.norm)
        return X

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
        low, high = self._vec.ngram_range
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
        cleaned = self._cleaner.transform(texts)
        return [t.lower() for t in cleaned] if self._vec.lowercase else cleaned

    def _word_ngrams(self) -> WordNgrams | None:
        """Batch n-gram lookup for unigram and bigram vocabularies (else None)."""
        if tuple(self._vec.ngram_range) not in ((1, 1), (1, 2), (2, 2)):
            return None
        cleaner = self._cleaner
        return WordNgrams(
            self._vocab,
            tuple(self._vec.ngram_range),
            prepare=self._prepare,
            tokenize=self._tokens,
            # Cleaning an ASCII text with these options only folds case and turns every
            # other character into a space: its tokens are its runs of letters and digits
            # (of letters only when numbers are removed).
            ascii_tokens=self._split_ok and cleaner.digits in ("keep", "remove"),
            lowercase=cleaner.lowercase or self._vec.lowercase,
            split_digits=cleaner.digits == "remove",
            seen_words=self._seen,
        )

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
        if self._names is None:
            self._names = np.asarray(self.tagger.transformer_[-1].get_feature_names_out())
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
                    [str(self._names[cols[i]]), round(float(contrib[i]), 6)]
                    for i in order
                    if contrib[i] > 0
                ]
            out.append(item)
        return out
