"""File formats, told from a path: the one detector used by training loaders, the streaming
trainer, the local and the Spark prediction engines and the output writers.

A path's format is its suffix (looked through a compression suffix: ``a.jsonl.gz`` is
compressed JSONL); a folder without a known suffix is a folder of ``.txt`` files; ``-`` is
standard input or output, whose lines are told apart (JSONL or plain text) by
:func:`sniff_lines`. Each reader then says which formats it takes (:func:`require`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from classifier.errors import DataError

STDIO = "-"
# Kinds: jsonl, csv, parquet; txt (a folder of .txt files, one article per file);
# lines (a .txt file or plain standard input, one article per line).
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".txt": "lines",
}
COMPRESSIONS = ("gz", "bz2", "xz", "zst")
_NAMES = {
    "jsonl": ".jsonl",
    "csv": ".csv",
    "parquet": ".parquet",
    "txt": "a folder of .txt files",
    "lines": ".txt (one article per line)",
}


@dataclass(frozen=True)
class FileFormat:
    """A path's ``kind`` (``jsonl``, ``csv``, ``parquet``, ``txt``, ``lines``) and its
    ``compression`` (``gz``, ``bz2``, ``xz``, ``zst`` or None)."""

    kind: str
    compression: str | None = None


def detect_format(path: str | Path) -> FileFormat | None:
    """The format of ``path`` from its name, or None when the name says none."""
    path = str(path)
    if path == STDIO:
        return FileFormat("jsonl")
    name = path.rstrip("/").lower()
    compression = next((c for c in COMPRESSIONS if name.endswith("." + c)), None)
    if compression:
        name = name[: -len(compression) - 1]
    kind = _SUFFIXES.get(PurePosixPath(name).suffix)
    if kind is not None and not (kind == "parquet" and compression):
        return FileFormat(kind, compression)
    if not compression and "://" not in path and Path(path).is_dir():
        return FileFormat("txt")
    return None


def require(
    path: str | Path,
    kinds: Collection[str],
    compressions: Collection[str] = ("gz",),
    what: str = "input",
) -> FileFormat:
    """:func:`detect_format`, checked against the ``kinds`` and ``compressions`` a reader
    or writer takes; ``what`` names it in the one-line error (``input``, ``output``...)."""
    found = detect_format(path)
    if found is None or found.kind not in kinds:
        names = ", ".join(_NAMES[k] for k in kinds)
        packed = f" (text formats may end in {', '.join('.' + c for c in compressions)})"
        hint = packed if compressions else ""
        got = f" ({_NAMES[found.kind]})" if found else ""
        raise DataError(f"{path}: unknown {what} type{got}; use {names}{hint}")
    if found.compression and found.compression not in compressions:
        allowed = ", ".join(f".{c}" for c in compressions) or "none"
        raise DataError(
            f"{path}: .{found.compression} compression is not supported for {what} "
            f"(supported: {allowed})"
        )
    return found


def input_format(path: str) -> str:
    """The kind of an input to tag locally (``-`` is ``jsonl``; see :func:`sniff_lines`)."""
    return require(path, ("jsonl", "csv", "parquet", "txt", "lines")).kind


def output_format(path: str) -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the output path; ``-`` is JSONL on stdout."""
    if path.lower().endswith(".parquet.gz"):
        raise DataError(f"{path}: Parquet is compressed inside; name the output .parquet")
    return require(path, ("jsonl", "csv", "parquet"), compressions=("gz",), what="output").kind


def sniff_lines(head: bytes) -> str:
    """``jsonl`` when the first non-blank line of ``head`` starts an object, else ``lines``:
    how standard input is told apart, JSONL or one plain article per line."""
    for raw in head.splitlines():
        stripped = raw.lstrip(b"\xef\xbb\xbf \t\r")
        if stripped:
            return "jsonl" if stripped.startswith(b"{") else "lines"
    return "jsonl"
