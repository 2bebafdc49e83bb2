"""train.py and predict.py work from any folder: the bundled demo corpus is found from the
project (conf/paths/default.yaml), not from the current folder."""

import json
import subprocess
import sys
from pathlib import Path

from classifier.paths import data_dir, project_root


def test_the_project_root_is_the_checkout(repo: Path) -> None:
    assert project_root() == repo
    assert (data_dir() / "demo" / "train.jsonl").is_file()


def test_train_and_predict_run_from_another_folder(repo: Path, tmp_path: Path, mlflow_uri: str):
    def run(script: str, *overrides: str) -> None:
        done = subprocess.run(
            [sys.executable, str(repo / script), *overrides],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    run(
        "train.py",
        "cv.folds=0",
        "tagger.tune_thresholds=false",
        f"mlflow.tracking_uri={mlflow_uri}",
        "mlflow.log_model=false",
    )
    assert (tmp_path / "models" / "model.joblib").is_file()
    articles = repo / "tests" / "fixtures" / "unseen_articles.jsonl"
    run("predict.py", f"input={articles}", "output=tagged.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "tagged.jsonl").open()]
    assert len(rows) == sum(1 for _ in articles.open()) and all(r["labels"] for r in rows)
