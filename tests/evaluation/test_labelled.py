"""Each evaluated model reads the labelled rows the way it was trained to (issue 20): its
own text fields, join and id field, ``text`` when a row has none of them, and the data
options when they are set; models that read differently are scored on the same articles."""

from __future__ import annotations

import json

import pytest
from omegaconf import OmegaConf

from classifier.data.records import DEFAULT_FIELDS, JOIN, TextFields
from classifier.errors import ConfigError
from classifier.evaluation.labelled import fields_for, load_for_models, load_labelled

TEXT = TextFields(("text",), JOIN, "id")
ROWS = [
    {"id": "a", "title": "Oil", "body": "Crude rose.", "topics": ["energy"]},
    {"id": "b", "text": "Wheat fell.", "topics": ["agriculture"]},
    {"id": "c", "title": "Rates", "body": "Bonds fell.", "text": "Bonds.", "topics": "market"},
]


def _files(path, **extra):
    return OmegaConf.create(
        {"_target_": "classifier.data.loaders.load_files", "train_path": "unused",
         "test_path": str(path), "label_field": "topics", "label_sep": None,
         "text_fields": None, "id_field": None, **extra}
    )  # fmt: skip


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_a_model_reads_its_own_fields_then_text(labelled) -> None:
    found = load_labelled(_files(labelled), fields_for(_files(labelled), DEFAULT_FIELDS))
    assert found.split.ids == ["a", "b", "c"]
    assert found.split.texts == ["Oil\n\nCrude rose.", "Wheat fell.", "Rates\n\nBonds fell."]
    assert found.summary().endswith("3 read, 3 scored, 0 rejected; text from title, body, or text")


def test_a_text_model_reads_text_and_rejects_rows_without_it(labelled) -> None:
    found = load_labelled(_files(labelled), fields_for(_files(labelled), TEXT))
    assert found.split.texts == ["Wheat fell.", "Bonds."]
    assert [r.line for r in found.rejects] == [1]
    assert "no text field (text)" in found.rejects[0].reason


def test_the_data_options_win_over_the_models_fields(labelled) -> None:
    data = _files(labelled, text_fields=["body"], id_field="title")
    fields = fields_for(data, TEXT)
    assert (fields.fields, fields.fallback, fields.id_field) == (("body",), None, "title")
    found = load_labelled(data, fields)
    assert found.split.texts == ["Crude rose.", "Bonds fell."]
    assert found.split.ids == ["Oil", "Rates"]


def test_models_reading_different_fields_are_scored_on_the_same_articles(labelled) -> None:
    found, (demo, text) = load_for_models(_files(labelled), [DEFAULT_FIELDS, TEXT])
    assert found.split.ids == demo.ids == text.ids == ["b", "c"]
    assert demo.labels == text.labels == [["agriculture"], ["market"]]
    assert demo.texts == ["Wheat fell.", "Rates\n\nBonds fell."]
    assert text.texts == ["Wheat fell.", "Bonds."]
    assert (found.read, len(found.rejects), found.rejects[0].line) == (3, 1, 1)


def test_models_reading_the_same_fields_share_one_reading(labelled) -> None:
    stored = TextFields(("title", "body"), JOIN, "id")
    found, splits = load_for_models(_files(labelled), [DEFAULT_FIELDS, stored])
    assert splits[0] is splits[1] is found.split and len(found.split) == 3


def test_a_loader_with_fields_of_its_own_rejects_text_fields(repo) -> None:
    demo = OmegaConf.create({"_target_": "classifier.data.loaders.load_demo",
                             "path": str(repo / "data" / "demo"), "text_fields": ["text"],
                             "id_field": None})  # fmt: skip
    with pytest.raises(ConfigError, match=r"data.text_fields: .*load_demo reads fields of its own"):
        load_labelled(demo, fields_for(demo, DEFAULT_FIELDS))
