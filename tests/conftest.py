"""Shared fixtures: a small synthetic corpus, a session-wide MLflow store, repository paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import make_articles

REPO = Path(__file__).resolve().parents[1]
# Models the tests write are signed with a test key (inherited by subprocesses), never with
# the user's own key, which the tests must not create or read.
os.environ["CLASSIFIER_SIGNING_KEY"] = "key-of-the-test-suite-" + "0" * 32


@pytest.fixture(scope="session")
def synthetic() -> tuple[list[str], list[list[str]]]:
    """200 synthetic multi-label articles."""
    return make_articles(200)


@pytest.fixture(scope="session")
def mlflow_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite tracking store for the whole session (creating one costs seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO
