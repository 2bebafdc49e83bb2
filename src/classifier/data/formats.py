"""Input and output formats, told from a path: JSONL, CSV, Parquet, a folder of .txt files,
or ``-`` for standard input/output."""

from __future__ import annotations

from pathlib import Path

from classifier.errors import DataError

STDIO = "-"

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
    if name.endswith(".parquet"):
        raise DataError(f"{path}: Parquet is compressed inside; name the output .parquet")
    raise DataError(
        f"{path}: unknown output type; use .jsonl, .csv (either may end in .gz), .parquet or -"
    )
