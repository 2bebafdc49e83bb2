"""A row of input made into an article: the one rule for its text, its id, or why it has none.

:func:`article_text` is how every path turns a row into an article's text: the training
loaders (files, the hub, Reuters), the streaming trainer, the prediction readers, the Spark
engine and the served model. Its policy: a missing value (an absent field, None, NaN) is
skipped; a string is stripped and, if anything is left, joined to the others with
:attr:`TextFields.join` (a blank line); any other value (a number, a list) is not text and
makes the row unusable, as does a string that is not valid UTF-8.

:class:`TextFields` says where a row's text and id are. A model stores the fields it was
trained with (:meth:`TextFields.to_dict`), and prediction reads articles the same way by
default (:func:`model_fields`; models written before they were stored read ``title`` and
``body``), with the overrides and the ``text`` fallback of :func:`fields_to_read`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

JOIN = "\n\n"
# The field read when a row has none of the model's fields: the common {"id", "text"} shape.
FALLBACK_FIELD = "text"
# Where a Row's text came from (Row.source), for the run's summary.
FROM_FIELDS, FROM_FALLBACK, FROM_FILE, FROM_LINE = "fields", "fallback", "file", "line"

# Lone surrogates: bytes that were not UTF-8 (kept so by the "surrogateescape" decoder),
# or "\ud800"-style escapes in JSON; neither can be written out as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UTF8 = "is not valid UTF-8 (undecodable bytes or a lone surrogate)"


class NotText(ValueError):
    """A row's text field holds something that is not text; the message says which."""


@dataclass(frozen=True)
class TextFields:
    """Where an article is in a row: the ``fields`` joined by ``join`` into its text, and
    its ``id_field``. ``fallback`` (prediction only, not stored) is the field read when a
    row has none of ``fields``."""

    fields: tuple[str, ...] = ("title", "body")
    join: str = JOIN
    id_field: str | None = "id"
    fallback: str | None = None

    def __post_init__(self) -> None:
        fields = (self.fields,) if isinstance(self.fields, str) else tuple(self.fields)
        if not fields or not all(isinstance(f, str) and f for f in fields):
            raise ValueError(f"text fields must be a non-empty list of names, got {self.fields!r}")
        object.__setattr__(self, "fields", fields)

    def to_dict(self) -> dict[str, Any]:
        """What a model file stores (``metadata["input"]``)."""
        return {"text_fields": list(self.fields), "join": self.join, "id_field": self.id_field}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> TextFields:
        """The inverse of :meth:`to_dict`."""
        return cls(tuple(stored["text_fields"]), stored.get("join", JOIN), stored.get("id_field"))

    def with_fallback(self) -> TextFields:
        """These fields, reading ``text`` from rows that have none of them."""
        if FALLBACK_FIELD in self.fields:
            return self
        return replace(self, fallback=FALLBACK_FIELD)

    def describe(self) -> str:
        """``title, body`` (``, or text`` with the fallback), for messages."""
        names = ", ".join(self.fields)
        return f"{names}, or {self.fallback}" if self.fallback else names


# What models saved before their fields were stored read: title and body, id "id".
DEFAULT_FIELDS = TextFields()


def model_fields(metadata: Mapping[str, Any]) -> TextFields:
    """The text fields, join and id field a model was trained with, from its metadata
    (:data:`DEFAULT_FIELDS` for models saved before these were stored)."""
    stored = metadata.get("input")
    return TextFields.from_dict(stored) if stored else DEFAULT_FIELDS


def fields_to_read(
    model: TextFields, text_fields: Sequence[str] | None = None, id_field: str | None = None
) -> TextFields:
    """How to read a model's input: its own fields, and then a row's ``text`` when the row
    has none of them; or the ``text_fields`` named instead (no fallback then). A given
    ``id_field`` wins over the model's. Prediction and evaluation both read rows this way."""
    if text_fields is None:
        chosen = model.with_fallback()
    else:
        names = (text_fields,) if isinstance(text_fields, str) else tuple(text_fields)
        chosen = replace(model, fields=names, fallback=None)
    return chosen if id_field is None else replace(chosen, id_field=id_field)


def is_missing(value: Any) -> bool:
    """None or NaN (pandas' and Arrow-to-pandas' missing value)."""
    return value is None or (isinstance(value, float) and value != value)


def article_text(row: Mapping[str, Any], fields: Sequence[str], join: str = JOIN) -> str:
    """The text of ``row``: its ``fields`` holding text, stripped, joined by ``join``.

    Missing values are skipped and the result is ``""`` when no field holds text; a value
    that is not a string, or not valid UTF-8, raises :class:`NotText`.
    """
    parts = []
    for name in fields:
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            if is_missing(value):
                continue
            raise NotText(f"field {name!r} is {type(value).__name__}, not text")
        if not value.isascii() and _SURROGATE.search(value):
            raise NotText(f"field {name!r} {_NOT_UTF8}")
        value = value.strip()
        if value:
            parts.append(value)
    return join.join(parts)


class Row(NamedTuple):
    """An article to tag; ``line`` is its 1-based line (or row) number in the input, and
    ``source`` says where its text came from (``FROM_*``).

    A named tuple rather than a frozen dataclass: one is made per input row, and a tuple
    is several times cheaper to create."""

    line: int
    id: str
    text: str
    # The raw value of the label field, when the reader was asked for one (evaluation).
    labels: Any = None
    source: str = FROM_FIELDS


class Reject(NamedTuple):
    """An input row that cannot be tagged, and why. ``fields`` is set when the row is an
    object with none of the text fields: the fields it has."""

    line: int
    id: str | None
    reason: str
    fields: tuple[str, ...] | None = None


def make_record(
    line: int, obj: Any, fields: TextFields, label_field: str | None = None
) -> Row | Reject:
    """Check one parsed row and make its article (:func:`article_text`), or a :class:`Reject`.

    With ``label_field`` (labelled rows, for evaluation) a row without it is rejected too.
    """
    if not isinstance(obj, dict):
        return Reject(line, None, f"expected an object, got {type(obj).__name__}")
    id_field = fields.id_field
    raw_id = obj.get(id_field) if id_field else None
    row_id = str(raw_id) if not is_missing(raw_id) else f"line-{line}"
    if not row_id.isascii() and _SURROGATE.search(row_id):
        return Reject(line, None, f"field {id_field!r} {_NOT_UTF8}")
    names, source = fields.fields, FROM_FIELDS
    if all(is_missing(obj.get(f)) for f in names):
        fallback = fields.fallback
        if fallback and not is_missing(obj.get(fallback)):
            names, source = (fallback,), FROM_FALLBACK
        elif any(f in obj for f in names) or (fallback and fallback in obj):
            return Reject(line, row_id, f"empty text (no value in {fields.describe()})")
        else:
            present = tuple(sorted(map(str, obj)))
            reason = f"no text field ({fields.describe()}); the row has fields {list(present)}"
            return Reject(line, row_id, reason, present)
    try:
        text = article_text(obj, names, fields.join)
    except NotText as err:
        return Reject(line, row_id, str(err))
    if not text:
        return Reject(line, row_id, "empty text")
    if label_field is None:
        return Row(line, row_id, text, None, source)
    if label_field not in obj:
        return Reject(
            line, row_id, f"no label field {label_field!r}; the row has fields {sorted(obj)}"
        )
    return Row(line, row_id, text, obj[label_field], source)


class FieldCheck:
    """Stops a run whose first rows have none of the text fields, instead of rejecting every
    row of a file that was never going to match.

    Fed the rows and rejects in input order (:meth:`update`), it decides at the first batch
    that holds an object: if no row there had a text field, :meth:`error` says which fields
    were expected and which the rows have."""

    def __init__(self, fields: TextFields) -> None:
        self.fields = fields
        self.decided = False
        self.failed = False
        self.checked = 0
        self.found: set[str] = set()

    def update(self, items: Iterable[Row | Reject]) -> bool:
        """Look at one batch (until decided); True when the run must stop."""
        if self.decided:
            return False
        missing = objects = 0
        for item in items:
            self.checked += 1
            if isinstance(item, Row):
                self.decided = True
                return False
            if item.fields is not None:
                missing += 1
                self.found.update(item.fields)
            elif item.id is not None:  # an object with the fields, but bad values
                objects += 1
        if objects:
            self.decided = True
        elif missing:
            self.decided = self.failed = True
        return self.failed

    def error(self, where: str) -> str:
        """The one line: the fields the model reads and the fields the rows have."""
        return (
            f"{where}: none of the first {self.checked} rows has a text field the model reads "
            f"({self.fields.describe()}); the rows have fields {sorted(self.found)} "
            "(set text_fields=[...] to choose)"
        )
