"""JSONL rows parsed with orjson are exactly those Python's json module gives: same rows,
same rejects with the same reasons, for any line."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.data.readers import parse_jsonl_lines
from classifier.data.records import Reject, TextFields, make_record

FIELDS = TextFields(("title", "body"), id_field="id")


def json_only(lines: list[bytes]) -> list:
    """The rows of ``lines`` parsed by Python's json module alone, with the readers' rules."""
    out = []
    for line, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            out.append(Reject(line, None, f"bytes that are not UTF-8 at column {err.start + 1}"))
            continue
        if not text or text.isspace():
            out.append(Reject(line, None, "blank line"))
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            out.append(Reject(line, None, f"malformed JSON ({err.msg} at column {err.colno})"))
            continue
        out.append(make_record(line, obj, FIELDS))
    return out


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
objects = st.dictionaries(st.sampled_from(["id", "title", "body", "x"]), values)
lines = st.one_of(
    objects.map(lambda o: json.dumps(o).encode()),
    objects.map(lambda o: json.dumps(o, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b),
    st.sampled_from(
        [
            b"",
            b"  ",
            b'{"id": 12345678901234567890123, "title": "big id"}',
            b'{"id": 1e400, "title": "infinite id"}',
            b'{"id": NaN, "body": "nan id"}',
            b'{"title": "\\ud800 lone surrogate"}',
            b'{"title": "a", "title": "duplicate key, the last wins"}',
            b'\xef\xbb\xbf{"title": "byte order mark"}',
            b'{"title": "raw\ttab"}',
            b'{"title": "\xff not utf-8"}',
            b'{"title": 1.5}',
            b'{"title": 123456789012345678901234567890}',
            b"123456789012345678901234567890",
            b'{"body": "x"} trailing',
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(lines, min_size=1, max_size=20))
def test_rows_and_rejects_equal_the_json_modules(raw_lines):
    assert list(parse_jsonl_lines(1, raw_lines, FIELDS)) == json_only(raw_lines)


ascii_text = st.text(st.characters(max_codepoint=127), max_size=12)
plain_values = st.one_of(ascii_text, st.sampled_from(["", "  ", " \t x \n", "é", None, 3]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(["id", "doc_id", "title", "body", "text"]), plain_values),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(
        [
            FIELDS,
            FIELDS.with_fallback(),
            TextFields(("text",), join=" ", id_field="doc_id"),
            TextFields(("title", "body"), id_field=None),
        ]
    ),
)
def test_plain_rows_equal_make_records(objects, fields):
    """Rows of ASCII strings (the common case, made without make_record's checks) are
    exactly make_record's, whatever fields are present, empty or blank."""
    raw_lines = [json.dumps(o).encode() for o in objects]
    expected = [make_record(line, o, fields) for line, o in enumerate(objects, start=1)]
    assert list(parse_jsonl_lines(1, raw_lines, fields)) == expected


def test_deeply_nested_line_is_a_reject_not_a_crash():
    raw = b'{"id": "a", "title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    (reject,) = parse_jsonl_lines(1, [raw], FIELDS)
    assert isinstance(reject, Reject) and reject.reason == "malformed JSON (nested too deeply)"
