"""Batch tagging of files: read articles in chunks, tag them, write labels and scores.

Every input row ends up either in the output (in input order) or in the rejects file with
its line number and the reason; the output appears under its final name only when complete.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from classifier.atomic import atomic_path
from classifier.errors import DataError
from classifier.persistence import load_model_uri
from classifier.tagger import TopicTagger

OnError = Literal["reject", "fail"]
STDIO = "-"


@dataclass(frozen=True)
class Row:
    """An article to tag; ``line`` is its 1-based line (or row) number in the input."""

    line: int
    id: str
    text: str


@dataclass(frozen=True)
class Reject:
    """An input row that cannot be tagged, and why."""

    line: int
    id: str | None
    reason: str


@dataclass
class Summary:
    """Counts of a prediction run: ``read == tagged + rejected``."""

    read: int = 0
    tagged: int = 0
    rejected: int = 0
    output: str = ""
    rejects: str | None = None
    label_counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the console."""
        text = f"{self.read} read, {self.tagged} tagged, {self.rejected} rejected -> {self.output}"
        if self.rejected and self.rejects:
            text += f" (rejects: {self.rejects})"
        return text


# ---------------------------------------------------------------- reading


_INPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}


def input_format(path: str) -> str:
    """``jsonl``, ``csv``, ``parquet`` or ``txt`` (a folder of .txt files), from the path."""
    if path == STDIO:
        return "jsonl"
    p = Path(path)
    if p.is_dir():
        return "txt"
    if p.suffix.lower() == ".parquet":
        return "parquet"
    suffix = Path(path.removesuffix(".gz")).suffix.lower()
    if suffix not in _INPUT_SUFFIXES:
        raise DataError(
            f"{path}: unknown input type; use .jsonl, .csv, .parquet (text formats may end "
            "in .gz), a folder of .txt files, or - for JSONL on standard input"
        )
    return _INPUT_SUFFIXES[suffix]


def _open_binary(path: str) -> IO[bytes]:
    if path == STDIO:
        return sys.stdin.buffer
    if not Path(path).exists():
        raise DataError(f"{path}: input file not found")
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def make_record(
    line: int, obj: Any, text_fields: Sequence[str], id_field: str | None
) -> Row | Reject:
    """Check one parsed row and join its text fields; bad rows become a :class:`Reject`."""
    if not isinstance(obj, dict):
        return Reject(line, None, f"expected an object, got {type(obj).__name__}")
    raw_id = obj.get(id_field) if id_field else None
    row_id = str(raw_id) if raw_id is not None else f"line-{line}"
    present = [f for f in text_fields if f in obj and obj[f] is not None]
    if not present:
        return Reject(
            line,
            row_id,
            f"no text field {list(text_fields)}; the row has fields {sorted(obj)}",
        )
    parts = []
    for name in present:
        value = obj[name]
        if not isinstance(value, str):
            return Reject(line, row_id, f"field {name!r} is {type(value).__name__}, not text")
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            return Reject(line, row_id, f"field {name!r} has bytes that are not UTF-8")
        if value.strip():
            parts.append(value.strip())
    if not parts:
        return Reject(line, row_id, "empty text")
    return Row(line, row_id, "\n\n".join(parts))


def _read_jsonl(path: str, text_fields: Sequence[str], id_field: str | None) -> Iterator:
    with _open_binary(path) as fh:
        for line, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield Reject(line, None, f"bytes that are not UTF-8 at column {err.start + 1}")
                continue
            if not text.strip():
                yield Reject(line, None, "blank line")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                yield Reject(line, None, f"malformed JSON ({err.msg} at column {err.colno})")
                continue
            yield make_record(line, obj, text_fields, id_field)


def _read_csv(path: str, text_fields: Sequence[str], id_field: str | None) -> Iterator:
    with _open_binary(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return
        if not any(f in reader.fieldnames for f in text_fields):
            raise DataError(
                f"{path}: no text column {list(text_fields)}; columns are {reader.fieldnames}"
            )
        for row in reader:
            line = reader.line_num
            if None in row:
                yield Reject(line, None, "more values than header columns")
                continue
            yield make_record(line, row, text_fields, id_field)


def _read_parquet(
    path: str, text_fields: Sequence[str], id_field: str | None, batch_size: int
) -> Iterator:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from err
    names = parquet.schema_arrow.names
    columns = [c for c in [*text_fields, id_field] if c and c in names]
    if not any(f in names for f in text_fields):
        raise DataError(f"{path}: no text column {list(text_fields)}; columns are {names}")
    line = 0
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        for obj in batch.to_pylist():
            line += 1
            yield make_record(line, obj, text_fields, id_field)


def _read_txt_dir(path: str) -> Iterator:
    files = sorted(Path(path).rglob("*.txt"))
    for line, file in enumerate(files, start=1):
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            yield Reject(line, file.stem, f"{file.name}: bytes that are not UTF-8 at {err.start}")
            continue
        if not text.strip():
            yield Reject(line, file.stem, f"{file.name}: empty text")
            continue
        yield Row(line, file.stem, text.strip())


def read_records(
    path: str,
    text_fields: Sequence[str] = ("title", "body"),
    id_field: str | None = "id",
    batch_size: int = 4096,
) -> Iterator[Row | Reject]:
    """Stream the rows of ``path`` (JSONL, CSV, Parquet, a folder of .txt, or ``-``)."""
    kind = input_format(path)
    if kind == "jsonl":
        return _read_jsonl(path, text_fields, id_field)
    if kind == "csv":
        return _read_csv(path, text_fields, id_field)
    if kind == "parquet":
        return _read_parquet(path, text_fields, id_field, batch_size)
    return _read_txt_dir(path)


# ---------------------------------------------------------------- writing


def output_format(path: str) -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the output path; ``-`` is JSONL on stdout."""
    if path == STDIO:
        return "jsonl"
    name = path.lower().removesuffix(".gz")
    for suffix, kind in ((".jsonl", "jsonl"), (".json", "jsonl"), (".csv", "csv")):
        if name.endswith(suffix):
            return kind
    if path.lower().endswith(".parquet"):
        return "parquet"
    raise DataError(f"{path}: unknown output type; use .jsonl, .csv, .parquet or -")


class _Writer:
    """Writes tagged rows as JSONL, CSV or Parquet to an open binary file."""

    def __init__(self, kind: str, fh: IO[bytes], labels: Sequence[str]) -> None:
        self.kind = kind
        self.fh = fh
        self.score_columns = [f"score_{name}" for name in labels]
        self._parquet: pq.ParquetWriter | None = None
        self._csv = None
        if kind == "csv":
            self._text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
            self._csv = csv.writer(self._text)
            self._csv.writerow(["id", "labels", *self.score_columns])

    def write(self, ids: list[str], labels: list[list[str]], scores: np.ndarray) -> None:
        if self.kind == "jsonl":
            rounded = np.round(scores, 6).tolist()
            out = []
            for row_id, row_labels, row_scores in zip(ids, labels, rounded, strict=True):
                record = {"id": row_id, "labels": row_labels}
                record.update(zip(self.score_columns, row_scores, strict=True))
                out.append(json.dumps(record, ensure_ascii=False))
            self.fh.write(("\n".join(out) + "\n").encode("utf-8"))
        elif self.kind == "csv":
            rounded = np.round(scores, 6).tolist()
            self._csv.writerows(
                [i, "|".join(lab), *s] for i, lab, s in zip(ids, labels, rounded, strict=True)
            )
        else:
            columns = {"id": pa.array(ids, pa.string()), "labels": pa.array(labels)}
            for j, name in enumerate(self.score_columns):
                columns[name] = pa.array(scores[:, j].astype(np.float32))
            table = pa.table(columns)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.fh, table.schema)
            self._parquet.write_table(table)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self.kind == "parquet":  # no rows: still a valid, empty Parquet file
            empty = pa.table(
                {"id": pa.array([], pa.string()), "labels": pa.array([], pa.list_(pa.string()))}
                | {c: pa.array([], pa.float32()) for c in self.score_columns}
            )
            pq.write_table(empty, self.fh)
        if self._csv is not None:
            self._text.flush()
            self._text.detach()


# ---------------------------------------------------------------- tagging


def _batches(items: Iterable[Row | Reject], size: int) -> Iterator[list[Row | Reject]]:
    batch: list[Row | Reject] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_rejects_path(output: str) -> str | None:
    """``out.csv`` -> ``out.rejects.jsonl``; None for standard output."""
    if output == STDIO:
        return None
    p = Path(output)
    return str(p.with_name(f"{p.name.split('.')[0]}.rejects.jsonl"))


def predict_file(
    tagger: TopicTagger,
    input_path: str,
    output_path: str,
    text_fields: Sequence[str] = ("title", "body"),
    id_field: str | None = "id",
    batch_size: int = 4096,
    on_error: OnError = "reject",
    rejects_path: str | None = None,
    progress: bool | None = None,
) -> Summary:
    """Tag every article of ``input_path`` and write ``output_path`` atomically.

    Bad rows go to ``rejects_path`` (default ``<output>.rejects.jsonl``) with their line
    number and reason; with ``on_error="fail"`` the first bad row stops the run instead.
    """
    if on_error not in ("reject", "fail"):
        raise DataError(f"on_error={on_error!r} is not valid; choose 'reject' or 'fail'")
    kind = output_format(output_path)
    records = read_records(input_path, text_fields, id_field, batch_size)
    rejects_path = rejects_path or default_rejects_path(output_path)
    summary = Summary(output=output_path, rejects=rejects_path)
    counts = np.zeros(len(tagger.labels_), dtype=np.int64)

    def run(out: IO[bytes], rejects: IO[bytes]) -> None:
        writer = _Writer(kind, out, tagger.labels_)
        bar = tqdm(unit=" articles", disable=(not progress) if progress is not None else None)
        with bar:
            for batch in _batches(records, batch_size):
                rows = [item for item in batch if isinstance(item, Row)]
                bad = [item for item in batch if isinstance(item, Reject)]
                if bad and on_error == "fail":
                    raise DataError(f"{input_path}:{bad[0].line}: {bad[0].reason}")
                if bad:
                    rejects.write(
                        "".join(
                            json.dumps({"line": r.line, "id": r.id, "reason": r.reason}) + "\n"
                            for r in bad
                        ).encode("utf-8")
                    )
                summary.read += len(batch)
                summary.rejected += len(bad)
                if rows:
                    scores = tagger.decision_function([r.text for r in rows])
                    indicator = tagger.indicator_from_scores(scores)
                    counts[:] += indicator.sum(axis=0)
                    labels = tagger.labels_from_indicator(indicator)
                    writer.write([r.id for r in rows], labels, scores)
                    summary.tagged += len(rows)
                bar.update(len(batch))
        writer.close()

    if output_path == STDIO:
        # Rejects go to a file if one is named, else to standard error: never dropped.
        if rejects_path:
            with atomic_path(rejects_path) as rej_tmp, open(rej_tmp, "wb") as rej:
                run(sys.stdout.buffer, rej)
        else:
            run(sys.stdout.buffer, sys.stderr.buffer)
        sys.stdout.buffer.flush()
    else:
        with (
            atomic_path(output_path) as out_tmp,
            atomic_path(rejects_path) as rej_tmp,
            open(out_tmp, "wb") as out,
            open(rej_tmp, "wb") as rejects,
        ):
            run(out, rejects)
        if summary.rejected == 0:
            Path(rejects_path).unlink(missing_ok=True)
            summary.rejects = None
    summary.label_counts = {name: int(c) for name, c in zip(tagger.labels_, counts, strict=True)}
    return summary


def run_prediction(
    model: str,
    input: str,
    output: str,
    text_fields: Sequence[str] = ("title", "body"),
    id_field: str | None = "id",
    batch_size: int = 4096,
    on_error: OnError = "reject",
    rejects: str | None = None,
    progress: bool | None = None,
    trust: bool = False,
    tracking_uri: str | None = None,
    engine: str = "local",
    spark: dict[str, Any] | None = None,
) -> Summary:
    """Load ``model`` (a joblib path or an MLflow URI) and tag ``input`` into ``output``.

    ``engine="spark"`` tags on Spark instead (:mod:`classifier.spark`; ``spark`` holds
    ``master`` and ``app_name``).
    """
    if engine not in ("local", "spark"):
        raise DataError(f"engine={engine!r} is not valid; choose 'local' or 'spark'")
    if tracking_uri:
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
    loaded = load_model_uri(model, trust=trust)
    if engine == "spark":
        from classifier.spark import predict_spark

        return predict_spark(
            loaded.tagger,
            input,
            output,
            text_fields=text_fields,
            id_field=id_field,
            batch_size=batch_size,
            on_error=on_error,
            rejects_path=rejects,
            **(spark or {}),
        )
    return predict_file(
        loaded.tagger,
        input,
        output,
        text_fields=text_fields,
        id_field=id_field,
        batch_size=batch_size,
        on_error=on_error,
        rejects_path=rejects,
        progress=progress,
    )
