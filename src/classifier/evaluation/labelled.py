"""The labelled articles an evaluation scores, and the count of every row read.

A labelled file (``data=files data.test_path=...``) is read by the prediction readers, so
its rows are checked and rejected for the same reasons as in ``predict.py``; the other data
groups (demo, reuters21578, hub, or ``data=files`` without a test file) give the test split
of the training loaders, exactly the split a training run scores as ``test_*``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hydra.utils import get_method, instantiate
from omegaconf import DictConfig, OmegaConf

from classifier.data.corpus import Corpus, Split
from classifier.data.labels import apply_label_map
from classifier.data.loaders import parse_labels
from classifier.data.readers import read_records
from classifier.data.records import Reject, TextFields, fields_to_read
from classifier.errors import ConfigError, DataError

log = logging.getLogger(__name__)

_FILES_LOADER = "classifier.data.loaders.load_files"


# Data options that default to the model's own (null in conf/evaluate.yaml): each model
# reads the rows the way it was trained to, as in predict.py, unless they are set.
FROM_MODEL = ("text_fields", "id_field")


@dataclass(frozen=True)
class LabelledSet:
    """Articles with their labels; ``read`` rows were read, ``rejects`` could not be used.

    ``lines`` (a labelled file only) is each article's line in the file; ``read_as`` names
    the fields the texts were read from (one entry per distinct reading of the models)."""

    name: str
    source: str
    split: Split
    read: int
    rejects: list[Reject] = field(default_factory=list)
    lines: list[int] | None = None
    read_as: tuple[str, ...] = ()

    def summary(self) -> str:
        """``<source>: 120 read, 118 scored, 2 rejected; text from title, body``: every row
        is in one count."""
        text = (
            f"{self.source}: {self.read} read, {len(self.split)} scored, "
            f"{len(self.rejects)} rejected"
        )
        return text + (f"; text from {' | '.join(self.read_as)}" if self.read_as else "")


def read_labelled_file(
    path: str,
    fields: TextFields,
    label_field: str,
    label_sep: str | None = None,
    batch_size: int = 4096,
) -> LabelledSet:
    """Read a JSONL, CSV or Parquet file of labelled articles with the prediction readers.

    A row without ``label_field`` is rejected; a file where no row has it, or with no row
    at all, is a :class:`DataError`.
    """
    ids: list[str] = []
    texts: list[str] = []
    labels: list[list[str]] = []
    lines: list[int] = []
    rejects: list[Reject] = []
    read = 0
    for record in read_records(path, fields, batch_size, label_field=label_field):
        read += 1
        if isinstance(record, Reject):
            rejects.append(record)
            continue
        ids.append(record.id)
        texts.append(record.text)
        labels.append(parse_labels(record.labels, label_sep, None))
        lines.append(record.line)
    if read == 0:
        raise DataError(f"{path}: no articles to evaluate (the file is empty)")
    if not texts:
        missing = [r for r in rejects if r.reason.startswith("no label field")]
        if missing and len(missing) == len(rejects):
            raise DataError(
                f"{path}: no row has the label field {label_field!r} ({missing[0].reason})"
            )
        first = rejects[0]
        raise DataError(
            f"{path}: all {read} rows were rejected (first: line {first.line}: {first.reason})"
        )
    split = Split(ids, texts, labels)
    return LabelledSet(path, path, split, read, rejects, lines, (fields.describe(),))


def _given(data: DictConfig, key: str) -> Any:
    value = data.get(key)
    return OmegaConf.to_container(value) if OmegaConf.is_config(value) else value


def fields_for(data: DictConfig, stored: TextFields) -> TextFields:
    """How a model that stores ``stored`` reads the rows: its own fields (and ``text`` when a
    row has none of them) unless ``data.text_fields`` / ``data.id_field`` name others."""
    return fields_to_read(stored, _given(data, "text_fields"), _given(data, "id_field"))


def _test_split(data: DictConfig, fields: TextFields) -> LabelledSet:
    """The test split of a training loader, its text read from ``fields`` where the loader
    takes text fields (the demo corpus and Reuters have their own)."""
    node = OmegaConf.to_container(data, resolve=True)
    takes = inspect.signature(get_method(node["_target_"])).parameters
    for key in FROM_MODEL:
        if node.get(key) is not None and key not in takes:
            raise ConfigError(f"data.{key}: {node['_target_']} reads fields of its own")
        if node.get(key) is None:
            node.pop(key, None)
    if "text_fields" in takes:
        node["text_fields"] = list(fields.fields)
    corpus = instantiate(node, _convert_="all")
    n = len(corpus.test)
    if n == 0:
        raise DataError(f"{corpus.source}: the test split has no articles to evaluate")
    read_as = (", ".join(corpus.fields.fields),)
    return LabelledSet(corpus.name, f"{corpus.name} test split", corpus.test, n, read_as=read_as)


def load_labelled(
    data: DictConfig,
    fields: TextFields,
    label_map: Mapping[str, str] | None = None,
    keep_unmapped: bool = True,
) -> LabelledSet:
    """The labelled articles ``data`` (a ``conf/data`` group) names, read with ``fields``
    (:func:`fields_for`), label map applied."""
    test_path = data.get("test_path") if data.get("_target_") == _FILES_LOADER else None
    if test_path:
        found = read_labelled_file(str(test_path), fields, data.label_field, data.get("label_sep"))
    else:
        found = _test_split(data, fields)
    if label_map:
        holder = Corpus(found.name, found.source, Split([], [], []), found.split)
        mapped = apply_label_map(holder, label_map, keep_unmapped).test
        found = replace(found, split=mapped)
    return found


def load_for_models(
    data: DictConfig,
    stored: Sequence[TextFields],
    label_map: Mapping[str, str] | None = None,
    keep_unmapped: bool = True,
) -> tuple[LabelledSet, list[Split]]:
    """The labelled articles, and each model's split of them read its own way.

    Models that read the same fields share one reading. When they read different fields,
    the articles scored are those every model could read (a row one of them cannot read
    is rejected for all, with that model's reason), so paired comparisons stay paired.
    """
    wanted = [fields_for(data, s) for s in stored]
    readings = {f: load_labelled(data, f, label_map, keep_unmapped) for f in dict.fromkeys(wanted)}
    if len(readings) == 1:
        found = next(iter(readings.values()))
        return found, [found.split] * len(stored)
    common = _common(list(readings.values()))
    splits = {f: _aligned(common, r) for f, r in readings.items()}
    return common, [splits[f] for f in wanted]


def _key(found: LabelledSet) -> list[Any]:
    return found.lines if found.lines is not None else found.split.ids


def _common(readings: list[LabelledSet]) -> LabelledSet:
    """The articles every reading has. In a labelled file every row is an article or a
    reject of each reading, so the rows some model cannot read are the union of the
    rejects; a loader's test split must give every model the same articles."""
    first = readings[0]
    if first.lines is None:
        if any(r.split.ids != first.split.ids for r in readings):
            raise DataError(
                f"{first.source}: the models read different fields, which give different "
                "articles; compare them on a labelled file (data=files data.test_path=...)"
            )
        return replace(first, read_as=tuple(a for r in readings for a in r.read_as))
    rejects: dict[int, Reject] = {}
    for found in readings:
        for reject in found.rejects:
            rejects.setdefault(reject.line, reject)
    keep = [i for i, line in enumerate(first.lines) if line not in rejects]
    return replace(
        first,
        split=first.split.subset(keep),
        rejects=sorted(rejects.values(), key=lambda r: r.line),
        lines=[first.lines[i] for i in keep],
        read_as=tuple(a for r in readings for a in r.read_as),
    )


def _aligned(common: LabelledSet, found: LabelledSet) -> Split:
    """``found``'s texts for the articles of ``common``, in its order; ids and labels are
    ``common``'s, so every model is scored against the same truth."""
    position = {k: i for i, k in enumerate(_key(found))}
    texts = [found.split.texts[position[k]] for k in _key(common)]
    return Split(common.split.ids, texts, common.split.labels)
