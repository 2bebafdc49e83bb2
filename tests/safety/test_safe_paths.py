"""A run never destroys a file it did not create: the output and rejects never coincide
with each other or with an input, and the rejects name keeps the whole output name."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from classifier.errors import ClassifierError
from classifier.prediction.engines import run_prediction
from classifier.prediction.local import predict_file
from classifier.prediction.options import PredictOptions
from classifier.prediction.paths import default_rejects_path

GOOD = {"id": "a", "title": "oil", "body": "gas pipeline refinery"}


def jsonl(path: Path, rows: list, bad: int = 0) -> Path:
    lines = [json.dumps(r) for r in rows] + ["{broken"] * bad
    path.write_text("".join(line + "\n" for line in lines))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("output", "rejects"),
    [
        ("out.csv", "out.rejects.jsonl"),
        ("run.v2.jsonl", "run.v2.rejects.jsonl"),
        ("x.rejects.jsonl", "x.rejects.rejects.jsonl"),
        ("tagged.jsonl.gz", "tagged.rejects.jsonl"),
        ("dir.v1/out", "dir.v1/out.rejects.jsonl"),
        ("a.parquet", "a.rejects.jsonl"),
    ],
)
def test_rejects_name_keeps_the_whole_output_name(output, rejects):
    assert default_rejects_path(output) == rejects
    assert default_rejects_path("-") is None


def test_run_v2_keeps_run_v1s_rejects(tmp_path, small_tagger):
    source = jsonl(tmp_path / "in.jsonl", [GOOD], bad=1)
    predict_file(small_tagger, str(source), str(tmp_path / "run.v1.jsonl"))
    kept = digest(tmp_path / "run.v1.rejects.jsonl")
    predict_file(small_tagger, str(source), str(tmp_path / "run.v2.jsonl"))
    assert digest(tmp_path / "run.v1.rejects.jsonl") == kept
    assert (tmp_path / "run.v2.rejects.jsonl").is_file()


def test_output_named_like_rejects_keeps_every_row(tmp_path, small_tagger):
    source = jsonl(tmp_path / "in.jsonl", [GOOD] * 4, bad=3)
    summary = predict_file(small_tagger, str(source), str(tmp_path / "x.rejects.jsonl"))
    tagged = (tmp_path / "x.rejects.jsonl").read_text().splitlines()
    rejected = (tmp_path / "x.rejects.rejects.jsonl").read_text().splitlines()
    assert (summary.read, summary.tagged, summary.rejected) == (7, 4, 3)
    assert (len(tagged), len(rejected)) == (4, 3)


def conflicts(tmp_path: Path) -> list[tuple[str, str, dict]]:
    """(input, output, options) that would overwrite or delete a file the user gave."""
    source = jsonl(tmp_path / "in.jsonl", [GOOD], bad=1)
    (tmp_path / "link.jsonl").symlink_to(source)
    os.link(source, tmp_path / "hard.jsonl")
    jsonl(tmp_path / "out.rejects.jsonl", [GOOD])
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.txt").write_text("oil gas pipeline")
    return [
        (str(source), str(source), {}),
        (str(source), str(tmp_path / "." / "in.jsonl"), {}),
        (str(source), str(tmp_path / "link.jsonl"), {}),
        (str(tmp_path / "link.jsonl"), str(source), {}),
        (str(source), str(tmp_path / "hard.jsonl"), {}),
        (str(tmp_path / "out.rejects.jsonl"), str(tmp_path / "out.jsonl"), {}),
        (str(source), str(tmp_path / "out.jsonl"), {"rejects": str(source)}),
        (str(source), str(tmp_path / "o.jsonl"), {"rejects": str(tmp_path / "o.jsonl")}),
        (str(folder), str(folder / "out.jsonl"), {}),
        (str(folder), str(tmp_path / "out.jsonl"), {"rejects": str(folder / "r.jsonl")}),
        (str(folder), str(folder / "one.txt"), {}),
        (str(folder), str(tmp_path / "articles2" / ".." / "articles" / "o.csv"), {}),
    ]


def test_conflicting_paths_are_refused_and_nothing_changes(tmp_path, small_tagger):
    for source, output, options in conflicts(tmp_path):
        before = {p: digest(p) for p in tmp_path.rglob("*") if p.is_file()}
        with pytest.raises(ClassifierError) as caught:
            predict_file(small_tagger, source, output, PredictOptions(**options))
        message = str(caught.value)
        assert "\n" not in message
        # Both paths are named: the file to write and the input, or the other file to write.
        written = [options.get("rejects"), output, default_rejects_path(output)]
        named = [w for w in [source, *written] if w and str(Path(w)) in message]
        assert len(named) >= 2 or message.count(str(Path(output))) == 2, message
        assert {p: digest(p) for p in tmp_path.rglob("*") if p.is_file()} == before


def test_conflict_is_refused_before_the_model_is_read(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [GOOD])
    with pytest.raises(ClassifierError, match="is also the input"):
        run_prediction(str(tmp_path / "no-model.joblib"), str(source), str(source))


def test_conflict_is_one_line_and_exit_2_from_predict_py(tmp_path, predict_cli):
    source = jsonl(tmp_path / "in.jsonl", [GOOD])
    before = digest(source)
    result = predict_cli(f"input={source}", f"output={source}")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert str(source) in result.stderr
    assert digest(source) == before


def test_gz_output_is_gzip(tmp_path, small_tagger):
    source = jsonl(tmp_path / "in.jsonl", [GOOD] * 3)
    predict_file(small_tagger, str(source), str(tmp_path / "plain.csv"))
    predict_file(small_tagger, str(source), str(tmp_path / "packed.csv.gz"))
    packed = (tmp_path / "packed.csv.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == (tmp_path / "plain.csv").read_bytes()
    predict_file(small_tagger, str(source), str(tmp_path / "packed.jsonl.gz"))
    assert len(gzip.decompress((tmp_path / "packed.jsonl.gz").read_bytes()).splitlines()) == 3
    with pytest.raises(ClassifierError, match=r"\.parquet\.gz"):
        predict_file(small_tagger, str(source), str(tmp_path / "out.parquet.gz"))


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_outputs_get_the_users_umask(tmp_path, small_tagger, umask):
    source = jsonl(tmp_path / "in.jsonl", [GOOD], bad=1)
    old = os.umask(umask)
    try:
        predict_file(small_tagger, str(source), str(tmp_path / "out.jsonl"))
    finally:
        os.umask(old)
    for name in ("out.jsonl", "out.rejects.jsonl"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_spark_rejects_folder_keeps_the_whole_output_name():
    from classifier.prediction.spark import rejects_dir

    assert rejects_dir("out.parquet") == "out.rejects"
    assert rejects_dir("hdfs:///tagged/run.v2.parquet") == "hdfs:///tagged/run.v2.rejects"
