"""Sweeps as a user runs them: real Hydra multiruns of train.py in subprocesses, checked in
the MLflow store (one parent run, nested child runs, sweep id, statuses)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import yaml
from mlflow.tracking import MlflowClient

from tests.helpers import tmp_paths

# Small and fast: the demo corpus, 2 folds, no logged model.
FAST = ("cv.folds=2", "mlflow.log_model=false", "tagger.tune_thresholds=false")


def sweep(repo: Path, cwd: Path, uri: str, experiment: str, *overrides: str):
    """``python train.py -m ...`` in ``cwd`` with a sweep directory under it."""
    return subprocess.run(
        [
            sys.executable,
            str(repo / "train.py"),
            "-m",
            *tmp_paths(cwd),
            *FAST,
            *overrides,
            f"mlflow.tracking_uri={uri}",
            f"mlflow.experiment={experiment}",
            f"hydra.sweep.dir={cwd / 'multirun'}",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


def runs_of(uri: str, experiment: str):
    """(parent run, child runs) of the one sweep in ``experiment``."""
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("run_kind") == "sweep"]
    assert len(parents) == 1
    parent = parents[0]
    children = [r for r in runs if r is not parent]
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tags["sweep_id"] == parent.data.tags["sweep_id"]
    return client, parent, children


def test_grid_sweep_nests_every_job_under_one_parent_run(repo, mlflow_uri, tmp_path):
    demo = repo / "data" / "demo"
    result = sweep(
        repo, tmp_path, mlflow_uri, "sweep-grid", f"data.path={demo}",
        "model=linear_svc,logreg", "features.word.min_df=1,2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    client, parent, children = runs_of(mlflow_uri, "sweep-grid")
    assert parent.info.status == "FINISHED"
    assert len(children) == 4
    assert {c.info.status for c in children} == {"FINISHED"}
    combos = {
        (c.data.params["model._target_"], c.data.params["features.word.min_df"]) for c in children
    }
    assert combos == {
        (model, df)
        for model in ("sklearn.svm.LinearSVC", "sklearn.linear_model.LogisticRegression")
        for df in ("1", "2")
    }
    # The best child is chosen by the CV metric, not by a test metric.
    best = max(children, key=lambda c: c.data.metrics["cv_micro_f1"])
    assert parent.data.tags["best_run_id"] == best.info.run_id
    assert parent.data.metrics["cv_micro_f1"] == best.data.metrics["cv_micro_f1"]
    assert client.get_run(best.info.run_id).data.tags["sweep_best"] == "true"
    # Each job keeps its own model file in its job directory.
    assert sorted(p.parent.name for p in (tmp_path / "multirun").glob("*/model.joblib")) == [
        "0", "1", "2", "3",
    ]  # fmt: skip


def test_parallel_sweep_marks_failed_jobs_failed_and_runs_the_others(repo, mlflow_uri, tmp_path):
    # Four jobs on two processes: a missing data folder fails before the job's run starts,
    # 1000 folds fail inside it (more folds than articles); one job succeeds.
    demo = repo / "data" / "demo"
    result = sweep(
        repo, tmp_path, mlflow_uri, "sweep-failures", "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2", f"data.path={demo},{tmp_path / 'missing'}",
        "cv.folds=2,1000",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    assert "error: 3 of 4 sweep jobs failed" in result.stderr
    _, parent, children = runs_of(mlflow_uri, "sweep-failures")
    assert parent.info.status == "FAILED"
    assert parent.data.tags["sweep_failed_jobs"] == "3"
    assert len(children) == 4
    by_job = {c.data.tags["sweep_job"]: c for c in children}
    assert sorted(by_job) == ["0", "1", "2", "3"]
    assert [c.info.status for c in children].count("FAILED") == 3
    ok = [c for c in children if c.info.status == "FINISHED"]
    assert len(ok) == 1 and ok[0].data.params["cv.folds"] == "2"
    assert ok[0].data.params["data.path"] == str(demo)
    assert parent.data.tags["best_run_id"] == ok[0].info.run_id
    # Jobs that failed before their run started have a FAILED run with the error and tags.
    early = [c for c in children if "data.path" not in c.data.params]
    assert len(early) == 2
    assert all("file not found" in c.data.tags["error"] for c in early)


def test_optuna_search_optimises_the_cv_metric(repo, mlflow_uri, tmp_path):
    demo = repo / "data" / "demo"
    result = sweep(
        repo, tmp_path, mlflow_uri, "sweep-optuna", "hparams_search=optuna",
        f"data.path={demo}", "hydra.sweeper.n_trials=3", "hydra.sweeper.sampler.n_startup_trials=2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    _, parent, children = runs_of(mlflow_uri, "sweep-optuna")
    assert len(children) == 3
    assert {c.info.status for c in children} == {"FINISHED"}
    cv = [c.data.metrics["cv_micro_f1"] for c in children]
    study = yaml.safe_load((tmp_path / "multirun" / "optimization_results.yaml").read_text())
    # Optuna saw the CV score each job returned: its best value is the best child's CV score.
    assert math.isclose(study["best_value"], max(cv))
    assert not any(
        math.isclose(study["best_value"], c.data.metrics["test_micro_f1"])
        and c.data.metrics["test_micro_f1"] != c.data.metrics["cv_micro_f1"]
        for c in children
    )
    assert parent.data.tags["best_run_id"] in {c.info.run_id for c in children}
    assert set(study["best_params"]) == {
        "model", "model.C", "features.word.min_df", "tagger.threshold_shrink",
    }  # fmt: skip


def test_optuna_search_goes_on_after_failed_trials_and_ends_its_parent(repo, mlflow_uri, tmp_path):
    # Every trial fails (no data): each still runs and gets a FAILED run, and although the
    # sweeper then raises (no completed trial), the parent run is not left RUNNING.
    result = sweep(
        repo, tmp_path, mlflow_uri, "sweep-optuna-failed", "hparams_search=optuna",
        f"data.path={tmp_path / 'missing'}", "hydra.sweeper.n_trials=2",
    )  # fmt: skip
    assert result.returncode != 0
    assert "file not found" in result.stderr
    _, parent, children = runs_of(mlflow_uri, "sweep-optuna-failed")
    assert parent.info.status == "FAILED"
    assert [c.info.status for c in children] == ["FAILED", "FAILED"]


def test_sweeps_refuse_to_optimise_a_test_metric(repo, mlflow_uri, tmp_path):
    result = sweep(
        repo, tmp_path, mlflow_uri, "sweep-refused", "optimized_metric=test_micro_f1",
        "model=linear_svc,logreg",
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines()[-1].startswith("error: optimized_metric='test_micro_f1'")
    )
