"""train.py against a real ``mlflow server`` (SQLite store, local artifacts), checked over HTTP."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.helpers import train_demo
from tests.servers import get_json, post_json, tracking_server

EXPERIMENT = "shared-server"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A tracking server on 127.0.0.1 at a free port; stopped when the module is done."""
    root = tmp_path_factory.mktemp("server")
    with tracking_server(root) as url:
        yield url, root


def test_train_logs_a_run_to_the_server(repo, server, tmp_path):
    url, root = server
    train_demo(repo, tmp_path, url, EXPERIMENT, "on-server")
    # Nothing went to a local store: the run lives only on the server.
    assert not (tmp_path / "mlflow.db").exists()

    api = f"{url}/api/2.0/mlflow"
    query = urllib.parse.urlencode({"experiment_name": EXPERIMENT})
    experiment = get_json(f"{api}/experiments/get-by-name?{query}")["experiment"]
    found = post_json(
        f"{api}/runs/search",
        {
            "experiment_ids": [experiment["experiment_id"]],
            "filter": "attributes.run_name = 'on-server'",
        },
    )["runs"]
    assert len(found) == 1
    run = found[0]
    assert run["info"]["status"] == "FINISHED"
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert 0.5 < metrics["test_micro_f1"] <= 1.0
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["model._target_"] == "sklearn.svm.LinearSVC"

    # Artifacts went through the server to its artifact root.
    run_id = run["info"]["run_id"]
    listing = get_json(f"{api}/artifacts/list?run_id={run_id}&path=model_file")
    names = {f["path"] for f in listing["files"]}
    assert {"model_file/model.joblib", "model_file/model.joblib.manifest.json"} <= names
    stored = list((root / "artifacts").rglob("model.joblib"))
    assert stored, "the model file is not under the server's artifact root"
