"""Out-of-core training: chunked reading, partial_fit per chunk, a normal model file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from sklearn.linear_model import SGDClassifier
from sklearn.multiclass import OneVsRestClassifier

from classifier.errors import ConfigError
from classifier.model.features import build_hashing
from classifier.model.persistence import load_model, save_model
from classifier.model.tagger import TopicTagger
from classifier.training.streaming import (
    discover_labels,
    evaluate_streaming,
    fit_streaming,
    read_chunks,
)
from classifier.training.trainer import train
from tests.helpers import make_articles

FIELDS = ["title", "body"]


def write_jsonl(path: Path, n: int, seed: int, single: bool = False) -> list[list[str]]:
    texts, labels = make_articles(n * 2 if single else n, seed)
    rows = [(t, lab) for t, lab in zip(texts, labels, strict=True) if not single or len(lab) == 1]
    rows = rows[:n]
    with open(path, "w") as fh:
        for i, (text, lab) in enumerate(rows):
            fh.write(json.dumps({"id": f"a{i}", "title": "", "body": text, "topics": lab}) + "\n")
    return [lab for _, lab in rows]


class SpySGD(SGDClassifier):
    """SGDClassifier that records the number of rows of every partial_fit call."""

    calls: list[int] = []  # noqa: RUF012 (shared on purpose: one-vs-rest clones it)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        SpySGD.calls.append(X.shape[0])
        return super().partial_fit(X, y, classes=classes)


def fit(path: Path, chunk_size: int, classifier=None) -> TopicTagger:
    labels, multilabel, _ = discover_labels(read_chunks(str(path), FIELDS, "topics", None, 50))
    tagger = TopicTagger(
        classifier or SGDClassifier(loss="modified_huber", random_state=0),
        features=build_hashing(n_features=2**16),
    )
    tagger, _ = fit_streaming(
        tagger,
        lambda: read_chunks(str(path), FIELDS, "topics", None, chunk_size),
        labels,
        multilabel,
        epochs=2,
    )
    return tagger


def test_reader_yields_at_most_chunk_size_rows(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    write_jsonl(path, 230, seed=1)
    sizes = [len(c.texts) for c in read_chunks(str(path), FIELDS, "topics", None, 50)]
    assert sizes == [50, 50, 50, 50, 30]


def test_reader_reads_parquet_and_csv_alike(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    write_jsonl(path, 40, seed=1)
    frame = pd.read_json(path, lines=True)
    frame.to_parquet(tmp_path / "train.parquet")
    frame.assign(topics=frame.topics.str.join("|")).to_csv(tmp_path / "train.csv", index=False)
    jsonl = [c for c in read_chunks(str(path), FIELDS, "topics", None, 16)]
    parquet = [c for c in read_chunks(str(tmp_path / "train.parquet"), FIELDS, "topics", None, 16)]
    csv = [c for c in read_chunks(str(tmp_path / "train.csv"), FIELDS, "topics", "|", 16)]
    for other in (parquet, csv):
        assert [c.texts for c in other] == [c.texts for c in jsonl]
        assert [c.labels for c in other] == [c.labels for c in jsonl]


def test_partial_fit_never_sees_more_than_chunk_size_rows(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    write_jsonl(path, 330, seed=1)
    SpySGD.calls = []
    fit(path, chunk_size=40, classifier=SpySGD(loss="modified_huber", random_state=0))
    # 4 labels (one-vs-rest), 2 epochs, 9 chunks per epoch (8 of 40 rows and one of 10)
    assert max(SpySGD.calls) == 40
    assert len(SpySGD.calls) == 4 * 2 * 9
    assert sum(SpySGD.calls) == 4 * 2 * 330


def test_multilabel_streaming_model_is_a_normal_tagger(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "train.jsonl", 600, seed=1)
    write_jsonl(tmp_path / "test.jsonl", 200, seed=2)
    tagger = fit(tmp_path / "train.jsonl", chunk_size=64)
    assert tagger.multilabel_
    assert isinstance(tagger.model_, OneVsRestClassifier)
    evaluation = evaluate_streaming(
        tagger, read_chunks(str(tmp_path / "test.jsonl"), FIELDS, "topics", None, 64)
    )
    assert evaluation.metrics["micro_f1"] > 0.9
    assert len(evaluation.y_true) == 200
    # Same file format and manifest as in-memory training: it loads and tags the same.
    path = save_model(tagger, tmp_path / "m.joblib", {})
    loaded = load_model(path).tagger
    texts, _ = make_articles(20, seed=3)
    np.testing.assert_array_equal(loaded.decision_function(texts), tagger.decision_function(texts))
    assert loaded.predict(texts) == tagger.predict(texts)


def test_multiclass_streaming_model(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "train.jsonl", 500, seed=1, single=True)
    truth = write_jsonl(tmp_path / "test.jsonl", 150, seed=2, single=True)
    tagger = fit(tmp_path / "train.jsonl", chunk_size=64)
    assert not tagger.multilabel_
    assert isinstance(tagger.model_, SGDClassifier)
    texts = next(c.texts for c in read_chunks(str(tmp_path / "test.jsonl"), FIELDS, "topics"))
    predicted = tagger.predict(texts)
    assert all(len(p) == 1 for p in predicted)
    assert np.mean([p == t for p, t in zip(predicted, truth, strict=True)]) > 0.9


def test_model_without_partial_fit_is_a_config_error(tmp_path: Path) -> None:
    from sklearn.svm import LinearSVC

    write_jsonl(tmp_path / "train.jsonl", 50, seed=1)
    with pytest.raises(ConfigError, match="partial_fit"):
        fit(tmp_path / "train.jsonl", chunk_size=10, classifier=LinearSVC())


def test_train_with_hashing_features_runs_out_of_core(
    tmp_path: Path, repo: Path, mlflow_uri: str
) -> None:
    write_jsonl(tmp_path / "train.jsonl", 400, seed=1)
    write_jsonl(tmp_path / "test.jsonl", 100, seed=2)
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        cfg = compose(
            "train",
            [
                "features=hashing",
                "model=sgd",
                "data=files",
                f"data.train_path={tmp_path / 'train.jsonl'}",
                f"data.test_path={tmp_path / 'test.jsonl'}",
                "outofcore.chunk_size=50",
                "outofcore.labels=[agriculture,energy,market,regulation]",
                "outofcore.multilabel=true",
                f"output.model_path={tmp_path / 'model.joblib'}",
                f"mlflow.tracking_uri={mlflow_uri}",
                "mlflow.log_model=false",
            ],
        )
    result = train(cfg)
    assert result.evaluation.metrics["micro_f1"] > 0.9
    loaded = load_model(result.model_path)
    assert loaded.tagger.labels_ == ["agriculture", "energy", "market", "regulation"]
    assert loaded.metadata["training"] == "out-of-core"
    import mlflow

    run = mlflow.get_run(result.run_id)
    assert run.data.tags["training"] == "out-of-core"
    assert run.data.metrics["train_rows"] == 400
    assert "test_micro_f1" in run.data.metrics
