"""train.py register=true: the model registry, aliases, predict.py with models:/name@alias,
and the model card every run logs."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from tests.test_end_to_end import run

EXPERIMENT = "registration"
NAME = "registration-tagger"
FAST = ("cv.folds=2", "tagger.threshold_cv=2", f"mlflow.experiment={EXPERIMENT}")


@pytest.fixture(scope="module")
def registered(repo, mlflow_uri, tmp_path_factory):
    """Two trainings with register=true: the first sets the champion alias, the second not."""
    workdir = tmp_path_factory.mktemp("registration")
    common = (f"data.path={repo / 'data' / 'demo'}", f"mlflow.tracking_uri={mlflow_uri}", *FAST)
    run(repo, workdir, "train.py", *common, "register=true", f"registry.name={NAME}",
        "registry.alias=champion", "run_name=first")  # fmt: skip
    run(repo, workdir, "train.py", *common, "register=true", f"registry.name={NAME}",
        "model=logreg", "run_name=second")  # fmt: skip
    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = {
        r.info.run_name: r
        for r in client.search_runs([experiment.experiment_id], "attributes.status = 'FINISHED'")
    }
    return workdir, client, runs


def test_register_creates_versions_and_the_alias_points_at_the_chosen_one(registered):
    _, client, runs = registered
    versions = {str(v.version): v.run_id for v in client.search_model_versions(f"name = '{NAME}'")}
    assert versions == {"1": runs["first"].info.run_id, "2": runs["second"].info.run_id}
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"


def test_predict_loads_the_champion(registered, repo, mlflow_uri):
    workdir, _, _ = registered
    unseen = repo / "tests" / "fixtures" / "unseen_articles.jsonl"
    result = run(
        repo, workdir, "predict.py", f"model_uri=models:/{NAME}@champion", f"input={unseen}",
        "output=champion.jsonl", f"mlflow.tracking_uri={mlflow_uri}",
    )  # fmt: skip
    n_rows = sum(1 for _ in unseen.open())
    assert f"{n_rows} read, {n_rows} tagged, 0 rejected" in result.stderr
    assert (workdir / "champion.jsonl").read_text().count("\n") == n_rows


def test_register_without_a_logged_model_is_a_config_error(repo, mlflow_uri, tmp_path):
    result = run(repo, tmp_path, "train.py", "register=true", "mlflow.log_model=false",
                 f"mlflow.tracking_uri={mlflow_uri}", *FAST, check=False)  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: register=true needs mlflow.log_model=true")
    )


def test_every_run_logs_a_model_card(registered, mlflow_uri):
    _, _, runs = registered
    mlflow.set_tracking_uri(mlflow_uri)
    mlrun = runs["second"]
    card = mlflow.artifacts.load_text(f"runs:/{mlrun.info.run_id}/model_card.md")
    assert card.startswith("# Model card: LogisticRegression on demo")
    for section in ("## Intended use", "## Limits", "## Labels: thresholds and test scores",
                    "## Config", "## Scores", "## Plots"):  # fmt: skip
        assert section in card
    metrics = mlrun.data.metrics
    assert f"| micro_f1 | {metrics['cv_micro_f1']:.4f} ± {metrics['cv_micro_f1_std']:.4f} | " \
        f"{metrics['test_micro_f1']:.4f} |" in card  # fmt: skip
    assert "![plots/per_label_scores.png](plots/per_label_scores.png)" in card
