"""The in-memory form of a labelled data set: train and test splits of (id, text, labels)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from classifier.data.records import DEFAULT_FIELDS, TextFields


@dataclass(frozen=True)
class Split:
    """One split of a corpus; ``labels[i]`` is the list of topics of ``texts[i]``."""

    ids: list[str]
    texts: list[str]
    labels: list[list[str]]

    def __post_init__(self) -> None:
        if not len(self.ids) == len(self.texts) == len(self.labels):
            raise ValueError("ids, texts and labels must have the same length")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Iterable[int]) -> Split:
        """The rows at ``indices``, in that order."""
        idx = list(indices)
        return Split(
            [self.ids[i] for i in idx],
            [self.texts[i] for i in idx],
            [self.labels[i] for i in idx],
        )


@dataclass(frozen=True)
class Corpus:
    """A named data set with a train and a test split.

    ``source`` says where it came from (a path, a hub name or a URL) and is logged to MLflow;
    ``fields`` says how its rows were read into articles, and is stored in the model.
    """

    name: str
    source: str
    train: Split
    test: Split
    extra: dict[str, object] = field(default_factory=dict)
    fields: TextFields = DEFAULT_FIELDS

    @property
    def multilabel(self) -> bool:
        """True when some article carries no label or several: the model type follows."""
        return any(len(labels) != 1 for labels in self.train.labels + self.test.labels)

    @property
    def label_names(self) -> list[str]:
        """Sorted labels seen in the training split."""
        return sorted({label for labels in self.train.labels for label in labels})

    def digest(self) -> str:
        """sha256 of every id, text and label of both splits, in order: names the exact data."""
        h = hashlib.sha256()
        for split_name, split in (("train", self.train), ("test", self.test)):
            h.update(split_name.encode())
            for id_, text, labels in zip(split.ids, split.texts, split.labels, strict=True):
                for part in (id_, text, "\x1f".join(labels)):
                    h.update(part.encode("utf-8", "surrogatepass"))
                    h.update(b"\x1e")
        return h.hexdigest()
