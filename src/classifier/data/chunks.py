"""Labelled rows of a JSONL, CSV or Parquet file, a chunk at a time: what the streaming
trainer reads, so that neither the corpus nor its matrix is ever in memory whole."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from classifier.data.loaders import builder_for, parse_labels
from classifier.data.records import NotText, article_text
from classifier.errors import ConfigError, DataError


@dataclass(frozen=True)
class Chunk:
    """At most ``chunk_size`` labelled rows of a file."""

    texts: list[str]
    labels: list[list[str]]
    dropped: int = 0


def _frames(path: str, columns: Sequence[str], chunk_size: int) -> Iterator[pd.DataFrame]:
    """The file as pandas frames of at most ``chunk_size`` rows (pandas' and pyarrow's own
    chunked readers: only one chunk is in memory at a time)."""
    if not Path(path).is_file():
        raise DataError(f"{path}: file not found")
    kind = builder_for(path)
    try:
        if kind == "parquet":
            parquet = pq.ParquetFile(path)
            present = [c for c in columns if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=chunk_size, columns=present):
                yield batch.to_pandas()
        elif kind == "csv":
            yield from pd.read_csv(path, chunksize=chunk_size, dtype=str, keep_default_na=False)
        else:
            yield from pd.read_json(path, lines=True, chunksize=chunk_size, dtype=False)
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: cannot be read ({type(err).__name__}: {err})") from err


def read_chunks(
    path: str,
    text_fields: Sequence[str],
    label_field: str,
    label_sep: str | None = None,
    chunk_size: int = 10000,
) -> Iterator[Chunk]:
    """Labelled rows of a JSONL, CSV or Parquet file, ``chunk_size`` at a time.

    Text fields are joined by :func:`~classifier.data.records.article_text` and rows
    without text are dropped (counted in ``Chunk.dropped``), as
    :func:`classifier.data.loaders.dataset_to_split` does.
    """
    if chunk_size < 1:
        raise ConfigError(f"trainer.chunk_size={chunk_size} must be at least 1")
    for frame in _frames(path, [*text_fields, label_field], chunk_size):
        missing = [f for f in [*text_fields, label_field] if f not in frame.columns]
        if missing:
            raise DataError(
                f"{path}: field(s) {missing} not found; the data has fields {list(frame.columns)}"
            )
        texts, labels = [], []
        names = list(text_fields)
        parts = frame[names].to_numpy(dtype=object)
        for row, raw in zip(parts, frame[label_field].tolist(), strict=True):
            try:
                text = article_text(dict(zip(names, row, strict=True)), names)
            except NotText:
                text = ""
            if text:
                texts.append(text)
                labels.append(parse_labels(_plain(raw), label_sep, None))
        yield Chunk(texts, labels, len(frame) - len(texts))


def _plain(value: object) -> object:
    """NumPy arrays (Parquet list cells) as lists; NaN (pandas' missing value) as None."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and value != value:
        return None
    return value
