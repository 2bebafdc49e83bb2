"""Errors the project did not foresee still end as one line and exit code 2."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from classifier.cli import run_cli
from tests.helpers import tmp_paths


def test_an_os_error_is_one_line_naming_the_file(capsys):
    def main():
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/data/in.jsonl")

    with pytest.raises(SystemExit) as caught:
        run_cli(main)
    assert caught.value.code == 2
    assert capsys.readouterr().err == "error: /data/in.jsonl: Permission denied\n"


def test_min_df_above_max_df_from_train_py_is_one_line(repo, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "train.py"),
            *tmp_paths(tmp_path),
            f"data.path={repo / 'data' / 'demo'}",
            f"mlflow.tracking_uri=sqlite:///{tmp_path / 'm.db'}",
            "cv.folds=1",
            "features.word.min_df=500",
            "features.word.max_df=0.5",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: features: min_df/max_df")
