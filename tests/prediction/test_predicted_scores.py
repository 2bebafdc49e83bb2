"""scores=predicted: only the predicted labels' scores, in the order of the labels, with the
values every-label output gives them; in JSONL, CSV and Parquet."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.svm import LinearSVC

from classifier.errors import ConfigError
from classifier.model.tagger import TopicTagger
from classifier.prediction.local import predict_file
from classifier.prediction.options import PredictOptions
from tests.helpers import make_articles


@pytest.fixture(scope="module")
def tagger(synthetic):
    texts, labels = synthetic
    return TopicTagger(LinearSVC()).fit(texts, labels)


@pytest.fixture
def source(tmp_path):
    texts, _ = make_articles(60, seed=4)
    rows = [{"id": f"a{i}", "title": "", "body": t} for i, t in enumerate(texts)]
    rows.append({"id": "both", "body": "oil gas pipeline wheat harvest farmers"})
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read(path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    frame = pd.read_csv(path) if path.suffix == ".csv" else pq.read_table(path).to_pandas()
    return frame.to_dict("records")


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_only_the_predicted_labels_scores_are_written(tmp_path, tagger, source, fmt):
    predict_file(tagger, str(source), str(tmp_path / f"all.{fmt}"))
    predict_file(
        tagger, str(source), str(tmp_path / f"some.{fmt}"), PredictOptions(scores="predicted")
    )
    every, some = read(tmp_path / f"all.{fmt}"), read(tmp_path / f"some.{fmt}")
    assert len(every) == len(some) == 61
    assert not any(key.startswith("score_") for key in some[0])
    assert list(some[0]) == ["id", "labels", "scores", "oov_rate"]
    for full, short in zip(every, some, strict=True):
        labels = full["labels"]
        scores = short["scores"]
        if fmt == "csv":
            labels = labels.split("|")
            scores = [float(s) for s in scores.split("|")]
        assert short["id"] == full["id"] and list(short["labels"]) == list(full["labels"])
        expected = [full[f"score_{label}"] for label in labels]
        assert len(scores) == len(labels) >= 1
        tol = 1e-6 if fmt == "parquet" else 0.0  # Parquet holds float32
        assert scores == pytest.approx(expected, abs=tol)


def test_jsonl_scores_are_a_list_with_six_decimals(tmp_path, tagger, source):
    out = tmp_path / "out.jsonl"
    predict_file(tagger, str(source), str(out), PredictOptions(scores="predicted", oov=False))
    line = out.read_text().splitlines()[-1]
    assert line.startswith('{"id": "both", "labels": ["agriculture", "energy"], "scores": [')
    numbers = line.split('"scores": [')[1].rstrip("]}").split(", ")
    assert len(numbers) == 2 and all(len(n.split(".")[1]) == 6 for n in numbers)


def test_an_unknown_scores_option_is_a_config_error(tmp_path, tagger, source):
    with pytest.raises(ConfigError, match="scores='some'"):
        predict_file(
            tagger, str(source), str(tmp_path / "out.jsonl"), PredictOptions(scores="some")
        )
