"""The labelled articles an evaluation scores, and the count of every row read.

A labelled file (``data=files data.test_path=...``) is read by the prediction readers, so
its rows are checked and rejected for the same reasons as in ``predict.py``; the other data
groups (demo, reuters21578, hub, or ``data=files`` without a test file) give the test split
of the training loaders, exactly the split a training run scores as ``test_*``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from hydra.utils import instantiate
from omegaconf import DictConfig

from classifier.data.corpus import Corpus, Split
from classifier.data.labels import apply_label_map
from classifier.data.loaders import parse_labels
from classifier.data.readers import read_records
from classifier.data.records import Reject, TextFields
from classifier.errors import DataError

log = logging.getLogger(__name__)

_FILES_LOADER = "classifier.data.loaders.load_files"


@dataclass(frozen=True)
class LabelledSet:
    """Articles with their labels; ``read`` rows were read, ``rejects`` could not be used."""

    name: str
    source: str
    split: Split
    read: int
    rejects: list[Reject] = field(default_factory=list)

    def summary(self) -> str:
        """``<source>: 120 read, 118 scored, 2 rejected``: every row is in one count."""
        return (
            f"{self.source}: {self.read} read, {len(self.split)} scored, "
            f"{len(self.rejects)} rejected"
        )


def read_labelled_file(
    path: str,
    text_fields: list[str],
    label_field: str,
    label_sep: str | None = None,
    id_field: str | None = None,
    batch_size: int = 4096,
) -> LabelledSet:
    """Read a JSONL, CSV or Parquet file of labelled articles with the prediction readers.

    A row without ``label_field`` is rejected; a file where no row has it, or with no row
    at all, is a :class:`DataError`.
    """
    ids: list[str] = []
    texts: list[str] = []
    labels: list[list[str]] = []
    rejects: list[Reject] = []
    read = 0
    fields = TextFields(tuple(text_fields), id_field=id_field)
    for record in read_records(path, fields, batch_size, label_field=label_field):
        read += 1
        if isinstance(record, Reject):
            rejects.append(record)
            continue
        ids.append(record.id)
        texts.append(record.text)
        labels.append(parse_labels(record.labels, label_sep, None))
    if read == 0:
        raise DataError(f"{path}: no articles to evaluate (the file is empty)")
    if not texts:
        missing = [r for r in rejects if r.reason.startswith("no label field")]
        if len(missing) == len(rejects):
            raise DataError(
                f"{path}: no row has the label field {label_field!r} ({missing[0].reason})"
            )
        first = rejects[0]
        raise DataError(
            f"{path}: all {read} rows were rejected (first: line {first.line}: {first.reason})"
        )
    return LabelledSet(path, path, Split(ids, texts, labels), read, rejects)


def load_labelled(
    data: DictConfig, label_map: Mapping[str, str] | None = None, keep_unmapped: bool = True
) -> LabelledSet:
    """The labelled articles ``data`` (a ``conf/data`` group) names, label map applied."""
    test_path = data.get("test_path") if data.get("_target_") == _FILES_LOADER else None
    if test_path:
        found = read_labelled_file(
            str(test_path),
            list(data.text_fields),
            data.label_field,
            data.get("label_sep"),
            data.get("id_field"),
        )
    else:
        corpus = instantiate(data, _convert_="all")
        n = len(corpus.test)
        if n == 0:
            raise DataError(f"{corpus.source}: the test split has no articles to evaluate")
        found = LabelledSet(corpus.name, f"{corpus.name} test split", corpus.test, n)
    if label_map:
        holder = Corpus(found.name, found.source, Split([], [], []), found.split)
        mapped = apply_label_map(holder, label_map, keep_unmapped).test
        found = LabelledSet(found.name, found.source, mapped, found.read, found.rejects)
    return found
