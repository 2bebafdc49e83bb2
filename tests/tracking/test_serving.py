"""The logged pyfunc model behind ``mlflow models serve --env-manager local``, over HTTP."""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import train_demo
from tests.servers import MLFLOW, free_port, post_json, start, stop, wait_ready

EXPERIMENT = "serving"

ARTICLES = [
    "Wheat farmers expect a record harvest this season after good rains, and grain "
    "exporters say maize and soybean crops recovered from the dry winter.",
    "Hospitals reported more patients with influenza this week; the health ministry "
    "urged older people to get vaccinated and doctors warned of a long flu season.",
]


@pytest.fixture(scope="module")
def model_uri(repo, mlflow_uri, tmp_path_factory):
    """A model logged by train.py on the demo corpus, as ``models:/<model id>``."""
    workdir = tmp_path_factory.mktemp("serving")
    train_demo(repo, workdir, mlflow_uri, EXPERIMENT, "to-serve")
    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    models = client.search_logged_models(experiment_ids=[experiment.experiment_id])
    assert len(models) == 1
    return models[0].model_uri


@pytest.fixture
def served(model_uri, mlflow_uri, tmp_path):
    """``mlflow models serve`` on 127.0.0.1 at a free port; stopped after the test."""
    port = free_port()
    log = tmp_path / "serve.log"
    process = start(
        [
            MLFLOW,
            "models",
            "serve",
            "-m",
            model_uri,
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        log,
        # The scoring server runs `uvicorn` from PATH: the one of this environment.
        env={
            "MLFLOW_TRACKING_URI": mlflow_uri,
            "PATH": f"{Path(MLFLOW).parent}{os.pathsep}{os.environ['PATH']}",
        },
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(process, f"{url}/ping", log)
        yield url
    finally:
        stop(process)


def test_served_model_returns_labels_and_scores(served):
    answer = post_json(
        f"{served}/invocations",
        {"dataframe_records": [{"text": text} for text in ARTICLES]},
    )
    predictions = answer["predictions"]
    assert len(predictions) == 2
    farming, flu = predictions
    scores = {k for k in farming if k.startswith("score_")}
    assert len(scores) == 8
    assert set(flu) == scores | {"labels"}
    for prediction in predictions:
        assert all(isinstance(prediction[k], float) for k in scores)
    assert "agriculture" in farming["labels"]
    assert "health" in flu["labels"]
    assert max(scores, key=farming.get) == "score_agriculture"
    assert max(scores, key=flu.get) == "score_health"


def test_served_model_rejects_input_without_text(served):
    with pytest.raises(urllib.error.HTTPError) as failure:
        post_json(f"{served}/invocations", {"dataframe_records": [{"headline": "x"}]})
    assert failure.value.code == 400
    assert "title, body, or text" in failure.value.read().decode()


def test_served_model_reads_the_models_fields_and_text_alike(served):
    title, body = ARTICLES[0].split(", and ", 1)
    answer = post_json(
        f"{served}/invocations",
        {
            "dataframe_records": [
                {"id": "a", "title": title, "body": body},
                {"text": ARTICLES[1]},
                {"text": title + "\n\n" + body},
            ]
        },
    )
    farming, flu, farming_as_text = answer["predictions"]
    assert "agriculture" in farming["labels"] and "health" in flu["labels"]
    assert farming == farming_as_text
