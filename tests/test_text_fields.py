"""A model reads articles the way it was trained to: its text fields, join and id field are
stored in the model file and are the defaults of prediction and serving."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from sklearn.svm import LinearSVC

from classifier.data.loaders import load_demo, load_files
from classifier.data.records import DEFAULT_FIELDS, TextFields, model_fields
from classifier.errors import DataError
from classifier.model.persistence import load_model, save_model
from classifier.model.tagger import TopicTagger
from classifier.prediction.engines import run_prediction
from classifier.prediction.options import PredictOptions
from classifier.tracking.pyfunc import texts_from_input
from tests.helpers import make_articles


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def demo_model(repo, tmp_path_factory):
    """The demo corpus's model file, trained and saved as train.py saves it."""
    corpus = load_demo(repo / "data" / "demo")
    tagger = TopicTagger(LinearSVC()).fit(corpus.train.texts, corpus.train.labels)
    path = save_model(
        tagger, tmp_path_factory.mktemp("demo") / "model.joblib", {}, fields=corpus.fields
    )
    return path, corpus


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    """A model trained on files of {"id", "text", "topics"} rows (data.text_fields=[text])."""
    folder = tmp_path_factory.mktemp("text")
    texts, labels = make_articles(120, seed=3)
    rows = [
        {"id": f"t{i}", "text": t, "topics": y}
        for i, (t, y) in enumerate(zip(texts, labels, strict=True))
    ]
    source = write_jsonl(folder / "train.jsonl", rows)
    corpus = load_files(str(source), text_fields=["text"], id_field="id", test_size=0.25)
    tagger = TopicTagger(LinearSVC()).fit(corpus.train.texts, corpus.train.labels)
    return save_model(tagger, folder / "model.joblib", {}, fields=corpus.fields), rows


def test_the_model_file_stores_how_it_read_its_articles(demo_model, text_model):
    assert load_model(demo_model[0]).fields == TextFields(("title", "body"), "\n\n", "id")
    assert load_model(text_model[0]).fields == TextFields(("text",), "\n\n", "id")


def test_models_saved_before_the_fields_were_stored_keep_todays_defaults(tmp_path, synthetic):
    tagger = TopicTagger(LinearSVC()).fit(*synthetic)
    loaded = load_model(save_model(tagger, tmp_path / "old.joblib", {}))
    assert "input" not in loaded.metadata
    assert loaded.fields == DEFAULT_FIELDS == model_fields({})
    assert DEFAULT_FIELDS.fields == ("title", "body") and DEFAULT_FIELDS.id_field == "id"


def test_skops_models_store_the_fields_too(tmp_path, synthetic):
    tagger = TopicTagger(LinearSVC()).fit(*synthetic)
    fields = TextFields(("headline", "story"), "\n\n", "doc")
    path = save_model(tagger, tmp_path / "m.joblib", {}, fmt="skops", fields=fields)
    assert load_model(path).fields == fields


def test_a_model_trained_on_text_predicts_a_text_file_with_no_option(tmp_path, text_model):
    model, rows = text_model
    source = write_jsonl(
        tmp_path / "new.jsonl", [{"id": r["id"], "text": r["text"]} for r in rows[:20]]
    )
    summary = run_prediction(str(model), str(source), str(tmp_path / "out.jsonl"))
    assert (summary.read, summary.tagged, summary.rejected) == (20, 20, 0)
    assert "text from text" in summary.line()
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == [r["id"] for r in rows[:20]]


def test_the_demo_model_predicts_text_and_title_body_files_alike(tmp_path, demo_model):
    model = demo_model[0]
    articles = [
        {"id": "a", "title": "Refinery", "body": "Oil prices rose as the refinery closed."},
        {"id": "b", "title": "Harvest", "body": "Wheat farmers expect a record harvest."},
    ]
    as_text = [{"id": a["id"], "text": a["title"] + "\n\n" + a["body"]} for a in articles]
    one = run_prediction(
        str(model),
        str(write_jsonl(tmp_path / "tb.jsonl", articles)),
        str(tmp_path / "tb.out.jsonl"),
    )
    two = run_prediction(
        str(model), str(write_jsonl(tmp_path / "t.jsonl", as_text)), str(tmp_path / "t.out.jsonl")
    )
    assert one.tagged == two.tagged == 2
    assert read_jsonl(tmp_path / "tb.out.jsonl") == read_jsonl(tmp_path / "t.out.jsonl")
    assert "text from title, body" in one.line()
    assert "text from text" in two.line()


def test_a_mixed_file_says_how_many_rows_came_from_each_field(tmp_path, demo_model):
    rows = [{"id": "a", "title": "Oil", "body": "refinery"}, {"id": "b", "text": "wheat harvest"}]
    summary = run_prediction(
        str(demo_model[0]), str(write_jsonl(tmp_path / "m.jsonl", rows)), str(tmp_path / "o.jsonl")
    )
    assert summary.tagged == 2
    assert "text from title, body (1), text (1)" in summary.line()


def test_explicit_text_fields_win_over_the_models(tmp_path, demo_model):
    rows = [{"id": "a", "headline": "Oil refinery", "title": "ignored"}]
    source = write_jsonl(tmp_path / "h.jsonl", rows)
    options = PredictOptions(text_fields=("headline",), id_field="id")
    summary = run_prediction(str(demo_model[0]), str(source), str(tmp_path / "o.jsonl"), options)
    assert summary.tagged == 1 and "text from headline" in summary.line()
    # Explicit fields are read as given: no fallback to `text`.
    source = write_jsonl(tmp_path / "t.jsonl", [{"id": "a", "text": "oil"}])
    with pytest.raises(DataError, match=r"\(headline\); the rows have fields \['id', 'text'\]"):
        run_prediction(str(demo_model[0]), str(source), str(tmp_path / "o2.jsonl"), options)


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_a_file_with_none_of_the_fields_stops_with_one_line(tmp_path, demo_model, suffix):
    rows = [{"id": f"r{i}", "headline": "Oil", "story": "refinery"} for i in range(5)]
    source = tmp_path / f"in.{suffix}"
    if suffix == "jsonl":
        write_jsonl(source, rows)
    elif suffix == "csv":
        pd.DataFrame(rows).to_csv(source, index=False)
    else:
        pd.DataFrame(rows).to_parquet(source)
    with pytest.raises(DataError) as failure:
        run_prediction(str(demo_model[0]), str(source), str(tmp_path / "out.jsonl"))
    message = str(failure.value)
    assert "\n" not in message
    assert "title, body, or text" in message and "headline" in message and "story" in message
    assert not (tmp_path / "out.jsonl").exists()


def test_predict_py_exits_2_naming_expected_and_present_fields(repo, tmp_path, demo_model):
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "content": "oil"}] * 3)
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "predict.py"),
            f"model_uri={demo_model[0]}",
            f"input={source}",
            f"output={tmp_path / 'out.jsonl'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "(title, body, or text)" in lines[0] and "['content', 'id']" in lines[0]


def test_plain_lines_on_standard_input_and_txt_files_are_articles(repo, tmp_path, demo_model):
    lines = "Oil prices rose as the refinery closed.\n\nWheat farmers expect a record harvest.\n"
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "predict.py"),
            f"model_uri={demo_model[0]}",
            "input=-",
            "output=-",
        ],
        input=lines,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    tagged = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["id"] for t in tagged] == ["line-1", "line-3"]
    assert "text from plain text lines" in result.stderr
    assert "blank line" in result.stderr  # the blank line is a reject, on standard error
    (tmp_path / "a.txt").write_text(lines)
    summary = run_prediction(str(demo_model[0]), str(tmp_path / "a.txt"), str(tmp_path / "o.jsonl"))
    assert (summary.tagged, summary.rejected) == (2, 1)
    assert [r["labels"] for r in read_jsonl(tmp_path / "o.jsonl")] == [t["labels"] for t in tagged]


def test_the_served_model_reads_both_record_shapes():
    fields = TextFields(("title", "body")).with_fallback()
    frame = pd.DataFrame([{"title": "Oil", "body": " refinery "}, {"text": "wheat"}])
    assert texts_from_input(frame, fields) == ["Oil\n\nrefinery", "wheat"]
    assert texts_from_input(["a text"], fields) == ["a text"]
    assert texts_from_input({"text": ["x", "y"]}, fields) == ["x", "y"]
    with pytest.raises(MlflowException, match=r"\(title, body, or text\).*\['headline'\]"):
        texts_from_input(pd.DataFrame([{"headline": "x"}]), fields)
    with pytest.raises(MlflowException, match="record 2: empty text"):
        texts_from_input(pd.DataFrame([{"text": "x"}, {"text": "  "}]), fields)
