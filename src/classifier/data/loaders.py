"""Load labelled articles with HuggingFace ``datasets``: local files, the hub, the demo corpus.

Every loader returns a :class:`~classifier.data.corpus.Corpus`; which loader runs, and with
which fields, is chosen by ``conf/data/*.yaml``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
from sklearn.model_selection import train_test_split

from classifier.data.corpus import Corpus, Split
from classifier.data.formats import require
from classifier.data.records import JOIN, NotText, TextFields, article_text
from classifier.errors import ConfigError, DataError
from classifier.paths import data_dir

log = logging.getLogger(__name__)

# File format (classifier.data.formats) -> datasets builder; "a.jsonl.gz" is JSON too.
_BUILDERS = {"jsonl": "json", "csv": "csv", "parquet": "parquet"}

DEMO_DIR = data_dir() / "demo"


def builder_for(path: str | Path) -> str:
    """The ``datasets`` builder that reads ``path``, from its format."""
    kind = require(path, _BUILDERS, ("gz", "bz2", "xz", "zst"), "file").kind
    return _BUILDERS[kind]


def parse_labels(value: Any, sep: str | None, names: Sequence[str] | None) -> list[str]:
    """Normalise one label cell: a list, a separated string, a class index, or empty."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [lab for v in value for lab in parse_labels(v, None, names)]
    if names is not None and isinstance(value, int):
        return [names[value]]
    text = str(value).strip()
    if not text:
        return []
    if sep:
        return [part.strip() for part in text.split(sep) if part.strip()]
    return [text]


def _class_names(feature: Any) -> Sequence[str] | None:
    """Names of a ClassLabel feature (or of a list of them), so hub labels read as words."""
    inner = getattr(feature, "feature", None)
    if inner is None and isinstance(feature, list) and feature:
        inner = feature[0]
    for candidate in (feature, inner):
        if isinstance(candidate, datasets.ClassLabel):
            return candidate.names
    return None


def dataset_to_split(
    ds: datasets.Dataset,
    text_fields: Sequence[str],
    label_field: str,
    label_sep: str | None = None,
    id_field: str | None = None,
    where: str = "data",
    id_prefix: str = "",
) -> Split:
    """Turn a ``datasets.Dataset`` into a :class:`Split`, checking the configured fields.

    Text fields are joined by :func:`~classifier.data.records.article_text` (a blank line
    between title and body, as prediction joins them). Rows whose text is empty, or whose
    text field holds something else than text, are dropped with a warning, since they
    carry nothing to learn from.
    """
    wanted = [*text_fields, label_field] + ([id_field] if id_field else [])
    missing = [f for f in wanted if f not in ds.column_names]
    if missing:
        raise DataError(
            f"{where}: field(s) {missing} not found; the data has fields {ds.column_names}"
        )
    columns = {f: ds[f] for f in text_fields}
    names = _class_names(ds.features[label_field])
    raw_labels = ds[label_field]
    raw_ids = ds[id_field] if id_field else None
    ids, texts, labels = [], [], []
    not_text: list[str] = []
    for i in range(len(ds)):
        try:
            text = article_text({f: columns[f][i] for f in text_fields}, text_fields)
        except NotText as err:
            not_text.append(f"row {i + 1}: {err}")
            continue
        if not text:
            continue
        ids.append(str(raw_ids[i]) if raw_ids is not None else f"{id_prefix}{i}")
        texts.append(text)
        labels.append(parse_labels(raw_labels[i], label_sep, names))
    if not_text:
        log.warning("%s: dropped %d row(s) without text (%s)", where, len(not_text), not_text[0])
    empty = len(ds) - len(texts) - len(not_text)
    if empty:
        log.warning("%s: dropped %d row(s) with empty text", where, empty)
    return Split(ids, texts, labels)


def _seeded_split(split: Split, test_size: float, seed: int) -> tuple[Split, Split]:
    if not 0.0 < test_size < 1.0:
        raise ConfigError(f"data.test_size={test_size} must be a fraction between 0 and 1")
    try:
        train_idx, test_idx = train_test_split(
            range(len(split)), test_size=test_size, random_state=seed, shuffle=True
        )
    except ValueError as err:  # too few articles for the requested split
        raise DataError(
            f"{len(split)} article(s) cannot be split with test_size={test_size}: {err}"
        ) from err
    return split.subset(train_idx), split.subset(test_idx)


def read_file(path: str | Path) -> datasets.Dataset:
    """One CSV, JSONL or Parquet file (optionally compressed) as a ``datasets.Dataset``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        return datasets.load_dataset(builder_for(path), data_files=str(path), split="train")
    except DataError:
        raise
    except Exception as err:  # datasets wraps parser errors in many types
        raise DataError(f"{path}: cannot be read ({type(err).__name__}: {err})") from err


# sizes: one parameter per key of conf/data/files.yaml, which Hydra passes as keywords
# (data.text_fields=... on the command line); a flat list keeps the YAML and the CLI flat.
def load_files(
    train_path: str,
    test_path: str | None = None,
    text_fields: Sequence[str] = ("title", "body"),
    label_field: str = "topics",
    label_sep: str | None = None,
    id_field: str | None = None,
    test_size: float = 0.2,
    seed: int = 42,
    name: str | None = None,
) -> Corpus:
    """Load a user's CSV, JSONL or Parquet file(s).

    With ``test_path`` the two files are the splits; without it, a seeded random
    ``test_size`` fraction of ``train_path`` is held out.
    """
    fields = dict(
        text_fields=list(text_fields),
        label_field=label_field,
        label_sep=label_sep,
        id_field=id_field,
    )
    train = dataset_to_split(
        read_file(train_path), where=str(train_path), id_prefix="train-", **fields
    )
    if test_path:
        test = dataset_to_split(
            read_file(test_path), where=str(test_path), id_prefix="test-", **fields
        )
    else:
        train, test = _seeded_split(train, test_size, seed)
    source = str(train_path) if not test_path else f"{train_path},{test_path}"
    return Corpus(
        name or Path(train_path).stem, source, train, test, fields=_fields(text_fields, id_field)
    )


def _fields(text_fields: Sequence[str], id_field: str | None) -> TextFields:
    """How the corpus was read, for the model to store (prediction's id default: ``id``)."""
    return TextFields(tuple(text_fields), JOIN, id_field or "id")


def load_demo(path: str | Path = DEMO_DIR) -> Corpus:
    """The bundled demo corpus: news-style articles written for this project (CC0)."""
    path = Path(path)
    return load_files(
        str(path / "train.jsonl"),
        str(path / "test.jsonl"),
        text_fields=("title", "body"),
        label_field="topics",
        id_field="id",
        name="demo",
    )


# sizes: one parameter per key of conf/data/hub.yaml, which Hydra passes as keywords
# (data.text_fields=... on the command line); a flat list keeps the YAML and the CLI flat.
def load_hub(
    path: str,
    config_name: str | None = None,
    train_split: str = "train",
    test_split: str | None = "test",
    text_fields: Sequence[str] = ("text",),
    label_field: str = "label",
    label_sep: str | None = None,
    id_field: str | None = None,
    test_size: float = 0.2,
    seed: int = 42,
    revision: str | None = None,
    name: str | None = None,
) -> Corpus:
    """Load a data set with ``datasets.load_dataset``: a hub name such as ``"ag_news"``,
    or a local folder of data files laid out the way the hub expects.

    Without ``test_split`` a seeded ``test_size`` fraction of ``train_split`` is held out.
    Integer ``ClassLabel`` labels are turned into their names.
    """
    try:
        loaded = datasets.load_dataset(path, config_name, revision=revision)
    except Exception as err:
        raise DataError(f"data.path={path!r}: cannot load ({type(err).__name__}: {err})") from err
    available = list(loaded.keys())
    for split_name in (train_split, test_split):
        if split_name is not None and split_name not in loaded:
            raise DataError(f"{path}: no split {split_name!r}; available: {available}")
    fields = dict(
        text_fields=list(text_fields),
        label_field=label_field,
        label_sep=label_sep,
        id_field=id_field,
    )
    train = dataset_to_split(
        loaded[train_split], where=f"{path}[{train_split}]", id_prefix=f"{train_split}-", **fields
    )
    if test_split is not None:
        test = dataset_to_split(
            loaded[test_split], where=f"{path}[{test_split}]", id_prefix=f"{test_split}-", **fields
        )
    else:
        train, test = _seeded_split(train, test_size, seed)
    return Corpus(name or Path(path).name, path, train, test, fields=_fields(text_fields, id_field))
