"""train.py and predict.py as a user runs them: subprocesses in a fresh working directory."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import tmp_paths

EXPERIMENT = "end-to-end"


def run(repo, cwd, script, *overrides, check=True):
    result = subprocess.run(
        [sys.executable, str(repo / script), *tmp_paths(cwd), *overrides],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{script} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def trained(repo, mlflow_uri, tmp_path_factory):
    """One training run on the demo corpus, as `make train` does it."""
    workdir = tmp_path_factory.mktemp("e2e")
    run(
        repo,
        workdir,
        "train.py",
        f"data.path={repo / 'data' / 'demo'}",
        f"mlflow.tracking_uri={mlflow_uri}",
        f"mlflow.experiment={EXPERIMENT}",
        "run_name=e2e",
    )
    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'e2e'")
    assert len(runs) == 1
    return workdir, client, runs[0]


def test_training_leaves_a_finished_run_with_everything_logged(trained):
    workdir, client, mlrun = trained
    assert mlrun.info.status == "FINISHED"
    params = mlrun.data.params
    assert params["model._target_"] == "sklearn.svm.LinearSVC"
    assert params["features.word.ngram_range"] == "[1, 2]"
    assert params["data.multilabel"] == "True"
    metrics = mlrun.data.metrics
    for name in (
        "test_micro_f1",
        "test_macro_f1",
        "test_weighted_f1",
        "test_micro_precision",
        "test_micro_recall",
        "test_accuracy",
        "test_hamming_loss",
    ):
        assert 0.0 <= metrics[name] <= 1.0, name
    assert metrics["test_micro_f1"] > 0.6
    tags = mlrun.data.tags
    assert len(tags["data_digest"]) == 64
    assert len(tags["git_commit"]) >= 40
    artifacts = {a.path for a in client.list_artifacts(mlrun.info.run_id)}
    assert {
        "config.yaml",
        "test_per_label.csv",
        "test_per_label.json",
        "plots",
        "model_file",
    } <= artifacts
    plots = {a.path for a in client.list_artifacts(mlrun.info.run_id, "plots")}
    assert plots == {"plots/per_label_scores.png", "plots/confusion.png"}
    inputs = mlrun.inputs.dataset_inputs
    assert {i.dataset.name for i in inputs} == {"demo-training", "demo-test"}
    assert all(i.dataset.digest for i in inputs)
    assert (workdir / "models" / "model.joblib").is_file()
    assert (workdir / "models" / "model.joblib.manifest.json").is_file()


def test_logged_model_has_signature_and_loads_as_pyfunc(trained, mlflow_uri):
    import mlflow

    _, _, mlrun = trained
    mlflow.set_tracking_uri(mlflow_uri)
    models = mlflow.search_logged_models(
        experiment_ids=[mlrun.info.experiment_id], output_format="list"
    )
    model = next(m for m in models if m.source_run_id == mlrun.info.run_id)
    pyfunc = mlflow.pyfunc.load_model(model.model_uri)
    assert pyfunc.metadata.signature is not None
    frame = pyfunc.predict(pd.DataFrame({"text": ["Wheat harvest hit by drought", "Oil"]}))
    assert frame.columns[0] == "labels"
    assert len(frame) == 2


def test_predict_tags_a_file_with_the_joblib_model_and_a_runs_uri(trained, repo, mlflow_uri):
    workdir, _, mlrun = trained
    unseen = repo / "tests" / "fixtures" / "unseen_articles.jsonl"
    run(repo, workdir, "predict.py", f"input={unseen}", "output=tagged.csv")
    tagged = pd.read_csv(workdir / "tagged.csv")
    n_rows = sum(1 for _ in unseen.open())
    assert len(tagged) == n_rows
    assert {"id", "labels"} <= set(tagged.columns)
    assert any(c.startswith("score_") for c in tagged.columns)

    result = run(
        repo,
        workdir,
        "predict.py",
        f"model_uri=runs:/{mlrun.info.run_id}",
        f"input={unseen}",
        "output=-",
        f"mlflow.tracking_uri={mlflow_uri}",
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["labels"] for r in rows] == [s.split("|") for s in tagged["labels"]]
    assert f"{n_rows} read, {n_rows} tagged, 0 rejected" in result.stderr


def test_bad_input_gives_one_line_error_and_exit_code_2(trained, repo, tmp_path):
    workdir, _, _ = trained
    result = run(
        repo,
        workdir,
        "predict.py",
        f"input={tmp_path / 'missing.jsonl'}",
        "output=o.jsonl",
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "missing.jsonl: input file not found" in result.stderr
    assert "Traceback" not in result.stderr

    (tmp_path / "not_a_model.joblib").write_bytes(b"\x80\x04junk")
    result = run(
        repo,
        workdir,
        "predict.py",
        f"model_uri={tmp_path / 'not_a_model.joblib'}",
        f"input={repo / 'tests' / 'fixtures' / 'unseen_articles.jsonl'}",
        check=False,
    )
    assert result.returncode == 2
    assert "no manifest" in result.stderr


def test_a_run_that_raises_is_marked_failed(repo, mlflow_uri, tmp_path):
    one_label = tmp_path / "one_label.jsonl"
    one_label.write_text(
        "".join(json.dumps({"text": f"story {i}", "label": "energy"}) + "\n" for i in range(20))
    )
    result = run(
        repo,
        tmp_path,
        "train.py",
        "data=files",
        f"data.train_path={one_label}",
        "data.text_fields=[text]",
        "data.label_field=label",
        f"mlflow.tracking_uri={mlflow_uri}",
        f"mlflow.experiment={EXPERIMENT}",
        "run_name=failing",
        check=False,
    )
    assert result.returncode == 2
    assert "need at least two" in result.stderr
    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'failing'")
    assert [r.info.status for r in runs] == ["FAILED"]
    assert not (tmp_path / "models").exists()


def test_predict_accepts_a_registered_model_uri(trained, repo, mlflow_uri):
    import mlflow

    workdir, _, mlrun = trained
    mlflow.set_tracking_uri(mlflow_uri)
    models = mlflow.search_logged_models(
        experiment_ids=[mlrun.info.experiment_id], output_format="list"
    )
    model = next(m for m in models if m.source_run_id == mlrun.info.run_id)
    version = mlflow.register_model(model.model_uri, "e2e-tagger")
    MlflowClient(mlflow_uri).set_registered_model_alias("e2e-tagger", "champion", version.version)
    unseen = repo / "tests" / "fixtures" / "unseen_articles.jsonl"
    result = run(
        repo,
        workdir,
        "predict.py",
        "model_uri=models:/e2e-tagger@champion",
        f"input={unseen}",
        "output=registered.jsonl",
        f"mlflow.tracking_uri={mlflow_uri}",
    )
    assert "0 rejected" in result.stderr
    assert (workdir / "registered.jsonl").read_text().count("\n") == 10
