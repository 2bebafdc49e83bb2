import csv
import subprocess
import sys

import mlflow
import pytest

from tests.helpers import tmp_paths


def _audit(repo, tmp_path, mlflow_uri, *extra):
    return subprocess.run(
        [
            sys.executable,
            str(repo / "audit.py"),
            *tmp_paths(tmp_path),
            f"data.path={repo / 'data' / 'demo'}",
            f"mlflow.tracking_uri={mlflow_uri}",
            "mlflow.experiment=audit-tests",
            f"audit.output_dir={tmp_path / 'audit'}",
            "audit.folds=3",
            *extra,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_audit_writes_its_files_and_logs_them_to_an_audit_run(repo, tmp_path, mlflow_uri):
    result = _audit(repo, tmp_path, mlflow_uri)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "audit"
    with (out / "issues.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == [
        "rank", "id", "given_labels", "suspected_labels", "score", "confident", "reason"
    ]  # fmt: skip
    assert [float(r["score"]) for r in rows] == sorted(
        (float(r["score"]) for r in rows), reverse=True
    )
    report = (out / "report.md").read_text()
    for heading in ("## Likely label errors", "## Duplicates", "## Most confused label pairs"):
        assert heading in report
    assert rows[0]["id"] in report

    mlflow.set_tracking_uri(mlflow_uri)
    runs = mlflow.search_runs(experiment_names=["audit-tests"], output_format="list")
    (run,) = [r for r in runs if r.data.tags.get("run_kind") == "audit"]
    assert run.info.status == "FINISHED" and run.info.run_name == "audit"
    assert run.data.metrics["audit_suspect_articles"] == len(rows)
    assert run.data.params["audit.folds"] == "3"
    logged = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "audit")}
    assert {
        "audit/issues.csv",
        "audit/duplicates.csv",
        "audit/confusions.csv",
        "audit/report.md",
    } <= logged


@pytest.mark.parametrize(
    ("override", "message"),
    [("audit.folds=1", "audit.folds=1"), ("audit.near_duplicate_threshold=2", "threshold 2")],
)
def test_bad_audit_options_are_one_line_errors(repo, tmp_path, mlflow_uri, override, message):
    result = _audit(repo, tmp_path, mlflow_uri, override)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
