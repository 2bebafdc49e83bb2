"""Out-of-core training: chunked reading, partial_fit per chunk, a normal model file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from mlflow.tracking import MlflowClient
from sklearn.linear_model import SGDClassifier
from sklearn.multiclass import OneVsRestClassifier

from classifier.data.chunks import read_chunks
from classifier.errors import ConfigError
from classifier.model.features import build_hashing
from classifier.model.persistence import load_model, save_model
from classifier.model.tagger import TopicTagger
from classifier.training.streaming import discover_labels, evaluate_streaming, fit_streaming
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
                "trainer.chunk_size=50",
                "trainer.labels=[agriculture,energy,market,regulation]",
                "trainer.multilabel=true",
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
    # The same record as an in-memory run: model card (Markdown and HTML) and plots.
    client = MlflowClient(mlflow_uri)
    logged = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"model_card.md", "model_card.html", "plots"} <= logged
    plots = {a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert plots == {"plots/per_label_scores.png", "plots/confusion.png"}
    card = mlflow.artifacts.load_text(f"runs:/{result.run_id}/model_card.md")
    assert card.startswith("# Model card: SGDClassifier on train")
    assert "400 training and 100 test articles, 4 labels, multi-label." in card
    assert "Trained out of core: the data checks" in card
    counted = re.findall(r"^\| (agriculture|energy|market|regulation) \| (\d+) \|", card, re.M)
    assert len(counted) == 4 and all(int(n) > 0 for _, n in counted)
    html = mlflow.artifacts.load_text(f"runs:/{result.run_id}/model_card.html")
    assert html.count('src="data:image/png;base64,') == 2


def _compose(repo: Path, tmp_path: Path, *overrides: str):
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        return compose(
            "train",
            [
                "data=files",
                f"data.train_path={tmp_path / 'train.jsonl'}",
                f"data.test_path={tmp_path / 'test.jsonl'}",
                *overrides,
            ],
        )


def test_hashing_features_select_the_streaming_trainer(tmp_path: Path, repo: Path) -> None:
    cfg = _compose(repo, tmp_path, "features=hashing", "model=sgd")
    assert cfg.trainer._target_.endswith("StreamingTrainer")
    assert cfg.cv.folds == 0 and not cfg.tagger.tune_thresholds
    cfg = _compose(repo, tmp_path, "features=hashing", "trainer=memory")
    assert cfg.trainer._target_.endswith("MemoryTrainer")
    assert cfg.cv.folds == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["features=hashing", "model=sgd", "cv.folds=3"], "cannot honour cv.folds"),
        (
            ["features=hashing", "model=sgd", "tagger.tune_thresholds=true"],
            "cannot honour tagger.tune_thresholds",
        ),
        (["features=hashing", "model=sgd", "labels=reuters_topics"], "cannot honour labels.map"),
        (["trainer=streaming", "model=sgd"], "needs features that learn nothing"),
        (["features=hashing", "model=linear_svc"], "needs a model with partial_fit"),
        (["features=hashing", "model=sgd", "data.test_path=null"], "needs data.test_path"),
        (["features=hashing", "model=sgd", "trainer.chunk_size=0"], "chunk_size=0"),
    ],
)
def test_what_streaming_cannot_do_is_a_one_line_config_error(
    tmp_path: Path, repo: Path, overrides: list[str], message: str
) -> None:
    from classifier.cli import user_error

    cfg = _compose(repo, tmp_path, *overrides)
    with pytest.raises(Exception) as err:
        train(cfg)
    found = user_error(err.value)  # what the entry point prints: one line
    assert isinstance(found, ConfigError)
    assert message in str(found) and "\n" not in str(found)


def test_streaming_needs_files(tmp_path: Path, repo: Path) -> None:
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        cfg = compose("train", ["features=hashing", "model=sgd"])
    with pytest.raises(ConfigError, match="use data=files"):
        train(cfg)


def test_hashing_features_train_in_memory_with_trainer_memory(
    tmp_path: Path, repo: Path, mlflow_uri: str
) -> None:
    write_jsonl(tmp_path / "train.jsonl", 200, seed=1)
    write_jsonl(tmp_path / "test.jsonl", 60, seed=2)
    cfg = _compose(
        repo,
        tmp_path,
        "features=hashing",
        "features.n_features=4096",
        "trainer=memory",
        "cv.folds=0",
        f"output.model_path={tmp_path / 'model.joblib'}",
        f"mlflow.tracking_uri={mlflow_uri}",
        "mlflow.log_model=false",
    )
    result = train(cfg)
    assert result.evaluation.metrics["micro_f1"] > 0.8
    assert "training" not in load_model(result.model_path).metadata


def test_old_outofcore_keys_get_a_one_line_hint(repo: Path) -> None:
    from classifier.cli import unknown_choice

    message = unknown_choice(["features=hashing", "outofcore.chunk_size=5"], repo / "conf")
    assert message == "outofcore.chunk_size is now trainer.chunk_size"


def test_partial_fit_sets_the_taggers_whole_fitted_state(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    write_jsonl(path, 120, seed=3)
    tagger = fit(path, chunk_size=40)
    fitted = {k for k in vars(tagger) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {
        "labels_",
        "multilabel_",
        "transformer_",
        "model_",
        "score_kind_",
        "default_threshold_",
        "thresholds_",
        "frequent_words_",
    }
    assert tagger.frequent_words_ == []
