"""train.py and predict.py work from any folder: the bundled demo corpus, the model folder
and the MLflow store are found from the project (conf/paths/default.yaml), not from the
current folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

from classifier.paths import data_dir, project_root


def test_the_project_root_is_the_checkout(repo: Path) -> None:
    assert project_root() == repo
    assert (data_dir() / "demo" / "train.jsonl").is_file()


def test_models_and_the_store_default_to_the_project(repo: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for primary in ("train", "predict", "evaluate"):
        with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
            cfg = compose(primary)
        assert cfg.paths.model_dir == str(repo / "models")
        assert cfg.mlflow.tracking_uri == f"sqlite:///{repo / 'mlflow.db'}"
    assert cfg.model_uri == str(repo / "models" / "model.joblib")


def test_train_and_predict_run_from_another_folder(repo: Path, tmp_path: Path):
    """From a folder that is not the project, with no path given: the demo corpus is read,
    the model and the MLflow store are written in the project, and predict.py finds the
    model. (The project is a stand-in, $PROJECT_ROOT, whose data is the checkout's.)"""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "data").symlink_to(repo / "data")
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["PROJECT_ROOT"] = str(project)

    def run(script: str, *overrides: str) -> None:
        done = subprocess.run(
            [sys.executable, str(repo / script), *overrides],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    run("train.py", "cv.folds=0", "tagger.tune_thresholds=false", "mlflow.log_model=false")
    assert (project / "models" / "model.joblib").is_file()
    assert (project / "mlflow.db").is_file()
    articles = repo / "tests" / "fixtures" / "unseen_articles.jsonl"
    run("predict.py", f"input={articles}", "output=tagged.jsonl")
    rows = [json.loads(line) for line in (elsewhere / "tagged.jsonl").open()]
    assert len(rows) == sum(1 for _ in articles.open()) and all(r["labels"] for r in rows)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["tagged.jsonl"]
