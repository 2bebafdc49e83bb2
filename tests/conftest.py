"""Shared fixtures: a small synthetic corpus, a session-wide MLflow store, repository paths."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers import make_articles

REPO = Path(__file__).resolve().parents[1]
# Models the tests write are signed with a test key (inherited by subprocesses), never with
# the user's own key, which the tests must not create or read.
os.environ["CLASSIFIER_SIGNING_KEY"] = "key-of-the-test-suite-" + "0" * 32
# Cached scorer tables (classifier.model.tables) go to a folder of the test session, never
# to the user's ~/.cache.
os.environ["CLASSIFIER_CACHE_DIR"] = tempfile.mkdtemp(prefix="classifier-test-cache-")
atexit.register(shutil.rmtree, os.environ["CLASSIFIER_CACHE_DIR"], ignore_errors=True)


# What the project's own runs write (conf/paths): the tests write theirs elsewhere.
PROJECT_OUTPUTS = ("models", "mlflow.db", "mlruns", "outputs", "multirun")


def _outputs_state() -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file of the project's models folder and MLflow store."""
    found = {}
    for name in PROJECT_OUTPUTS:
        top = REPO / name
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            if path.is_file():
                stat = path.stat()
                found[str(path.relative_to(REPO))] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="session", autouse=True)
def project_outputs_untouched():
    """Fails the session if a test wrote the project's own models/ or mlflow.db: a script
    run by a test must get :func:`tests.helpers.tmp_paths`."""
    before = _outputs_state()
    yield
    after = _outputs_state()
    assert after == before, f"the tests changed the project's own {PROJECT_OUTPUTS}"


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
