"""One input row made into an article to tag (:class:`Row`) or a :class:`Reject` with its reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

# Lone surrogates: bytes that were not UTF-8 (kept so by the "surrogateescape" decoder),
# or "\ud800"-style escapes in JSON; neither can be written out as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UTF8 = "is not valid UTF-8 (undecodable bytes or a lone surrogate)"


class Row(NamedTuple):
    """An article to tag; ``line`` is its 1-based line (or row) number in the input.

    A named tuple rather than a frozen dataclass: one is made per input row, and a tuple
    is several times cheaper to create."""

    line: int
    id: str
    text: str
    # The raw value of the label field, when the reader was asked for one (evaluation).
    labels: Any = None


class Reject(NamedTuple):
    """An input row that cannot be tagged, and why."""

    line: int
    id: str | None
    reason: str


def make_record(
    line: int,
    obj: Any,
    text_fields: Sequence[str],
    id_field: str | None,
    label_field: str | None = None,
) -> Row | Reject:
    """Check one parsed row and join its text fields; bad rows become a :class:`Reject`.

    With ``label_field`` (labelled rows, for evaluation) a row without it is rejected too.
    """
    if not isinstance(obj, dict):
        return Reject(line, None, f"expected an object, got {type(obj).__name__}")
    raw_id = obj.get(id_field) if id_field else None
    row_id = str(raw_id) if raw_id is not None else f"line-{line}"
    if not row_id.isascii() and _SURROGATE.search(row_id):
        return Reject(line, None, f"field {id_field!r} {_NOT_UTF8}")
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
        if not value.isascii() and _SURROGATE.search(value):
            return Reject(line, row_id, f"field {name!r} {_NOT_UTF8}")
        value = value.strip()
        if value:
            parts.append(value)
    if not parts:
        return Reject(line, row_id, "empty text")
    if label_field is None:
        return Row(line, row_id, "\n\n".join(parts))
    if label_field not in obj:
        return Reject(
            line, row_id, f"no label field {label_field!r}; the row has fields {sorted(obj)}"
        )
    return Row(line, row_id, "\n\n".join(parts), obj[label_field])
