"""Killing train.py or predict.py leaves nothing corrupt behind and no run RUNNING."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient
from sklearn.svm import LinearSVC

from classifier.model.persistence import save_model
from classifier.model.tagger import TopicTagger
from tests.helpers import make_articles


def wait_for(condition, timeout=120.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def test_sigterm_during_training_ends_the_run_killed_and_writes_no_model(
    repo, tmp_path, mlflow_uri
):
    texts, labels = make_articles(30000, seed=3)
    data = tmp_path / "big.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "topics": y}) + "\n" for t, y in zip(texts, labels, strict=True)
        )
    )
    process = subprocess.Popen(
        [
            sys.executable,
            str(repo / "train.py"),
            "data=files",
            f"data.train_path={data}",
            "data.text_fields=[text]",
            "cv.folds=10",
            f"mlflow.tracking_uri={mlflow_uri}",
            "mlflow.experiment=interruptions",
            "run_name=to-be-killed",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = MlflowClient(mlflow_uri)

    def running():
        experiment = client.get_experiment_by_name("interruptions")
        if experiment is None:
            return False
        runs = client.search_runs(
            [experiment.experiment_id], "attributes.run_name = 'to-be-killed'"
        )
        return bool(runs) and runs[0].info.status == "RUNNING"

    assert wait_for(running), "the run never started"
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    assert stderr.strip().endswith("terminated")
    experiment = client.get_experiment_by_name("interruptions")
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'to-be-killed'")
    assert [r.info.status for r in runs] == ["KILLED"]
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def start_prediction(repo, tmp_path, *options: str, **popen) -> subprocess.Popen:
    """predict.py on 400,000 articles (long enough to be killed mid-run) into ``out/``."""
    texts, labels = make_articles(200, seed=4)
    model = save_model(TopicTagger(LinearSVC()).fit(texts, labels), tmp_path / "m.joblib", {})
    many, _ = make_articles(400000, seed=5)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in enumerate(many)))
    command = [
        sys.executable,
        str(repo / "predict.py"),
        f"model_uri={model}",
        f"input={source}",
        f"output={tmp_path / 'out' / 'tagged.jsonl'}",
        *options,
    ]
    return subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **popen
    )


def test_sigterm_during_prediction_leaves_no_output_and_no_temporary_file(repo, tmp_path):
    process = start_prediction(repo, tmp_path, "batch_size=1000")
    out_dir = tmp_path / "out"
    assert wait_for(lambda: out_dir.is_dir() and any(out_dir.glob("*.part"))), "no output started"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert list(out_dir.iterdir()) == []


def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            out += [int(c) for c in fh.read().split()]
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "State:\tZ" not in fh.read()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("workers", ["threads", "processes"])
@pytest.mark.parametrize(
    "sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)]
)
def test_killing_a_parallel_prediction_leaves_no_output_and_no_worker(
    repo, tmp_path, sig, code, workers
):
    process = start_prediction(
        repo,
        tmp_path,
        "batch_size=100",
        "n_jobs=2",
        f"workers={workers}",
        # A shell without job control starts background jobs with Ctrl-C ignored; Python
        # keeps an inherited "ignore", so restore the default for the SIGINT case.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    out_dir = tmp_path / "out"
    if workers == "processes":
        assert wait_for(lambda: len(children(process.pid)) >= 2), "no workers started"
    assert wait_for(lambda: out_dir.is_dir() and any(out_dir.glob("*.part")))
    workers_started = children(process.pid)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert wait_for(lambda: not any(alive(w) for w in workers_started), timeout=10), "orphans"
    assert not (out_dir / "tagged.jsonl").exists()
    if sig != signal.SIGKILL:  # SIGKILL gives no chance to remove the temporary file
        assert list(out_dir.iterdir()) == []
