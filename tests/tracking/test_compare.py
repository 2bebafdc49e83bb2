"""python -m classifier.compare over a store with a small sweep and a lone run."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from classifier.tracking import compare, runs

EXPERIMENT = "compare"


@pytest.fixture(scope="module")
def store(mlflow_uri):
    """A sweep (parent + three children) and one run outside it; returns the parent id."""
    runs.setup(mlflow_uri, EXPERIMENT)
    with mlflow.start_run(run_name="sweep", tags={"run_kind": "sweep", "sweep_id": "s1"}) as p:
        parent = p.info.run_id
    for name, c, cv, test in (
        ("a", 0.1, 0.70, 0.99),
        ("b", 1.0, 0.90, 0.80),
        ("c", 10, 0.80, 0.85),
    ):
        tags = {"mlflow.parentRunId": parent, "sweep_id": "s1"}
        with mlflow.start_run(run_name=name, tags=tags):
            mlflow.log_params({"model._target_": "sklearn.svm.LinearSVC", "model.C": c, "seed": 1})
            mlflow.log_metrics({"cv_micro_f1": cv, "cv_micro_f1_std": 0.01, "test_micro_f1": test})
    with mlflow.start_run(run_name="lone"):
        mlflow.log_params({"model._target_": "sklearn.naive_bayes.ComplementNB", "seed": 1})
        mlflow.log_metrics({"cv_micro_f1": 0.75, "test_micro_f1": 0.95})
    return parent


def rows(output: str) -> list[list[str]]:
    lines = output.strip().splitlines()
    return [line.split() for line in lines[1:] if not line.startswith(("plot:", "logged"))]


def test_sweep_runs_ranked_by_cv_metric_and_plot_logged_to_parent(
    store, mlflow_uri, tmp_path, capsys
):
    plot = tmp_path / "cmp.png"
    compare.main(
        ["--experiment", EXPERIMENT, "--sweep", "s1", "--top", "2", "--plot", str(plot),
         "--tracking-uri", mlflow_uri]
    )  # fmt: skip
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:4] == ["run", "run_id", "model", "model.C"]  # seed does not vary: not shown
    table = rows(out)
    # Ranked by the CV metric (b, c), not by the test metric (a would come first).
    assert [r[0] for r in table] == ["b", "c"]
    assert table[0][2:4] == ["LinearSVC", "1.0"]
    assert plot.read_bytes().startswith(b"\x89PNG")
    artifacts = {a.path for a in MlflowClient(mlflow_uri).list_artifacts(store, "compare")}
    assert artifacts == {"compare/compare_cv_micro_f1.png", "compare/compare_cv_micro_f1.csv"}
    assert f"logged to MLflow run {store}" in out


def test_runs_of_several_origins_get_a_compare_run_that_is_not_listed(
    store, mlflow_uri, tmp_path, capsys
):
    args = ["--experiment", EXPERIMENT, "--plot", str(tmp_path / "all.png")]
    compare.main([*args, "--tracking-uri", mlflow_uri])
    out = capsys.readouterr().out
    assert [r[0] for r in rows(out)] == ["b", "c", "lone", "a"]  # the sweep parent is not a row
    run_id = out.strip().splitlines()[-1].split()[-1]
    client = MlflowClient(mlflow_uri)
    run = client.get_run(run_id)
    assert run.data.tags["run_kind"] == "compare"
    # It sits in an experiment of its own, out of the training runs' table.
    home = client.get_experiment(run.info.experiment_id)
    assert home.name == f"{EXPERIMENT}-comparisons"
    assert home.experiment_id != client.get_experiment_by_name(EXPERIMENT).experiment_id
    # Comparing again does not list the compare run itself.
    compare.main([*args, "--tracking-uri", mlflow_uri, "--no-log"])
    assert [r[0] for r in rows(capsys.readouterr().out)] == ["b", "c", "lone", "a"]


def test_filter_selects_runs(store, mlflow_uri, tmp_path, capsys):
    compare.main(
        ["--experiment", EXPERIMENT, "--filter", "params.`model.C` = '10'", "--no-log",
         "--plot", str(tmp_path / "f.png"), "--tracking-uri", mlflow_uri]
    )  # fmt: skip
    assert [r[0] for r in rows(capsys.readouterr().out)] == ["c"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--experiment", "nope"], "error: experiment 'nope' not found"),
        (["--experiment", EXPERIMENT, "--filter", "params.x =="], "error: filter 'params.x =='"),
        (["--experiment", EXPERIMENT, "--metric", "cv_nothing"], "error: no finished run"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(store, mlflow_uri, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        compare.main([*args, "--tracking-uri", mlflow_uri, "--plot", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(message)


def test_plot_names_params_keeps_the_whole_axis_and_shows_missing_values_one_way(store, mlflow_uri):
    mlflow.set_tracking_uri(mlflow_uri)
    comparison = compare.select_runs(EXPERIMENT, "cv_micro_f1", 10)
    table = comparison.table()
    # The lone run has no model.C: shown as "-", like a missing metric, never NaN or null.
    lone = table[table["run"] == "lone"].iloc[0]
    assert lone["model.C"] == compare.MISSING and lone["cv_micro_f1_std"] == compare.MISSING
    assert "nan" not in table.to_string().lower() and "null" not in table.to_string()
    figure = compare.plot(comparison)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "b (LinearSVC, C=1.0)"  # the best run, drawn at the top
    assert "lone (ComplementNB)" in labels  # no C: nothing to say about it
    assert ax.get_xlim() == (0.0, 1.0)
    assert {t.get_text() for t in ax.texts} >= {"0.9000", "0.8000"}


def test_a_long_plot_label_goes_on_two_lines(store, mlflow_uri):
    mlflow.set_tracking_uri(mlflow_uri)
    comparison = compare.select_runs(EXPERIMENT, "cv_micro_f1", 10)
    long_name = "linear_svc features=tfidf_char preprocess=minimal"
    comparison.runs.loc[comparison.runs.index[0], "tags.mlflow.runName"] = long_name
    labels = [t.get_text() for t in compare.plot(comparison).axes[0].get_yticklabels()]
    assert labels[0] == f"{long_name}\n(LinearSVC, C=1.0)"
    assert "\n" not in labels[1]
