"""Helpers shared by tests: synthetic articles written for the tests."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

# Invented vocabulary per topic: enough signal for a linear model to learn in milliseconds.
TOPIC_WORDS = {
    "energy": "oil gas pipeline refinery electricity grid megawatt turbine coal fuel",
    "market": "shares stocks bonds index traders yields rally investors futures currency",
    "regulation": "regulator ruling licence ban fine ministry law compliance watchdog decree",
    "agriculture": "wheat harvest farmers cattle fertiliser soybean crop drought grain orchard",
}


def make_articles(n: int, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """``n`` synthetic articles with one or two topics each."""
    rng = random.Random(seed)
    topics = sorted(TOPIC_WORDS)
    texts, labels = [], []
    for _ in range(n):
        chosen = sorted(rng.sample(topics, rng.choice([1, 1, 2])))
        vocab = " ".join(TOPIC_WORDS[t] for t in chosen).split()
        words = [rng.choice(vocab) for _ in range(25)] + ["the", "said", "on", "Tuesday"]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(chosen)
    return texts, labels


def tmp_paths(workdir: Path) -> list[str]:
    """Overrides that keep a script's models, its default MLflow store and Hydra's run
    folders in ``workdir``.

    The defaults are the project's own ``models/``, ``mlflow.db``... (``conf/paths``), which
    the tests must never write: every test that runs a script passes these first."""
    workdir = Path(workdir)
    return [
        f"paths.model_dir={workdir / 'models'}",
        f"paths.tracking_uri=sqlite:///{workdir / 'mlflow.db'}",
        f"paths.output_dir={workdir / 'outputs'}",
        f"paths.sweep_dir={workdir / 'multirun'}",
    ]


def train_demo(repo: Path, cwd: Path, tracking_uri: str, experiment: str, run_name: str) -> None:
    """``train.py`` on the demo corpus (no cross-validation) as a subprocess; must succeed."""
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "train.py"),
            *tmp_paths(cwd),
            f"data.path={repo / 'data' / 'demo'}",
            f"mlflow.tracking_uri={tracking_uri}",
            f"mlflow.experiment={experiment}",
            "cv.folds=1",
            f"run_name={run_name}",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
