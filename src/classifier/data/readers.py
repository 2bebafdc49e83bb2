"""Streaming readers of articles to tag: JSONL (also in raw blocks for workers), CSV,
Parquet, plain text (one article per line) and folders of .txt files; every row comes out
as a Row or a Reject, made by :func:`classifier.data.records.make_record`."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.data.formats import STDIO, detect_format, input_format, sniff_lines
from classifier.data.records import (
    DEFAULT_FIELDS,
    FROM_FILE,
    FROM_LINE,
    Reject,
    Row,
    TextFields,
    make_record,
)
from classifier.errors import DataError

_OPENERS = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}


def _open_binary(path: str) -> IO[bytes]:
    if path == STDIO:
        return sys.stdin.buffer
    if not Path(path).exists():
        raise DataError(f"{path}: input file not found")
    found = detect_format(path)
    opener = _OPENERS.get(found.compression) if found else None
    return opener(path, "rb") if opener else open(path, "rb")


def parse_jsonl_lines(
    first_line: int, lines: Iterable[bytes], fields: TextFields
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
        if obj is _AGAIN or not _as_json_reads(obj, fields):
            obj = _json_line(line, raw)
            if type(obj) is Reject:
                yield obj
                continue
        yield make_record(line, obj, fields)


def parse_text_lines(first_line: int, lines: Iterable[bytes]) -> Iterator[Row | Reject]:
    """Plain text ``lines`` (bytes, without their newline), one article each, with the id
    ``line-<n>``: a .txt file or standard input that is not JSONL."""
    for line, raw in enumerate(lines, start=first_line):
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as err:
            yield Reject(line, None, f"bytes that are not UTF-8 at column {err.start + 1}")
            continue
        if not text:
            yield Reject(line, None, "blank line")
            continue
        yield Row(line, f"line-{line}", text, FROM_LINE)


_AGAIN = object()  # a line for Python's json module
_PLAIN = (str, int, bool, type(None))


def _as_json_reads(obj: Any, fields: TextFields) -> bool:
    """Whether orjson's ``obj`` gives the row ``json.loads`` would: no float where a row
    is built from (its text fields' types, its id's text), nothing nested in the id."""
    if type(obj) is not dict:
        return type(obj) is not float
    if fields.id_field is not None and type(obj.get(fields.id_field)) not in _PLAIN:
        return False
    names = (*fields.fields, fields.fallback) if fields.fallback else fields.fields
    return float not in map(type, map(obj.get, names))


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
    with _open_binary(path) as fh:
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


def line_kind(path: str, first_block: bytes) -> str:
    """``jsonl`` or ``lines``: what the lines of ``path`` are (standard input is sniffed)."""
    if path == STDIO:
        return sniff_lines(first_block)
    return input_format(path)


def _read_lines(path: str, fields: TextFields) -> Iterator:
    kind = None
    for first, block in read_jsonl_blocks(path):
        kind = kind or line_kind(path, block)
        lines = block_lines(block)
        if kind == "lines":
            yield from parse_text_lines(first, lines)
        else:
            yield from parse_jsonl_lines(first, lines, fields)


def check_columns(path: str, columns: Sequence[str], fields: TextFields) -> None:
    """A table (CSV, Parquet) with no column to read text from stops at once."""
    names = [*fields.fields, *([fields.fallback] if fields.fallback else [])]
    if not any(name in columns for name in names):
        raise DataError(
            f"{path}: no column the model reads text from ({fields.describe()}); "
            f"the file has columns {list(columns)} (set text_fields=[...] to choose)"
        )


def _read_csv(path: str, fields: TextFields) -> Iterator:
    with _open_binary(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return
        check_columns(path, reader.fieldnames, fields)
        for row in reader:
            line = reader.line_num
            if None in row:
                yield Reject(line, None, "more values than header columns")
                continue
            yield make_record(line, row, fields)


def _read_parquet(path: str, fields: TextFields, batch_size: int) -> Iterator:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from err
    names = parquet.schema_arrow.names
    check_columns(path, names, fields)
    wanted = [*fields.fields, fields.fallback, fields.id_field]
    columns = [c for c in dict.fromkeys(wanted) if c and c in names]
    line = 0
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        for obj in batch.to_pylist():
            line += 1
            yield make_record(line, obj, fields)


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
        yield Row(line, file.stem, text.strip(), FROM_FILE)


def read_records(
    path: str, fields: TextFields = DEFAULT_FIELDS, batch_size: int = 4096
) -> Iterator[Row | Reject]:
    """Stream the rows of ``path`` (JSONL, CSV, Parquet, .txt lines, a folder of .txt, or
    ``-``: JSONL or plain lines on standard input)."""
    kind = input_format(path)
    if kind in ("jsonl", "lines"):
        return _read_lines(path, fields)
    if kind == "csv":
        return _read_csv(path, fields)
    if kind == "parquet":
        return _read_parquet(path, fields, batch_size)
    return _read_txt_dir(path)
