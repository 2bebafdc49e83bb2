"""Markdown tables, as the model card, the audit report and the benchmarks print them.

A few lines rather than ``pandas.DataFrame.to_markdown``, which needs the extra
``tabulate`` package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def markdown_cell(value: Any) -> str:
    """``value`` as a table cell: floats to four decimals, ``|`` escaped."""
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    return text.replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table of ``rows`` under ``header`` (cells as :func:`markdown_cell`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
