"""Map fine labels to coarse topics (e.g. Reuters ``crude``, ``nat-gas`` -> ``energy``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from classifier.data.corpus import Corpus, Split


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
