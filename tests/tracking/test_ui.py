"""What a data scientist meets in the MLflow UI, checked in the store through MlflowClient:
a demo sweep (two models) and one lone run, run by train.py as a user runs it.

1. the sweep parent carries its best job's headline metrics under the same names;
2. runs and logged models have names that tell them apart, and a short model name;
3. data checks are params and an artifact, not metrics;
4. housekeeping (tracking, paths, registry, debug) is not among the params;
5. the experiment is marked as a model-training experiment.
"""

from __future__ import annotations

import subprocess
import sys

import mlflow
import pytest
import yaml
from mlflow.tracking import MlflowClient

from classifier.tracking.naming import HOUSEKEEPING
from classifier.tracking.runs import EXPERIMENT_KIND_TAG, TRAINING_KIND
from tests.helpers import tmp_paths

EXPERIMENT = "ui"
FAST = ("cv.folds=2", "tagger.threshold_cv=2")


def train(repo, cwd, uri, *overrides, multirun=False):
    result = subprocess.run(
        [sys.executable, str(repo / "train.py"), *(["-m"] if multirun else []),
         *tmp_paths(cwd), *FAST, f"data.path={repo / 'data' / 'demo'}",
         f"mlflow.tracking_uri={uri}", f"mlflow.experiment={EXPERIMENT}", *overrides],
        cwd=cwd, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def store(repo, mlflow_uri, tmp_path_factory):
    """(client, experiment, sweep parent, sweep jobs, lone run, lone run's stdout)."""
    cwd = tmp_path_factory.mktemp("ui")
    train(repo, cwd, mlflow_uri, "model=linear_svc,logreg", f"hydra.sweep.dir={cwd / 'multirun'}",
          multirun=True)  # fmt: skip
    lone = train(repo, cwd, mlflow_uri, "model.C=0.5")
    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id])
    parent = next(r for r in runs if r.data.tags.get("run_kind") == "sweep")
    jobs = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    other = next(r for r in runs if r is not parent and r not in jobs)
    return client, experiment, parent, jobs, other, lone.stdout


def test_sweep_jobs_nest_under_their_parent(store):
    """The UI nests a run under the run its mlflow.parentRunId names (when sorted by date)."""
    _, _, parent, jobs, other, _ = store
    assert sorted(r.info.run_name for r in jobs) == ["linear_svc", "logreg"]
    assert {r.info.experiment_id for r in jobs} == {parent.info.experiment_id}
    assert "mlflow.parentRunId" not in parent.data.tags
    assert "mlflow.parentRunId" not in other.data.tags


def test_sweep_parent_ranks_and_charts_like_its_best_job(store):
    client, experiment, parent, jobs, _, _ = store
    best = max(jobs, key=lambda r: r.data.metrics["cv_micro_f1"])
    for name, value in best.data.metrics.items():
        if name.startswith(("cv_", "test_")):
            assert parent.data.metrics[name] == value, name
    assert parent.data.tags["best_run_id"] == best.info.run_id
    assert parent.data.tags["best_run_name"] == best.info.run_name
    assert best.info.run_name in parent.data.tags["mlflow.note.content"]
    # Sorted by the metric with the sweep collapsed, the sweep sits where its best job does.
    top = client.search_runs(
        [experiment.experiment_id],
        "attributes.status = 'FINISHED'",
        order_by=["metrics.cv_micro_f1 DESC"],
    )
    ranked = [r.info.run_id for r in top if "mlflow.parentRunId" not in r.data.tags]
    assert parent.info.run_id in ranked


def test_runs_and_models_are_named_after_what_defines_them(store, mlflow_uri):
    _, experiment, parent, jobs, other, _ = store
    assert parent.info.run_name == "sweep model=linear_svc,logreg"
    # Sweep jobs: their swept values only, not the overrides every job shares.
    assert sorted(r.info.run_name for r in jobs) == ["linear_svc", "logreg"]
    assert other.info.run_name == "linear_svc folds=2 threshold_cv=2 C=0.5"
    names = {r.info.run_name: r.data.params["model_name"] for r in [*jobs, other]}
    assert names["logreg"] == "LogisticRegression"
    assert names["linear_svc"] == "LinearSVC"
    mlflow.set_tracking_uri(mlflow_uri)
    models = mlflow.search_logged_models(
        experiment_ids=[experiment.experiment_id], output_format="list"
    )
    by_run = {m.source_run_id: m.name for m in models}
    assert by_run[other.info.run_id] == "demo-LinearSVC"
    assert {by_run[r.info.run_id] for r in jobs} == {"demo-LinearSVC", "demo-LogisticRegression"}


def test_data_checks_are_params_and_an_artifact_not_metrics(store):
    client, _, _, _, run, _ = store
    assert not [m for m in run.data.metrics if m.startswith("data")]
    params = run.data.params
    for name in ("empty_train", "empty_test", "exact_duplicates", "near_duplicates",
                 "label_cardinality_train", "dropped_labels"):  # fmt: skip
        assert f"data.{name}" in params, name
    assert params["data.empty_train"] == "0"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "data_checks.json" in artifacts
    # What a user sees first are scores.
    assert sorted(run.data.metrics)[0].startswith("cv_")


def test_housekeeping_is_not_a_param_but_stays_in_config_yaml(store, mlflow_uri):
    _, _, _, jobs, run, _ = store
    for mlrun in (run, *jobs):
        leaked = [
            p
            for p in mlrun.data.params
            if any(p == k or p.startswith(f"{k}.") for k in HOUSEKEEPING)
        ]
        assert leaked == []
        assert not any(p.startswith("paths.") for p in mlrun.data.params)
    assert {"model.C", "features.word.min_df", "tagger.tune_thresholds", "seed"} <= set(
        run.data.params
    )
    mlflow.set_tracking_uri(mlflow_uri)
    config = yaml.safe_load(mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/config.yaml"))
    assert config["mlflow"]["experiment"] == EXPERIMENT
    assert "model_path" in config["output"]
    # Sweep jobs no longer differ by their model paths: only by the model.
    differing = {
        k for k in jobs[0].data.params if jobs[0].data.params[k] != jobs[1].data.params.get(k)
    }
    assert differing and all(k.startswith("model") for k in differing)


def test_the_experiment_opens_as_model_training(store):
    _, experiment, _, _, _, _ = store
    assert experiment.tags[EXPERIMENT_KIND_TAG] == TRAINING_KIND


def test_train_prints_the_next_steps(store):
    _, experiment, _, _, run, stdout = store
    lines = stdout.strip().splitlines()[-3:]
    assert "mlflow ui --backend-store-uri sqlite:///" in lines[0]
    assert f"#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}" in lines[0]
    assert lines[1] == "model: models/model.joblib"
    assert "predict.py model_uri=models/model.joblib input=" in lines[2]
