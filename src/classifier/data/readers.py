"""Streaming readers of articles to tag: JSONL (also in raw blocks for workers), CSV,
Parquet and folders of .txt files; every row comes out as a Row or a Reject."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.data.formats import input_format
from classifier.data.inputs import UTF8_BOM, open_input, read_txt, txt_files
from classifier.data.records import Reject, Row, make_record
from classifier.errors import DataError

# csv's default limit (128 KiB per field) guards other uses; an article is read whole
# whatever its size, in CSV as in JSONL.
CSV_FIELD_LIMIT = 2**31 - 1
# Delimiters spreadsheets export CSV with (';' where the decimal mark is a comma).
CSV_DELIMITERS = (",", ";", "\t", "|")


def parse_jsonl_lines(
    first_line: int,
    lines: Iterable[bytes],
    text_fields: Sequence[str],
    id_field: str | None,
    label_field: str | None = None,
) -> Iterator[Row | Reject]:
    """Rows of JSONL ``lines`` (bytes, without their newline), numbered from ``first_line``.

    Each line is parsed by orjson (compiled, several times faster than ``json``); a line
    orjson refuses, or where its object could differ from ``json.loads``'s in what the row
    is made of (orjson reads integers beyond 64 bits as floats), is parsed again by
    Python's ``json``, so the rows and the reject reasons are exactly ``json``'s.
    """
    for line, raw in enumerate(lines, start=first_line):
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = _AGAIN
        if obj is _AGAIN or not _as_json_reads(obj, text_fields, id_field):
            obj = _json_line(line, raw)
            if type(obj) is Reject:
                yield obj
                continue
        yield make_record(line, obj, text_fields, id_field, label_field)


_AGAIN = object()  # a line for Python's json module
_PLAIN = (str, int, bool, type(None))


def _as_json_reads(obj: Any, text_fields: Sequence[str], id_field: str | None) -> bool:
    """Whether orjson's ``obj`` gives the row ``json.loads`` would: no float where a row
    is built from (its text fields' types, its id's text), nothing nested in the id."""
    if type(obj) is not dict:
        return type(obj) is not float
    if id_field is not None and type(obj.get(id_field)) not in _PLAIN:
        return False
    return float not in map(type, map(obj.get, text_fields))


def _json_line(line: int, raw: bytes) -> Any:
    """The object of one JSONL line parsed by Python's ``json``, or the line's Reject."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return Reject(line, None, f"bytes that are not UTF-8 at column {err.start + 1}")
    if not text or text.isspace():
        return Reject(line, None, "blank line")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        return Reject(line, None, f"malformed JSON ({err.msg} at column {err.colno})")


def read_jsonl_blocks(path: str, block_bytes: int = 1 << 22) -> Iterator[tuple[int, bytes]]:
    """``(first line number, block)`` pairs: the raw input cut at line ends into blocks of
    about ``block_bytes``, for workers to decode and parse."""
    line = 1
    rest = b""
    with open_input(path) as fh:
        if fh.peek(3)[:3] == UTF8_BOM:  # Notepad and Excel's "UTF-8" start with one
            fh.read(3)
        while True:
            data = fh.read(block_bytes)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[: cut + 1], data[cut + 1 :]
            yield line, block
            line += block.count(b"\n")
    if rest:
        yield line, rest


def block_lines(block: bytes) -> list[bytes]:
    """The lines of a block from :func:`read_jsonl_blocks` (as iterating a binary file)."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return lines


def _read_jsonl(
    path: str, text_fields: Sequence[str], id_field: str | None, label_field: str | None
) -> Iterator:
    for first, block in read_jsonl_blocks(path):
        yield from parse_jsonl_lines(first, block_lines(block), text_fields, id_field, label_field)


def _check_columns(
    path: str, names: Sequence[str], text_fields: Sequence[str], label_field: str | None
) -> None:
    if not any(f in names for f in text_fields):
        raise DataError(f"{path}: no text column {list(text_fields)}; columns are {list(names)}")
    if label_field is not None and label_field not in names:
        raise DataError(f"{path}: no label column {label_field!r}; columns are {list(names)}")


def csv_delimiter(header: str, text_fields: Sequence[str]) -> str:
    """The delimiter with which ``header`` (the first line) names a text column; ','
    when none does (the error then lists the columns as read with ',')."""
    for delimiter in CSV_DELIMITERS:
        if any(f in next(csv.reader([header], delimiter=delimiter), []) for f in text_fields):
            return delimiter
    return ","


def _read_csv(
    path: str, text_fields: Sequence[str], id_field: str | None, label_field: str | None
) -> Iterator:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    with open_input(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        header = fh.readline()
        delimiter = csv_delimiter(header, text_fields)
        reader = csv.DictReader(itertools.chain([header], fh), delimiter=delimiter)
        try:
            fieldnames = reader.fieldnames
        except csv.Error as err:
            raise DataError(f"{path}:1: malformed CSV header ({err})") from err
        if fieldnames is None:
            return
        _check_columns(path, fieldnames, text_fields, label_field)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                yield Reject(reader.line_num, None, f"malformed CSV ({err})")
                continue
            if None in row:
                yield Reject(reader.line_num, None, "more values than header columns")
                continue
            yield make_record(reader.line_num, row, text_fields, id_field, label_field)


def _read_parquet(
    path: str,
    text_fields: Sequence[str],
    id_field: str | None,
    batch_size: int,
    label_field: str | None,
) -> Iterator:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from err
    names = parquet.schema_arrow.names
    columns = [c for c in [*text_fields, id_field, label_field] if c and c in names]
    _check_columns(path, names, text_fields, label_field)
    line = 0
    batches = parquet.iter_batches(batch_size=batch_size, columns=columns)
    while True:
        try:
            batch = next(batches, None)
        except (OSError, pa.ArrowException) as err:
            raise DataError(f"{path}: Parquet data unreadable after row {line} ({err})") from err
        if batch is None:
            return
        for obj in batch.to_pylist():
            line += 1
            yield make_record(line, obj, text_fields, id_field, label_field)


def _read_txt_dir(path: str) -> Iterator:
    for line, file in enumerate(txt_files(path), start=1):
        name = file.relative_to(path)
        try:
            text = read_txt(file).decode("utf-8")
        except OSError as err:
            yield Reject(line, file.stem, f"{name}: {err.strerror or err}")
            continue
        except UnicodeDecodeError as err:
            yield Reject(line, file.stem, f"{name}: bytes that are not UTF-8 at {err.start}")
            continue
        if not text.strip():
            yield Reject(line, file.stem, f"{name}: empty text")
            continue
        yield Row(line, file.stem, text.strip())


def read_records(
    path: str,
    text_fields: Sequence[str] = ("title", "body"),
    id_field: str | None = "id",
    batch_size: int = 4096,
    label_field: str | None = None,
) -> Iterator[Row | Reject]:
    """Stream the rows of ``path`` (JSONL, CSV, Parquet, a folder of .txt, or ``-``).

    With ``label_field`` every row must carry that field too, and keeps its raw value in
    ``Row.labels`` (a folder of .txt files has no labels).
    """
    kind = input_format(path)
    if kind == "jsonl":
        return _read_jsonl(path, text_fields, id_field, label_field)
    if kind == "csv":
        return _read_csv(path, text_fields, id_field, label_field)
    if kind == "parquet":
        return _read_parquet(path, text_fields, id_field, batch_size, label_field)
    if label_field is not None:
        raise DataError(f"{path}: a folder of .txt files has no labels; use JSONL, CSV or Parquet")
    return _read_txt_dir(path)
