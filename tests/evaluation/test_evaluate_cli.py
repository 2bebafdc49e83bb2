"""evaluate.py as a user runs it: scoring saved models, comparing them, gated promotion,
and one-line errors for bad evaluation files."""

from __future__ import annotations

import json

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from tests.test_end_to_end import run

EXPERIMENT = "evaluation"
FAST = ("cv.folds=1", "tagger.threshold_cv=2", f"mlflow.experiment={EXPERIMENT}")
# A vocabulary of 15 terms: a deliberately weak model; 3 terms: weaker still.
WEAK = ("features.word.max_features=15",)
WEAKER = ("features.word.max_features=3",)


@pytest.fixture(scope="module")
def trained(repo, mlflow_uri, tmp_path_factory):
    """Three demo models: the default one, a weak one and a weaker one (by run name)."""
    workdir = tmp_path_factory.mktemp("evaluate")
    common = (f"data.path={repo / 'data' / 'demo'}", f"mlflow.tracking_uri={mlflow_uri}", *FAST)
    for name, extra in (("strong", ()), ("weak", WEAK), ("weaker", WEAKER)):
        run(repo, workdir, "train.py", *common, *extra, f"run_name={name}",
            f"output.model_path=models/{name}.joblib")  # fmt: skip
    mlflow.set_tracking_uri(mlflow_uri)
    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    found = client.search_runs([experiment.experiment_id], "attributes.status = 'FINISHED'")
    runs = {r.info.run_name: r for r in found if r.info.run_name in ("strong", "weak", "weaker")}
    return workdir, client, runs


def evaluate(repo, workdir, mlflow_uri, *overrides, check=True):
    """evaluate.py with the session's store; on the demo test split unless data= is given."""
    data = [] if any(o.startswith("data=") for o in overrides) else [
        f"data.path={repo / 'data' / 'demo'}"]  # fmt: skip
    return run(repo, workdir, "evaluate.py", *data, f"mlflow.tracking_uri={mlflow_uri}",
               f"mlflow.experiment={EXPERIMENT}", *overrides, check=check)  # fmt: skip


def model_id(client, mlrun) -> str:
    return client.get_run(mlrun.info.run_id).outputs.model_outputs[0].model_id


def eval_run(client, run_id):
    return client.get_run(run_id)


def logged_run_id(result) -> str:
    line = [x for x in result.stdout.splitlines() if x.startswith("logged to MLflow run")][-1]
    return line.split()[-1]


def test_evaluating_the_test_split_gives_the_training_runs_test_metrics(trained, repo, mlflow_uri):
    workdir, client, runs = trained
    strong = runs["strong"]
    result = evaluate(repo, workdir, mlflow_uri, f"model_uri=runs:/{strong.info.run_id}")
    assert "demo test split: 47 read, 47 scored, 0 rejected" in result.stdout
    logged = eval_run(client, logged_run_id(result))
    test_metrics = {k: v for k, v in strong.data.metrics.items()
                    if k.startswith("test_") and k != "test_predict_seconds"}  # fmt: skip
    assert len(test_metrics) >= 11
    for name, value in test_metrics.items():
        assert logged.data.metrics["eval_" + name.removeprefix("test_")] == pytest.approx(
            value, abs=1e-12
        ), name
    assert f"{test_metrics['test_micro_f1']:.4f}" in result.stdout
    # The metrics are on the model's page, linked to the evaluation dataset.
    mid = model_id(client, strong)
    linked = [m for m in mlflow.get_logged_model(mid).metrics if m.key == "eval_micro_f1"]
    assert linked and linked[0].run_id == logged.info.run_id
    assert linked[0].dataset_name == "demo-evaluation"
    inputs = logged.inputs.dataset_inputs
    assert [d.dataset.name for d in inputs] == ["demo-evaluation"]
    artifacts = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"eval_per_label.csv", "eval_label_confusions.csv", "plots"} <= artifacts
    plots = {a.path for a in client.list_artifacts(logged.info.run_id, "plots")}
    assert {"plots/eval_pr_curves.png", "plots/eval_per_label.png"} <= plots


def test_a_model_file_is_evaluated_too(trained, repo, mlflow_uri):
    workdir, _, runs = trained
    result = evaluate(repo, workdir, mlflow_uri, "model_uri=models/strong.joblib",
                      "per_label=false")  # fmt: skip
    micro = runs["strong"].data.metrics["test_micro_f1"]
    assert f"{micro:.4f}" in result.stdout


def test_compare_reports_paired_differences(trained, repo, mlflow_uri):
    workdir, client, runs = trained
    weak, strong = runs["weak"].info.run_id, runs["strong"].info.run_id
    result = evaluate(repo, workdir, mlflow_uri, f"compare=[runs:/{weak},runs:/{strong}]",
                      "bootstrap.samples=300")  # fmt: skip
    pairs = [line.split() for line in result.stdout.splitlines() if "run " in line
             and line.split()[0] in ("micro_f1", "macro_f1")]  # fmt: skip
    assert [p[0] for p in pairs] == ["micro_f1", "macro_f1"], result.stdout
    parent = eval_run(client, logged_run_id(result))
    metrics = parent.data.metrics
    expected = (
        runs["strong"].data.metrics["test_micro_f1"] - runs["weak"].data.metrics["test_micro_f1"]
    )
    assert metrics["eval_delta_micro_f1"] == pytest.approx(expected, abs=1e-12)
    assert metrics["eval_delta_micro_f1_low"] <= expected <= metrics["eval_delta_micro_f1_high"]
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert len(children) == 2


def _register(client, mlrun, name: str, alias: str | None = None) -> str:
    version = mlflow.register_model(f"models:/{model_id(client, mlrun)}", name).version
    if alias:
        client.set_registered_model_alias(name, alias, version)
    return str(version)


def test_a_worse_challenger_is_refused_and_a_better_one_promoted(trained, repo, mlflow_uri):
    workdir, client, runs = trained
    name = "gated-tagger"
    _register(client, runs["weak"], name, "champion")
    weaker = runs["weaker"].info.run_id
    refused = evaluate(repo, workdir, mlflow_uri, f"model_uri=runs:/{weaker}", "promote=true",
                       f"registry.name={name}", check=False)  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("refused: run ") and "does not take @champion" in last
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    tags = mlflow.get_logged_model(model_id(client, runs["weaker"])).tags
    assert tags["promotion.decision"] == "refused"

    strong = runs["strong"].info.run_id
    promoted = evaluate(repo, workdir, mlflow_uri,
                        f"compare=[models:/{name}@champion,runs:/{strong}]", "promote=true",
                        f"registry.name={name}")  # fmt: skip
    assert f"promoted {name}/2 to @champion" in promoted.stdout
    champion = client.get_model_version_by_alias(name, "champion")
    assert str(champion.version) == "2" and champion.run_id == strong
    tags = champion.tags
    assert tags["promotion.decision"] == "promoted"
    assert tags["promotion.champion_version"] == "1"
    assert float(tags["promotion.ci_low"]) > 0
    strong_f1 = runs["strong"].data.metrics["test_micro_f1"]
    assert float(tags["promotion.challenger_score"]) == pytest.approx(strong_f1, abs=1e-6)
    parent = eval_run(client, logged_run_id(promoted))
    assert parent.data.tags["promotion.decision"] == "promoted"


def test_the_first_promotion_is_allowed_and_says_so(trained, repo, mlflow_uri):
    workdir, client, runs = trained
    name = "fresh-tagger"
    result = evaluate(repo, workdir, mlflow_uri, f"model_uri=runs:/{runs['weak'].info.run_id}",
                      "promote=true", f"registry.name={name}", "per_label=false")  # fmt: skip
    assert "first promotion, allowed" in result.stdout
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _demo_rows(repo):
    return [json.loads(x) for x in (repo / "data" / "demo" / "test.jsonl").open()]


def test_unknown_labels_are_counted_and_named(trained, repo, mlflow_uri, tmp_path):
    workdir, _, _ = trained
    rows = _demo_rows(repo)
    for row in rows[:5]:
        row["topics"] = [*row["topics"], "crypto"]
    rows[5]["topics"] = ["space"]
    path = _write(tmp_path / "unknown.jsonl", rows)
    common = ("model_uri=models/strong.joblib", "data=files", f"data.test_path={path}",
              "data.id_field=id")  # fmt: skip
    result = evaluate(repo, workdir, mlflow_uri, *common)
    assert "6 article(s) carry 2 label(s) models/strong.joblib does not know: crypto (5), " \
        "space (1)" in result.stderr  # fmt: skip
    failed = evaluate(repo, workdir, mlflow_uri, *common, "unknown_labels=fail", check=False)
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1].startswith(f"error: {path}: 6 article(s)")


def test_a_file_of_labels_the_model_never_saw_is_an_error(trained, repo, mlflow_uri, tmp_path):
    workdir, _, _ = trained
    rows = [{**row, "topics": ["sport"]} for row in _demo_rows(repo)]
    path = _write(tmp_path / "sport.jsonl", rows)
    result = evaluate(repo, workdir, mlflow_uri, "model_uri=models/strong.joblib", "data=files",
                      f"data.test_path={path}", check=False)  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: {path}: no article has a label that ")
    assert "sport (47)" in lines[-1]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", "", "no articles to evaluate (the file is empty)"),
        ("nolabels.jsonl", '{"title": "Oil rises", "body": "Crude rose."}\n',
         "no row has the label field 'topics'"),
        ("nolabels.csv", "title,body\nOil rises,Crude rose.\n", "no label column 'topics'"),
    ],
)  # fmt: skip
def test_bad_evaluation_files_give_one_line_errors(
    trained, repo, mlflow_uri, tmp_path, name, content, message
):
    workdir, _, _ = trained
    path = tmp_path / name
    path.write_text(content)
    result = evaluate(repo, workdir, mlflow_uri, "model_uri=models/strong.joblib", "data=files",
                      f"data.test_path={path}", check=False)  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: {path}: ") and message in lines[-1], lines
    assert "Traceback" not in result.stderr


def test_bad_rows_are_rejected_and_counted(trained, repo, mlflow_uri, tmp_path):
    workdir, _, _ = trained
    rows = _demo_rows(repo)[:10]
    path = _write(tmp_path / "mixed.jsonl", [*rows, "{not json", {"title": "No labels here"}])
    result = evaluate(repo, workdir, mlflow_uri, "model_uri=models/strong.joblib", "data=files",
                      f"data.test_path={path}", "per_label=false")  # fmt: skip
    assert f"{path}: 12 read, 10 scored, 2 rejected" in result.stdout
    assert "warning: line 11: malformed JSON" in result.stderr
    assert "warning: line 12: no label field 'topics'" in result.stderr


def _text_rows(repo):
    """The demo test split in the {"id", "text", "topics"} shape."""
    return [{"id": r["id"], "text": f"{r['title']}\n\n{r['body']}", "topics": r["topics"]}
            for r in _demo_rows(repo)]  # fmt: skip


@pytest.fixture(scope="module")
def text_model(trained, repo, mlflow_uri):
    """A model trained with data.text_fields=[text] (the demo corpus in the text shape)."""
    workdir, _, _ = trained
    rows = [json.loads(x) for x in (repo / "data" / "demo" / "train.jsonl").open()]
    train = _write(workdir / "text_train.jsonl", [
        {"id": r["id"], "text": f"{r['title']}\n\n{r['body']}", "topics": r["topics"]}
        for r in rows])  # fmt: skip
    test = _write(workdir / "text_test.jsonl", _text_rows(repo))
    run(repo, workdir, "train.py", "data=files", f"data.train_path={train}",
        f"data.test_path={test}", "data.text_fields=[text]", "data.id_field=id",
        f"mlflow.tracking_uri={mlflow_uri}", *FAST, "run_name=text",
        "output.model_path=models/text.joblib")  # fmt: skip
    return "models/text.joblib", test


def _micro(result) -> str:
    return next(x.split()[1] for x in result.stdout.splitlines() if x.split()[:1] == ["micro_f1"])


def test_a_text_model_evaluates_a_text_file_with_no_option(trained, text_model, repo, mlflow_uri):
    workdir, _, _ = trained
    model, test = text_model
    result = evaluate(repo, workdir, mlflow_uri, f"model_uri={model}", "data=files",
                      f"data.test_path={test}", "per_label=false")  # fmt: skip
    assert f"{test}: 47 read, 47 scored, 0 rejected; text from text" in result.stdout
    # A title/body file has none of its fields: every row is rejected, one line, exit 2.
    demo = repo / "data" / "demo" / "test.jsonl"
    failed = evaluate(repo, workdir, mlflow_uri, f"model_uri={model}", "data=files",
                      f"data.test_path={demo}", check=False)  # fmt: skip
    assert failed.returncode == 2
    last = failed.stderr.strip().splitlines()[-1]
    assert (
        last.startswith(f"error: {demo}: all 47 rows were rejected")
        and "no text field (text)" in last
    )


def test_the_demo_model_evaluates_title_body_and_text_files_alike(
    trained, repo, mlflow_uri, tmp_path
):
    workdir, _, runs = trained
    text_file = _write(tmp_path / "text.jsonl", _text_rows(repo))
    demo = repo / "data" / "demo" / "test.jsonl"
    scores = {}
    for path in (demo, text_file):
        result = evaluate(repo, workdir, mlflow_uri, "model_uri=models/strong.joblib",
                          "data=files", f"data.test_path={path}", "per_label=false")  # fmt: skip
        assert f"{path}: 47 read, 47 scored, 0 rejected" in result.stdout
        scores[path] = _micro(result)
    assert "text from title, body, or text" in result.stdout
    expected = f"{runs['strong'].data.metrics['test_micro_f1']:.4f}"
    assert scores[demo] == scores[text_file] == expected


def test_models_trained_on_different_fields_each_read_their_own(
    trained, text_model, repo, mlflow_uri, tmp_path
):
    workdir, _, _ = trained
    model, test = text_model
    alone = _micro(evaluate(repo, workdir, mlflow_uri, f"model_uri={model}", "data=files",
                            f"data.test_path={test}", "per_label=false"))  # fmt: skip
    # Both shapes in each row: the demo model reads title and body, the text model text.
    both = [
        {**a, "text": b["text"]} for a, b in zip(_demo_rows(repo), _text_rows(repo), strict=True)
    ]
    path = _write(tmp_path / "both.jsonl", both)
    result = evaluate(repo, workdir, mlflow_uri, f"compare=[models/strong.joblib,{model}]",
                      "data=files", f"data.test_path={path}", "per_label=false",
                      "bootstrap.samples=200")  # fmt: skip
    assert f"{path}: 47 read, 47 scored, 0 rejected; text from title, body, or text | text" \
        in result.stdout  # fmt: skip
    table = next(x.split() for x in result.stdout.splitlines() if x.split()[:1] == ["micro_f1"])
    assert table[2] == alone
