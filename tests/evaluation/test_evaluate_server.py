"""evaluate.py against a real ``mlflow server`` on 127.0.0.1: metrics linked to the model
and a first promotion, checked through the server's REST API."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.helpers import train_demo
from tests.servers import get_json, post_json, tracking_server
from tests.test_end_to_end import run

EXPERIMENT = "evaluation-server"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A tracking server at a free port, with proxied artifacts; stopped afterwards."""
    with tracking_server(tmp_path_factory.mktemp("eval-server")) as url:
        yield url


def test_evaluate_and_promote_through_a_tracking_server(repo, server, tmp_path):
    train_demo(repo, tmp_path, server, EXPERIMENT, "served")
    api = f"{server}/api/2.0/mlflow"
    query = urllib.parse.urlencode({"experiment_name": EXPERIMENT})
    experiment = get_json(f"{api}/experiments/get-by-name?{query}")["experiment"]
    (trained,) = post_json(f"{api}/runs/search", {"experiment_ids": [experiment["experiment_id"]],
                           "filter": "attributes.run_name = 'served'"})["runs"]  # fmt: skip
    run_id = trained["info"]["run_id"]
    result = run(repo, tmp_path, "evaluate.py", f"model_uri=runs:/{run_id}", "promote=true",
                 "registry.name=served-tagger", f"data.path={repo / 'data' / 'demo'}",
                 f"mlflow.tracking_uri={server}", f"mlflow.experiment={EXPERIMENT}",
                 "per_label=false")  # fmt: skip
    assert "first promotion, allowed" in result.stdout
    assert not (tmp_path / "mlflow.db").exists()

    alias = get_json(f"{api}/registered-models/alias?name=served-tagger&alias=champion")
    assert alias["model_version"]["run_id"] == run_id
    # The store keeps the version's LoggedModel in its source, models:/<model id>.
    model_id = alias["model_version"]["source"].removeprefix("models:/")
    logged = get_json(f"{api}/logged-models/{model_id}")["model"]
    metrics = {m["key"]: m for m in logged["data"]["metrics"]}
    training = {m["key"]: m["value"] for m in trained["data"]["metrics"]}
    assert metrics["eval_micro_f1"]["value"] == pytest.approx(training["test_micro_f1"])
    assert metrics["eval_micro_f1"]["dataset_name"] == "demo-evaluation"
    tags = {t["key"]: t["value"] for t in alias["model_version"]["tags"]}
    assert tags["promotion.decision"] == "promoted"
