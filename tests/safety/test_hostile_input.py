"""Arbitrary input through loading, cleaning and prediction: every row is tagged or
rejected with a reason, nothing crashes."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.svm import LinearSVC

from classifier.data.loaders import load_files
from classifier.errors import DataError
from classifier.model.cleaning_rules import clean_text
from classifier.model.tagger import TopicTagger
from classifier.prediction.local import predict_file
from tests.helpers import make_articles

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
rows = st.one_of(
    st.fixed_dictionaries({"id": json_values, "title": json_values, "body": json_values}),
    st.dictionaries(st.sampled_from(["id", "title", "body", "other"]), json_values),
    json_values,
)
raw_lines = st.one_of(
    rows.map(lambda r: json.dumps(r).encode()),
    st.binary(max_size=200).filter(lambda b: b"\n" not in b and b"\r" not in b),
    st.text(max_size=100).filter(lambda t: "\n" not in t and "\r" not in t).map(str.encode),
)


@pytest.fixture(scope="module")
def tagger():
    texts, labels = make_articles(120, seed=9)
    return TopicTagger(LinearSVC()).fit(texts, labels)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(raw_lines, min_size=1, max_size=25))
def test_every_hostile_row_is_tagged_or_rejected(tmp_path_factory, tagger, lines):
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    try:
        summary = predict_file(tagger, str(source), str(folder / "out.jsonl"))
    except DataError as err:  # allowed only when no object row names a text field
        assert "none of the first" in str(err)
        assert not any(set(row) & {"title", "body", "text"} for row in _objects(lines))
        assert not (folder / "out.jsonl").exists()
        return
    tagged = (folder / "out.jsonl").read_text(encoding="utf-8").splitlines()
    rejects_file = folder / "out.rejects.jsonl"
    rejects = rejects_file.read_text().splitlines() if rejects_file.exists() else []
    assert summary.read == len(lines) == len(tagged) + len(rejects)
    assert all(json.loads(r)["reason"] for r in rejects)
    for line in tagged:
        assert isinstance(json.loads(line)["labels"], list)


def _objects(lines: list[bytes]) -> list[dict]:
    """The lines that parse as JSON objects."""
    out = []
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=0, max_size=3000))
def test_cleaning_any_unicode_never_fails_and_leaves_no_control_characters(text):
    cleaned = clean_text(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned)
    assert cleaned == cleaned.strip()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(rows, min_size=1, max_size=15))
def test_loading_hostile_training_files_gives_a_corpus_or_a_data_error(tmp_path_factory, records):
    folder = tmp_path_factory.mktemp("load")
    path = folder / "train.jsonl"
    path.write_text(
        "".join(json.dumps({"text": json.dumps(r), "topics": r}) + "\n" for r in records)
    )
    try:
        corpus = load_files(str(path), text_fields=["text"], test_size=0.5)
    except DataError as err:
        assert str(err)
        return
    for labels in corpus.train.labels + corpus.test.labels:
        assert all(isinstance(label, str) for label in labels)
