"""Streaming readers of articles to tag: JSONL (also in raw blocks for workers), CSV,
Parquet, plain text (one article per line) and folders of .txt files; every row comes out
as a Row or a Reject, made by :func:`classifier.data.records.make_record`."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.data.formats import STDIO, input_format, sniff_lines
from classifier.data.inputs import UTF8_BOM, open_input, read_txt, txt_files
from classifier.data.records import (
    DEFAULT_FIELDS,
    FROM_FIELDS,
    FROM_FILE,
    FROM_LINE,
    Reject,
    Row,
    TextFields,
    make_record,
)
from classifier.errors import DataError

# csv's default limit (128 KiB per field) guards other uses; an article is read whole
# whatever its size, in CSV as in JSONL.
CSV_FIELD_LIMIT = 2**31 - 1
# Delimiters spreadsheets export CSV with (';' where the decimal mark is a comma).
CSV_DELIMITERS = (",", ";", "\t", "|")


def parse_jsonl_lines(
    first_line: int, lines: Iterable[bytes], fields: TextFields, label_field: str | None = None
) -> Iterator[Row | Reject]:
    """Rows of JSONL ``lines`` (bytes, without their newline), numbered from ``first_line``.

    Each line is parsed by orjson (compiled, several times faster than ``json``); a line
    orjson refuses, or where its object could differ from ``json.loads``'s in what the row
    is made of (orjson reads integers beyond 64 bits as floats), is parsed again by
    Python's ``json``, so the rows and the reject reasons are exactly ``json``'s. The
    common row (an ASCII string id, every text field an ASCII string) is made without
    :func:`make_record`'s checks (:func:`_plain_row`), which no such row can fail.
    """
    plain = _plain_row(fields) if label_field is None else None
    for line, raw in enumerate(lines, start=first_line):
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = _AGAIN
        if plain is not None and type(obj) is dict and (row := plain(line, obj)) is not None:
            yield row
            continue
        if obj is _AGAIN or not _as_json_reads(obj, fields):
            obj = _json_line(line, raw)
            if type(obj) is Reject:
                yield obj
                continue
        yield make_record(line, obj, fields, label_field)


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
        yield Row(line, f"line-{line}", text, None, FROM_LINE)


_AGAIN = object()  # a line for Python's json module
_NEWLINE = ord("\n")
_PLAIN = (str, int, bool, type(None))


def _plain_row(fields: TextFields) -> Callable[[int, dict], Row | None] | None:
    """The row :func:`make_record` makes of an object whose id is an ASCII string and whose
    text fields are all ASCII strings with some text (None for any other object: it goes
    through :func:`make_record`); about four times faster, for the rows of most files.

    For such an object make_record's rules reduce to this: the id is the string itself (no
    surrogate can be in ASCII), the text fields are used (none is missing), and the text
    is the stripped, non-empty values joined. None without an id field (the id is then
    the line's).
    """
    id_field, names, join = fields.id_field, fields.fields, fields.join
    if id_field is None:
        return None

    def plain(line: int, obj: dict) -> Row | None:
        row_id = obj.get(id_field)
        values = [obj.get(name) for name in names]
        if type(row_id) is not str or not row_id.isascii():
            return None
        if not all(type(v) is str and v.isascii() for v in values):
            return None
        text = join.join([v for v in map(str.strip, values) if v])
        return Row(line, row_id, text, None, FROM_FIELDS) if text else None

    return plain


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
    except RecursionError:
        return Reject(line, None, "malformed JSON (nested too deeply)")


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
            line += _count_newlines(block)
    if rest:
        yield line, rest


def _count_newlines(block: bytes) -> int:
    """``block.count(b"\\n")`` with NumPy, which releases the GIL (bytes.count holds it),
    so that the reading thread does not hold up the workers."""
    return int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == _NEWLINE))


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


def _read_lines(path: str, fields: TextFields, label_field: str | None = None) -> Iterator:
    kind = None
    for first, block in read_jsonl_blocks(path):
        kind = kind or line_kind(path, block)
        lines = block_lines(block)
        if kind == "lines" and label_field is None:
            yield from parse_text_lines(first, lines)
        else:
            yield from parse_jsonl_lines(first, lines, fields, label_field)


def _text_columns(fields: TextFields) -> list[str]:
    return [*fields.fields, *([fields.fallback] if fields.fallback else [])]


def check_columns(
    path: str, columns: Sequence[str], fields: TextFields, label_field: str | None = None
) -> None:
    """A table (CSV, Parquet) with no column to read text (or labels) from stops at once."""
    if not any(name in columns for name in _text_columns(fields)):
        raise DataError(
            f"{path}: no column the model reads text from ({fields.describe()}); "
            f"the file has columns {list(columns)} (set text_fields=[...] to choose)"
        )
    if label_field is not None and label_field not in columns:
        raise DataError(f"{path}: no label column {label_field!r}; columns are {list(columns)}")


def csv_delimiter(header: str, text_fields: Sequence[str]) -> str:
    """The delimiter with which ``header`` (the first line) names a text column; ','
    when none does (the error then lists the columns as read with ',')."""
    for delimiter in CSV_DELIMITERS:
        if any(f in next(csv.reader([header], delimiter=delimiter), []) for f in text_fields):
            return delimiter
    return ","


def _read_csv(path: str, fields: TextFields, label_field: str | None) -> Iterator:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    with open_input(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        header = fh.readline()
        delimiter = csv_delimiter(header, _text_columns(fields))
        reader = csv.DictReader(itertools.chain([header], fh), delimiter=delimiter)
        try:
            fieldnames = reader.fieldnames
        except csv.Error as err:
            raise DataError(f"{path}:1: malformed CSV header ({err})") from err
        if fieldnames is None:
            return
        check_columns(path, fieldnames, fields, label_field)
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
            yield make_record(reader.line_num, row, fields, label_field)


def _read_parquet(
    path: str, fields: TextFields, batch_size: int, label_field: str | None
) -> Iterator:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from err
    names = parquet.schema_arrow.names
    check_columns(path, names, fields, label_field)
    wanted = [*_text_columns(fields), fields.id_field, label_field]
    columns = [c for c in dict.fromkeys(wanted) if c and c in names]
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
            yield make_record(line, obj, fields, label_field)


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
        yield Row(line, file.stem, text.strip(), None, FROM_FILE)


def read_records(
    path: str,
    fields: TextFields = DEFAULT_FIELDS,
    batch_size: int = 4096,
    label_field: str | None = None,
) -> Iterator[Row | Reject]:
    """Stream the rows of ``path`` (JSONL, CSV, Parquet, .txt lines, a folder of .txt, or
    ``-``: JSONL or plain lines on standard input).

    With ``label_field`` every row must carry that field too, and keeps its raw value in
    ``Row.labels`` (plain text has no labels).
    """
    kind = input_format(path)
    if label_field is not None and kind in ("txt", "lines"):
        raise DataError(f"{path}: plain text has no labels; use JSONL, CSV or Parquet")
    if kind in ("jsonl", "lines"):
        return _read_lines(path, fields, label_field)
    if kind == "csv":
        return _read_csv(path, fields, label_field)
    if kind == "parquet":
        return _read_parquet(path, fields, batch_size, label_field)
    return _read_txt_dir(path)
