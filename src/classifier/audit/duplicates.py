"""Exact and near duplicates within and across splits, those with different labels first.

Articles are compared by the cosine similarity of their word TF-IDF vectors (unigrams and
bigrams, numbers kept, so two templated earnings reports with different figures stay
apart); pairs at or above the threshold are found with scikit-learn's radius neighbours
on the sparse vectors and joined into groups (connected components). "Exact" means the
same text up to spacing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors

from classifier.data.corpus import Split
from classifier.errors import ConfigError
from classifier.model.cleaning_rules import clean_text


@dataclass(frozen=True)
class Member:
    """One article of a duplicate group."""

    split: str
    id: str
    labels: list[str]


@dataclass(frozen=True)
class DuplicateGroup:
    """Articles that are copies or near copies of each other."""

    members: list[Member]
    # lowest similarity of a pair that joined the group (1.0: all identical)
    similarity: float
    exact: bool

    @property
    def conflicting(self) -> bool:
        """The members do not all carry the same labels."""
        return len({tuple(sorted(m.labels)) for m in self.members}) > 1

    @property
    def cross_split(self) -> bool:
        """Members in more than one split (a test article also in training)."""
        return len({m.split for m in self.members}) > 1


def check_threshold(threshold: float) -> float:
    """``threshold`` if it is a usable cosine similarity cut."""
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"near-duplicate threshold {threshold} must be in (0, 1]")
    return threshold


def text_vectors(texts: Sequence[str]):
    """L2-normalised word TF-IDF vectors (unigrams and bigrams) of ``texts``, fitted on them."""
    vectorizer = TfidfVectorizer(
        preprocessor=clean_text, ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32
    )
    return vectorizer.fit_transform(texts)


def similar_pairs(texts: Sequence[str], threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)``, ``i < j``, with cosine similarity >= ``threshold``, and their
    similarities."""
    check_threshold(threshold)
    X = text_vectors(texts)
    # A small tolerance so identical texts (similarity 1 up to rounding) always pair.
    radius = max(1.0 - threshold, 0.0) + 1e-4
    nn = NearestNeighbors(radius=radius, metric="cosine", algorithm="brute").fit(X)
    graph = nn.radius_neighbors_graph(X, mode="distance", sort_results=False).tocoo()
    keep = graph.row < graph.col
    rows, cols = graph.row[keep], graph.col[keep]
    sims = 1.0 - graph.data[keep]
    # Rows with no terms at all (empty after cleaning) have no direction: never duplicates.
    nonempty = np.asarray(X.getnnz(axis=1) > 0)
    ok = nonempty[rows] & nonempty[cols] & (sims >= threshold - 1e-4)
    return np.column_stack([rows[ok], cols[ok]]), np.minimum(sims[ok], 1.0)


def find_duplicates(splits: dict[str, Split], threshold: float = 0.9) -> list[DuplicateGroup]:
    """Groups of duplicates across all ``splits`` (``{"train": ..., "test": ...}``).

    Order: groups whose members carry different labels first, then those spanning splits,
    then larger groups, then more similar ones.
    """
    where = [(name, i) for name, split in splits.items() for i in range(len(split))]
    texts = [splits[name].texts[i] for name, i in where]
    if len(texts) < 2:
        return []
    pairs, sims = similar_pairs(texts, threshold)
    if not len(pairs):
        return []
    n = len(texts)
    adjacency = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, component = connected_components(adjacency, directed=False)
    lowest: dict[int, float] = {}
    for (i, _), sim in zip(pairs.tolist(), sims.tolist(), strict=True):
        c = int(component[i])
        lowest[c] = min(lowest.get(c, 1.0), sim)
    groups = []
    for c, sim in lowest.items():
        idx = np.flatnonzero(component == c).tolist()
        members = [_member(splits, *where[k]) for k in idx]
        exact = len({" ".join(texts[k].split()) for k in idx}) == 1
        groups.append(DuplicateGroup(members, 1.0 if exact else sim, exact))
    groups.sort(
        key=lambda g: (not g.conflicting, not g.cross_split, -len(g.members), -g.similarity)
    )
    return groups


def _member(splits: dict[str, Split], name: str, row: int) -> Member:
    return Member(name, splits[name].ids[row], list(splits[name].labels[row]))
