"""Fixtures of the safety tests: a small fitted tagger, its signed model file, and a way
to run ``predict.py`` as a user would."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sklearn.svm import LinearSVC

from classifier.model.persistence import save_model
from classifier.model.tagger import TopicTagger
from tests.helpers import make_articles


@pytest.fixture(scope="session")
def small_tagger():
    texts, labels = make_articles(120, seed=9)
    return TopicTagger(LinearSVC()).fit(texts, labels)


@pytest.fixture(scope="session")
def model_file(small_tagger, tmp_path_factory):
    return save_model(small_tagger, tmp_path_factory.mktemp("model") / "model.joblib", {})


@pytest.fixture
def predict_cli(repo, model_file, tmp_path):
    """Run ``predict.py`` with ``overrides`` (and ``model_uri`` set); return the result."""

    def run(*overrides: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(repo / "predict.py"), f"model_uri={model_file}", *overrides],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=timeout,
        )

    return run
