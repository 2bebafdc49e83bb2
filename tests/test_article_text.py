"""One rule turns a row into an article's text on every path: the training loaders, Reuters,
the streaming trainer, the prediction readers, the Spark engine and the served model."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from classifier.data.loaders import load_files
from classifier.data.readers import read_records
from classifier.data.records import (
    NotText,
    Reject,
    Row,
    TextFields,
    article_text,
    make_record,
)
from classifier.data.reuters import ReutersStory
from classifier.prediction.spark import _parse
from classifier.tracking.pyfunc import texts_from_input
from classifier.training.streaming import read_chunks

# Strings and missing values only, so that every file format can hold them.
ROWS = [
    {"title": "Oil", "body": "Refinery output rose."},
    {"title": "  Padded  ", "body": "\nline one\nline two  "},
    {"title": None, "body": "Only a body"},
    {"title": "Only a title", "body": None},
    {"title": "", "body": "Empty title"},
    {"title": 'Crème brûlée / 3 "quotes"', "body": "digits 2024, a\\b"},
    {"title": "   ", "body": ""},
    {"title": None, "body": None},
]
TEXTS = [
    "Oil\n\nRefinery output rose.",
    "Padded\n\nline one\nline two",
    "Only a body",
    "Only a title",
    "Empty title",
    'Crème brûlée / 3 "quotes"\n\ndigits 2024, a\\b',
]
FIELDS = TextFields(("title", "body"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """ROWS with an id and a label, as JSONL, CSV and Parquet."""
    folder = tmp_path_factory.mktemp("rows")
    frame = pd.DataFrame(
        [{"id": f"r{i}", **row, "topics": "ab"[i % 2]} for i, row in enumerate(ROWS)]
    )
    paths = {
        "jsonl": folder / "rows.jsonl",
        "csv": folder / "rows.csv",
        "parquet": folder / "rows.parquet",
    }
    frame.to_json(paths["jsonl"], orient="records", lines=True, force_ascii=False)
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"])
    return paths


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_every_path_gives_the_same_texts(files, kind):
    path = str(files[kind])
    got = {}
    corpus = load_files(path, path, text_fields=["title", "body"], id_field="id")
    got["training loader"] = corpus.train.texts
    got["streaming trainer"] = [
        t for c in read_chunks(path, ["title", "body"], "topics") for t in c.texts
    ]
    got["prediction reader"] = [r.text for r in read_records(path, FIELDS) if isinstance(r, Row)]
    frame = pd.read_parquet(files["parquet"])
    got["spark (parquet)"] = [
        r.text for r in _parse("parquet", frame, FIELDS) if isinstance(r, Row)
    ]
    lines = pd.DataFrame({"value": files["jsonl"].read_text(encoding="utf-8").splitlines()})
    got["spark (jsonl)"] = [r.text for r in _parse("jsonl", lines, FIELDS) if isinstance(r, Row)]
    with_text = frame[[bool(article_text(row, FIELDS.fields)) for row in ROWS]]
    got["served model"] = texts_from_input(with_text[["title", "body"]], FIELDS)
    got["reuters"] = [
        text
        for row in ROWS
        if (
            text := ReutersStory(
                "1", "TRAIN", "YES", [], row["title"] or "", row["body"] or ""
            ).text
        )
    ]
    for path_name, texts in got.items():
        assert texts == TEXTS, path_name


def test_rows_without_text_are_dropped_in_training_and_rejected_in_prediction(files):
    items = list(read_records(str(files["jsonl"]), FIELDS))
    rejects = [r for r in items if isinstance(r, Reject)]
    assert [r.line for r in rejects] == [7, 8]
    assert all(r.reason.startswith("empty text") for r in rejects)


def test_a_value_that_is_not_text_makes_the_row_unusable_everywhere(tmp_path):
    with pytest.raises(NotText, match="field 'title' is int, not text"):
        article_text({"title": 2024, "body": "x"}, ("title", "body"))
    reject = make_record(1, {"id": "a", "title": 2024, "body": "x"}, FIELDS)
    assert isinstance(reject, Reject) and "is int, not text" in reject.reason
    rows = [{"id": "a", "title": 5, "body": "oil", "topics": "x"}]
    rows += [{"id": f"b{i}", "title": "t", "body": "gas", "topics": "xy"[i % 2]} for i in range(4)]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [c.dropped for c in read_chunks(str(path), ["title", "body"], "topics")] == [1]


def test_missing_values_are_none_nan_or_absent():
    assert article_text({"title": float("nan"), "body": "b"}, ("title", "body")) == "b"
    assert article_text({"body": "b"}, ("title", "body")) == "b"
    assert article_text({}, ("title", "body")) == ""
    assert article_text({"a": "x", "b": "y"}, ("a", "b"), join=" | ") == "x | y"
