"""Spark engine: same labels and scores as the local engine, in local[2] mode."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC

from classifier.errors import DataError
from classifier.model.persistence import save_model
from classifier.model.tagger import TopicTagger
from classifier.prediction.engines import run_prediction
from classifier.prediction.local import predict_file
from classifier.prediction.options import PredictOptions
from classifier.prediction.spark import predict_spark, spark_session
from tests.helpers import make_articles

BAD_LINES = ["{not json", '{"id": "no-text", "title": null}', "", '{"id": 7, "body": 12}']


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for every Spark test: starting one costs seconds."""
    session = spark_session("local[2]", "classifier-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def tagger(synthetic) -> TopicTagger:
    texts, labels = synthetic
    return TopicTagger(LinearSVC(), tune_thresholds=True, threshold_cv=3).fit(texts, labels)


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 articles in JSONL with a few bad lines in between."""
    path = tmp_path_factory.mktemp("spark") / "articles.jsonl"
    texts, _ = make_articles(300, seed=7)
    lines = [json.dumps({"id": f"a{i}", "title": "", "body": t}) for i, t in enumerate(texts)]
    for k, bad in enumerate(BAD_LINES):
        lines.insert(50 * (k + 1), bad)
    path.write_text("\n".join(lines) + "\n")
    return path


def local_and_spark(tagger: TopicTagger, source: Path, out: Path, **kw) -> tuple:
    local = predict_file(
        tagger, str(source), str(out / "local.parquet"), PredictOptions(batch_size=64, **kw)
    )
    summary = predict_spark(
        tagger, str(source), str(out / "spark.parquet"), PredictOptions(batch_size=64, **kw)
    )
    a = pd.read_parquet(out / "local.parquet").sort_values("id").reset_index(drop=True)
    b = pd.read_parquet(out / "spark.parquet").sort_values("id").reset_index(drop=True)
    return local, summary, a, b


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a["id"].tolist() == b["id"].tolist()
    assert [list(x) for x in a["labels"]] == [list(x) for x in b["labels"]]
    scores = [c for c in a.columns if c.startswith("score_")]
    np.testing.assert_array_equal(a[scores].to_numpy(), b[scores].to_numpy())


def test_spark_matches_local_engine_on_jsonl(spark, tagger, articles, tmp_path: Path) -> None:
    local, summary, a, b = local_and_spark(tagger, articles, tmp_path)
    assert len(a) == 300
    assert_same(a, b)
    np.testing.assert_array_equal(a["oov_rate"], b["oov_rate"])
    assert summary.oov_mean == pytest.approx(local.oov_mean)
    assert (summary.read, summary.tagged, summary.rejected) == (304, 300, 4)
    assert (local.read, local.tagged, local.rejected) == (304, 300, 4)
    assert summary.label_counts == local.label_counts
    rejects = pd.read_parquet(tmp_path / "spark.rejects")
    local_rejects = [json.loads(x) for x in (tmp_path / "local.rejects.jsonl").open()]
    assert sorted(rejects["reason"]) == sorted(r["reason"] for r in local_rejects)
    # Written under a temporary name and renamed: nothing else is left beside the output.
    assert sorted(p.name for p in tmp_path.iterdir() if "spark" in p.name) == [
        "spark.parquet",
        "spark.rejects",
    ]


def test_spark_matches_local_engine_on_parquet(spark, tagger, articles, tmp_path: Path) -> None:
    rows = [json.loads(x) for x in articles.read_text().splitlines()[:60] if x.startswith('{"id')]
    source = tmp_path / "articles.parquet"
    pd.DataFrame(rows).to_parquet(source)
    _, summary, a, b = local_and_spark(tagger, source, tmp_path)
    assert summary.rejected == 0
    assert not (tmp_path / "spark.rejects").exists()
    assert_same(a, b)


@pytest.mark.parametrize("option", ["threshold", "top_k"])
def test_spark_applies_the_local_engine_options(
    spark, tagger, articles, tmp_path: Path, option: str
) -> None:
    plain = predict_file(tagger, str(articles), str(tmp_path / "plain.jsonl"))
    if option == "threshold":  # a lower cut for one label, explanations, no OOV rate
        options = {"threshold": {tagger.labels_[0]: -3.0}, "explain": 2, "oov": False}
    else:
        options = {"top_k": 1}
    local, summary, a, b = local_and_spark(tagger, articles, tmp_path, **options)
    assert_same(a, b)
    assert summary.label_counts == local.label_counts != plain.label_counts
    if option == "threshold":
        assert a["explain"].tolist() == b["explain"].tolist()
        assert "oov_rate" not in b.columns and summary.oov_mean is None
    else:
        assert all(len(labels) == 1 for labels in b["labels"])


def test_spark_replaces_output_and_fails_cleanly(spark, tagger, articles, tmp_path: Path) -> None:
    out = tmp_path / "tagged.parquet"
    predict_spark(tagger, str(articles), str(out))
    first = sorted(p.name for p in out.iterdir())
    with pytest.raises(DataError, match="malformed JSON"):
        predict_spark(tagger, str(articles), str(out), PredictOptions(on_error="fail"))
    assert sorted(p.name for p in out.iterdir()) == first  # the old output is untouched
    with pytest.raises(DataError, match="engine=spark writes Parquet"):
        predict_spark(tagger, str(articles), str(tmp_path / "tagged.csv"))
    with pytest.raises(DataError, match="not found"):
        predict_spark(tagger, str(tmp_path / "missing.jsonl"), str(out))


def test_run_prediction_dispatches_to_spark(spark, tagger, articles, tmp_path: Path) -> None:
    model = save_model(tagger, tmp_path / "model.joblib", {})
    summary = run_prediction(
        str(model),
        str(articles),
        str(tmp_path / "out.parquet"),
        PredictOptions(engine="spark", spark={"master": "local[2]"}),
    )
    assert summary.tagged == 300
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 300


def test_spark_reads_text_rows_and_stops_on_a_file_without_the_fields(
    spark, tagger, tmp_path: Path
) -> None:
    texts, _ = make_articles(20, seed=5)
    source = tmp_path / "text.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(texts))
    )
    summary = predict_spark(tagger, str(source), str(tmp_path / "t.parquet"))
    assert summary.tagged == 20 and "text from text" in summary.line()
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"id": "w", "content": "oil"}) + "\n")
    with pytest.raises(
        DataError, match=r"\(title, body, or text\); the rows have fields \['content', 'id'\]"
    ):
        predict_spark(tagger, str(wrong), str(tmp_path / "w.parquet"))


def test_local_options_given_to_spark_are_warnings(spark, tagger, articles, tmp_path: Path) -> None:
    model = save_model(tagger, tmp_path / "model.joblib", {})
    options = PredictOptions(engine="spark", n_jobs=4, spark={"master": "local[2]"})
    summary = run_prediction(str(model), str(articles), str(tmp_path / "o.parquet"), options)
    assert any("n_jobs=4" in w for w in summary.warnings)
