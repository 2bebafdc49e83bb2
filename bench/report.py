"""How every benchmark ends: its figures as a markdown table on stdout and as one JSON file
under bench/results/ (written whole or not at all), with the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from classifier.atomic import atomic_path
from classifier.markdown import markdown_table


def print_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print ``rows`` (cells already formatted, or as
    :func:`classifier.markdown.markdown_cell` shows them)
    under ``header`` as a markdown table."""
    print(markdown_table(header, rows))


def machine() -> dict:
    """The Python version and CPU count the figures were measured with."""
    return {"python": platform.python_version(), "cpus": os.cpu_count()}


def write_result(path: Path, result: dict) -> None:
    """Write ``result`` to ``path`` as indented JSON (atomically: a benchmark stopped while
    writing leaves the previous figures) and say so on stderr."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {path}", file=sys.stderr)
