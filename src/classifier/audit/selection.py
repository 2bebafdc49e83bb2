"""What to label next: the articles whose scores lie closest to a decision, spread across
labels, without near duplicates (uncertainty sampling by margin; Lewis & Gale, 1994).

Each label ranks the articles by the distance of their score from its threshold
(multi-label) or from the best other label's score (single-label); the labels then take
turns, each adding its closest article not yet chosen. Rare labels thus get their likely
positives looked at, which is where one more example moves macro-F1 most, and one label
with many borderline articles cannot take the whole budget. An article whose TF-IDF cosine
similarity to one already chosen reaches the near-duplicate threshold is skipped: a second
copy teaches the model nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier.audit.duplicates import check_threshold, text_vectors
from classifier.audit.margins import margins


@dataclass(frozen=True)
class Choice:
    """An article to label, the label whose decision it lies closest to, and how close."""

    index: int
    label: str
    margin: float


def _label_queues(distance: np.ndarray, depth: int) -> list[np.ndarray]:
    """Per label, the ``depth`` articles closest to its decision, closest first."""
    queues = []
    for j in range(distance.shape[1]):
        column = distance[:, j]
        if depth < len(column):
            top = np.argpartition(column, depth)[:depth]
        else:
            top = np.arange(len(column))
        top = top[np.isfinite(column[top])]
        queues.append(top[np.argsort(column[top], kind="stable")])
    return queues


class _NearDuplicateFilter:
    """Rejects a candidate too similar to one accepted before (or the same one again).

    Only the candidates are vectorised, so the cost follows the queues, not the pool.
    """

    def __init__(self, texts: Sequence[str], candidates: np.ndarray, threshold: float) -> None:
        self.threshold = check_threshold(threshold)
        self.position = {int(i): p for p, i in enumerate(candidates.tolist())}
        self.X = text_vectors([texts[i] for i in candidates.tolist()]).tocsr()
        self.blocked = np.zeros(len(candidates), dtype=bool)

    def accept(self, i: int) -> bool:
        p = self.position[i]
        if self.blocked[p]:
            return False
        similarity = (self.X @ self.X[p].T).toarray().ravel()
        self.blocked |= similarity >= self.threshold - 1e-4
        self.blocked[p] = True
        return True


def select_uncertain(
    texts: Sequence[str],
    labels: Sequence[str],
    scores: np.ndarray,
    thresholds: np.ndarray,
    multilabel: bool,
    k: int,
    near_duplicate: float = 0.9,
) -> list[Choice]:
    """Up to ``k`` articles, in the order chosen (fewer only when the pool, less near
    duplicates, runs out)."""
    distance = np.abs(margins(scores, thresholds, multilabel))
    distance[np.isnan(distance)] = np.inf
    queues = _label_queues(distance, min(len(texts), 2 * k + 100))
    depth = [0] * len(queues)
    candidates = np.unique(np.concatenate(queues)) if queues else np.array([], dtype=int)
    seen = _NearDuplicateFilter(texts, candidates, near_duplicate)
    chosen: list[Choice] = []
    while len(chosen) < k and any(d < len(q) for d, q in zip(depth, queues, strict=True)):
        for j, queue in enumerate(queues):
            while depth[j] < len(queue) and len(chosen) < k:
                i = int(queue[depth[j]])
                depth[j] += 1
                if seen.accept(i):
                    chosen.append(Choice(i, labels[j], float(distance[i, j])))
                    break
    return chosen


def select_random(n: int, k: int, seed: int = 0) -> list[int]:
    """``k`` articles of ``n`` drawn at random (the baseline uncertainty sampling must beat)."""
    return np.random.default_rng(seed).permutation(n)[:k].tolist()
