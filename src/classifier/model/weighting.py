"""TF-IDF features from n-gram counts, with the formulas of scikit-learn's
:class:`~sklearn.feature_extraction.text.TfidfTransformer` (binary or sublinear term
frequencies, idf weights, l1 or l2 norm), for the fast path of
:class:`~classifier.model.scoring.Scorer`; without importing scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class Weighting:
    """How the fast path turns n-gram counts into features: the fitted vectorizer's
    ``binary``, ``sublinear_tf``, idf weights (None without ``use_idf``), ``norm`` and
    ``dtype``, for ``n_features`` columns."""

    n_features: int
    binary: bool
    sublinear_tf: bool
    norm: str | None
    dtype: str
    idf: np.ndarray | None

    @classmethod
    def of(cls, vec: TfidfVectorizer) -> Weighting:
        idf = np.asarray(vec.idf_, dtype=np.float64) if vec.use_idf else None
        norm, dtype = vec.norm, np.dtype(vec.dtype).name
        return cls(len(vec.vocabulary_), bool(vec.binary), bool(vec.sublinear_tf), norm, dtype, idf)

    def weigh(self, rows: np.ndarray, cols: np.ndarray, n_texts: int) -> sp.csc_matrix:
        """The features of ``n_texts`` texts from the ``(row, col)`` of each n-gram found."""
        X = _count_matrix(rows, cols, (n_texts, self.n_features), np.dtype(self.dtype))
        if self.binary:
            X.data.fill(1)
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= np.repeat(self.idf, np.diff(X.indptr))
        if self.norm is not None:
            _normalize_rows(X, self.norm)
        return X


def _count_matrix(
    rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], dtype
) -> sp.csc_matrix:
    """CSC matrix counting each ``(row, col)`` pair, row indices sorted in each column.

    SciPy's COO to CSC conversion places the pairs column by column in one counting pass
    and keeps their order within a column; where that order is already by row, as it is
    for pairs listed text by text, it then sums the adjacent duplicates in one more pass,
    with no sort (about a third of the time of one ``np.unique`` of the pairs). Pairs in
    any other order are sorted by SciPy first: same result, more time.
    """
    counts = np.ones(len(rows), dtype=dtype)
    return sp.coo_matrix((counts, (rows, cols)), shape=shape).tocsc()


def _normalize_rows(X: sp.csc_matrix, norm: str) -> None:
    """Divide each row of ``X`` in place by its l1 or l2 norm, as
    :func:`sklearn.preprocessing.normalize` does (rows of zeros stay zero)."""
    values = np.abs(X.data) if norm == "l1" else X.data * X.data
    norms = np.bincount(X.indices, weights=values, minlength=X.shape[0]).astype(np.float64)
    if norm == "l2":
        np.sqrt(norms, out=norms)
    norms[norms == 0.0] = 1.0
    X.data /= norms[X.indices]
