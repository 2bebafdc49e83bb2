"""Label lists as matrices (every trainer and metric uses these), and label maps from fine
labels to coarse topics (e.g. Reuters ``crude``, ``nat-gas`` -> ``energy``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from classifier.data.corpus import Corpus, Split


def label_indicator(labels: Iterable[Sequence[str]], names: Sequence[str]) -> np.ndarray:
    """Boolean matrix ``(n_rows, len(names))``: row ``i`` marks the labels of ``labels[i]``.

    Labels not in ``names`` are ignored (a test label the model never saw cannot be
    predicted, and a streamed chunk may name labels outside the declared ones).
    """
    column = {name: j for j, name in enumerate(names)}
    rows: list[int] = []
    cols: list[int] = []
    n_rows = 0
    for n_rows, item in enumerate(labels, start=1):
        for name in item:
            j = column.get(name)
            if j is not None:
                rows.append(n_rows - 1)
                cols.append(j)
    out = np.zeros((n_rows, len(names)), dtype=bool)
    out[rows, cols] = True
    return out


def label_index(labels: Iterable[Sequence[str]], names: Sequence[str]) -> np.ndarray:
    """Column of each row's single label in ``names`` (single-label data, as class indices).

    Every row must carry exactly one label of ``names``.
    """
    column = {name: j for j, name in enumerate(names)}
    return np.array([column[item[0]] for item in labels], dtype=np.int64)


def _map_split(split: Split, mapping: Mapping[str, str], keep_unmapped: bool) -> Split:
    labels = []
    for item in split.labels:
        mapped = {mapping.get(lab, lab if keep_unmapped else None) for lab in item}
        mapped.discard(None)
        labels.append(sorted(mapped))
    return Split(split.ids, split.texts, labels)


def apply_label_map(
    corpus: Corpus, mapping: Mapping[str, str] | None = None, keep_unmapped: bool = True
) -> Corpus:
    """Rename labels through ``mapping``; several fine labels may share one coarse topic.

    Labels not in the map are kept as they are (``keep_unmapped``) or dropped, in which case
    an article may end with no topic at all: a negative example for every topic.
    """
    if not mapping:
        return corpus
    mapping = dict(mapping)
    return replace(
        corpus,
        train=_map_split(corpus.train, mapping, keep_unmapped),
        test=_map_split(corpus.test, mapping, keep_unmapped),
        extra={**corpus.extra, "label_map": len(mapping)},
    )
