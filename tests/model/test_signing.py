"""Signed manifests: a model file is unpickled only when its manifest's HMAC verifies with
the user's key, so a forged pickle with a recomputed sha256 never runs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import joblib
import pytest
from sklearn.svm import LinearSVC

from classifier.errors import ModelFileError
from classifier.model import signing
from classifier.model.persistence import load_model, load_model_uri, manifest_path, save_model
from classifier.model.tagger import TopicTagger


class Payload:
    """Unpickling this creates ``marker``: what a hostile model file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def tagger(synthetic):
    texts, labels = synthetic
    return TopicTagger(LinearSVC()).fit(texts[:80], labels[:80])


def forge(path: Path, marker: Path, manifest: dict | None = None) -> Path:
    """A pickle that would create ``marker``, with a manifest whose sha256 matches it."""
    joblib.dump({"format": "classifier-model", "tagger": Payload(marker)}, path)
    fields = {"file": path.name, "sha256": signing.file_sha256(path), **(manifest or {})}
    manifest_path(path).write_text(json.dumps(fields))
    return path


def test_forged_pickle_with_matching_sha256_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = forge(tmp_path / "model.joblib", marker)
    with pytest.raises(ModelFileError, match=r"not signed.*signing sign"):
        load_model(path)
    assert not marker.exists()
    # A signature made up by the forger (with another key) does not verify either.
    fake = {"key_id": "0" * 16, "signature": {"algorithm": "HMAC-SHA256", "hmac": "ab" * 32}}
    forge(path, marker, fake)
    with pytest.raises(ModelFileError, match="signature does not verify"):
        load_model(path)
    assert not marker.exists()


def test_forged_model_is_refused_by_predict_py(repo, tmp_path):
    marker = tmp_path / "pwned"
    path = forge(tmp_path / "model.joblib", marker)
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "title": "oil"}\n')
    output = tmp_path / "out.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "predict.py"),
            f"model_uri={path}",
            f"input={source}",
            f"output={output}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: its manifest is not signed (written before models were signed, or "
        "not by classifier); refusing to unpickle it; if you trust this file, sign it with "
        f"your key: python -m classifier.model.signing sign {path}"
    ]
    assert not marker.exists()
    assert not output.exists()


def test_forged_model_from_mlflow_never_runs(tmp_path, mlflow_uri):
    import mlflow

    from classifier.tracking import runs

    marker = tmp_path / "pwned"
    path = forge(tmp_path / "model.joblib", marker)
    runs.setup(mlflow_uri, "forged-models")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path), "model_file")
        mlflow.log_artifact(str(manifest_path(path)), "model_file")
    with pytest.raises(ModelFileError, match="not signed"):
        load_model_uri(f"runs:/{run.info.run_id}/model_file")
    assert not marker.exists()


def test_model_signed_with_another_key_is_refused_unless_trusted(tmp_path, tagger, monkeypatch):
    path = save_model(tagger, tmp_path / "model.joblib", {})
    monkeypatch.setenv(signing.KEY_ENV, "another-users-key-" + "1" * 32)
    with pytest.raises(ModelFileError, match="signature does not verify with your key"):
        load_model(path)
    assert load_model(path, trust=True).tagger.labels_ == tagger.labels_


def test_changed_metadata_breaks_the_signature(tmp_path, tagger):
    path = save_model(tagger, tmp_path / "model.joblib", {})
    manifest = json.loads(manifest_path(path).read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    manifest_path(path).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="signature does not verify"):
        load_model(path)


def test_sign_command_re_signs_a_legacy_model_you_trust(repo, tmp_path, tagger):
    path = save_model(tagger, tmp_path / "model.joblib", {})
    legacy = json.loads(manifest_path(path).read_text())
    del legacy["signature"], legacy["key_id"]
    manifest_path(path).write_text(json.dumps(legacy))
    with pytest.raises(ModelFileError, match="not signed"):
        load_model(path)
    command = [sys.executable, "-m", "classifier.model.signing"]
    signed = subprocess.run([*command, "sign", str(path)], capture_output=True, text=True)
    assert signed.returncode == 0, signed.stderr
    kept = json.loads(manifest_path(path).read_text())
    assert kept["versions"] == legacy["versions"]
    assert load_model(path).tagger.labels_ == tagger.labels_
    checked = subprocess.run([*command, "verify", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.startswith("ok ")
    # A file without any manifest can be signed too; a missing file is one error line.
    manifest_path(path).unlink()
    assert subprocess.run([*command, "sign", str(path)], capture_output=True).returncode == 0
    assert load_model(path).tagger.labels_ == tagger.labels_
    missing = subprocess.run(
        [*command, "verify", str(tmp_path / "nope.joblib")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def test_key_is_created_once_with_mode_0600_in_the_config_folder(tmp_path, tagger, monkeypatch):
    monkeypatch.delenv(signing.KEY_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    key = tmp_path / "config" / "classifier" / "signing.key"
    with pytest.raises(ModelFileError, match="no signing key"):
        signing.check_signature(tmp_path / "m.joblib", {"signature": {"hmac": "00"}})
    assert not key.exists()
    path = save_model(tagger, tmp_path / "model.joblib", {})
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    first = key.read_text()
    save_model(tagger, tmp_path / "other.joblib", {})
    assert key.read_text() == first
    assert load_model(path).tagger.labels_ == tagger.labels_


def test_short_key_in_the_environment_is_refused(tmp_path, tagger, monkeypatch):
    monkeypatch.setenv(signing.KEY_ENV, "short")
    with pytest.raises(Exception, match="shorter than 16"):
        save_model(tagger, tmp_path / "model.joblib", {})


def test_skops_model_needs_no_signature(tmp_path, tagger, monkeypatch):
    path = save_model(tagger, tmp_path / "model.joblib", {}, fmt="skops")
    monkeypatch.setenv(signing.KEY_ENV, "another-users-key-" + "1" * 32)
    assert load_model(path).tagger.labels_ == tagger.labels_
    with open(path, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelFileError, match="does not match its manifest"):
        load_model(path)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_model_and_manifest_get_the_users_umask(tmp_path, tagger, umask):
    old = os.umask(umask)
    try:
        path = save_model(tagger, tmp_path / "model.joblib", {})
    finally:
        os.umask(old)
    for written in (path, manifest_path(path)):
        assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~umask
