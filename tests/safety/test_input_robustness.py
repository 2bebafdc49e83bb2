"""Files as common tools write them (Excel, Windows, gzip, split, a shell) are read row by
row or rejected with a reason; a broken file is one error line naming it."""

from __future__ import annotations

import errno
import gzip
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from classifier.data import inputs
from classifier.errors import DataError, OutputError
from classifier.prediction.local import predict_file
from classifier.prediction.options import PredictOptions
from tests.helpers import tmp_paths

ROWS = [
    {"id": f"n{i}", "title": "Pipeline", "body": "oil gas pipeline refinery grid"}
    for i in range(20)
]


def run(tagger, source, tmp_path, **options):
    """predict_file into ``out.jsonl``; (summary, tagged rows, rejects)."""
    out = tmp_path / "out.jsonl"
    summary = predict_file(tagger, str(source), str(out), PredictOptions(**options))
    rejects = tmp_path / "out.rejects.jsonl"
    tagged = [json.loads(line) for line in out.read_text().splitlines()]
    rejected = []
    if summary.rejected:
        rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert summary.read == summary.tagged + summary.rejected == len(tagged) + len(rejected)
    return summary, tagged, rejected


def csv_bytes(rows, sep=",", newline="\r\n", encoding="utf-8", bom=False) -> bytes:
    lines = [sep.join(["id", "title", "body"])]
    for r in rows:
        values = [r[k] for k in ("id", "title", "body")]
        lines.append(sep.join(f'"{v}"' if sep in v else v for v in values))
    data = newline.join(lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding)


def test_truncated_gzip_is_one_error_naming_the_input(tmp_path, small_tagger):
    packed = gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS * 50).encode())
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"in\.jsonl\.gz: .*(truncated|corrupt)"):
        predict_file(small_tagger, str(source), str(tmp_path / "out.jsonl"))
    assert not (tmp_path / "out.jsonl").exists()
    source.write_bytes(b"\x1f\x8b" + os.urandom(200))
    with pytest.raises(DataError, match=r"in\.jsonl\.gz"):
        predict_file(small_tagger, str(source), str(tmp_path / "out.jsonl"))
    (tmp_path / "in.csv.gz").write_bytes(gzip.compress(csv_bytes(ROWS))[:40])
    with pytest.raises(DataError, match=r"in\.csv\.gz"):
        predict_file(small_tagger, str(tmp_path / "in.csv.gz"), str(tmp_path / "out.jsonl"))


def test_multi_member_gzip_and_split_pieces_are_read_whole(tmp_path, small_tagger):
    text = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(gzip.compress(text[:500]) + gzip.compress(text[500:]))
    summary, _, _ = run(small_tagger, source, tmp_path)
    assert summary.tagged == len(ROWS)
    # `split -b`: a piece ends and the next starts inside a line; each half is one reject.
    (tmp_path / "piece.jsonl").write_bytes(text[:500])
    summary, _tagged, rejected = run(small_tagger, tmp_path / "piece.jsonl", tmp_path)
    assert summary.rejected == 1 and rejected[0]["line"] == text[:500].count(b"\n") + 1


def test_csv_field_over_the_csv_module_limit_is_tagged(tmp_path, small_tagger):
    article = ("oil gas pipeline refinery " * 400_000)[:10_000_000]
    rows = [{"id": "big", "title": "Energy", "body": article}, *ROWS[:2]]
    (tmp_path / "in.csv").write_bytes(csv_bytes(rows))
    _summary, tagged, _ = run(small_tagger, tmp_path / "in.csv", tmp_path)
    assert [r["id"] for r in tagged] == ["big", "n0", "n1"]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, from_jsonl, _ = run(small_tagger, tmp_path / "in.jsonl", tmp_path)
    assert from_jsonl == tagged


@pytest.mark.parametrize(
    "options",
    [
        {"bom": True},
        {"sep": ";", "bom": True},
        {"sep": "\t"},
        {"newline": "\n"},
        {"newline": "\r"},
    ],
)
def test_spreadsheet_csv_exports_are_read(tmp_path, small_tagger, options):
    rows = [*ROWS[:3], {"id": "q", "title": "Semi; colon, comma", "body": "wheat harvest"}]
    (tmp_path / "in.csv").write_bytes(csv_bytes(rows, **options))
    _summary, tagged, _ = run(small_tagger, tmp_path / "in.csv", tmp_path)
    assert [r["id"] for r in tagged] == ["n0", "n1", "n2", "q"]


def test_windows_1252_csv_rows_are_rejected_with_a_reason(tmp_path, small_tagger):
    rows = [*ROWS[:2], {"id": "c", "title": "Caf\u00e9 prices", "body": "wheat harvest"}]
    (tmp_path / "in.csv").write_bytes(csv_bytes(rows, encoding="cp1252"))
    _summary, tagged, rejected = run(small_tagger, tmp_path / "in.csv", tmp_path)
    assert [r["id"] for r in tagged] == ["n0", "n1"]
    assert rejected[0]["line"] == 4 and "UTF-8" in rejected[0]["reason"]


def test_jsonl_from_windows_is_read(tmp_path, small_tagger):
    body = "\r\n".join(json.dumps(r) for r in ROWS[:5]) + "\r\n"
    (tmp_path / "in.jsonl").write_bytes(b"\xef\xbb\xbf" + body.encode())
    summary, _tagged, _ = run(small_tagger, tmp_path / "in.jsonl", tmp_path)
    assert summary.tagged == 5
    (tmp_path / "in16.jsonl").write_bytes(body.encode("utf-16"))
    with pytest.raises(DataError, match=r"in16\.jsonl: .*UTF-16"):
        predict_file(small_tagger, str(tmp_path / "in16.jsonl"), str(tmp_path / "o.jsonl"))


def test_odd_entries_in_a_txt_folder_are_rejects_and_nothing_hangs(tmp_path, small_tagger):
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("oil gas pipeline\r\nrefinery grid\r\n")
    (folder / "sub" / "b.TXT").write_bytes(b"\xef\xbb\xbfwheat harvest farmers")
    (folder / "empty.txt").write_text("  \n")
    (folder / "latin.txt").write_bytes(b"caf\xe9 wheat")
    (folder / "dir.txt").mkdir()
    os.mkfifo(folder / "fifo.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "dangling.txt").symlink_to(folder / "missing")
    (folder / "notes.md").write_text("not an article")
    done = {}
    thread = threading.Thread(
        target=lambda: done.update(result=run(small_tagger, folder, tmp_path)), daemon=True
    )
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the run hung on an entry of the folder"
    _summary, tagged, rejected = done["result"]
    assert sorted(r["id"] for r in tagged) == ["a", "b"]
    reasons = {r["id"]: r["reason"] for r in rejected}
    # dir.txt, a folder, is walked into like any other folder.
    assert sorted(reasons) == ["dangling", "empty", "fifo", "latin", "zero"]
    assert "not a regular file" in reasons["fifo"] and "not a regular file" in reasons["zero"]


def test_unreadable_input_is_an_input_error(tmp_path, small_tagger, monkeypatch):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(ROWS[0]) + "\n")

    def denied(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(inputs, "open", denied, raising=False)
    with pytest.raises(DataError, match=r"in\.jsonl: cannot read \(Permission denied\)"):
        predict_file(small_tagger, str(source), str(tmp_path / "out.jsonl"))
    assert list(tmp_path.iterdir()) == [source]


@pytest.mark.parametrize("failing", ["output", "rejects"])
def test_full_disk_is_reported_against_the_file_being_written(
    tmp_path, small_tagger, monkeypatch, failing
):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(ROWS[0]) + "\n{bad\n")
    real_open = open
    target = {"output": ".out.jsonl.", "rejects": ".out.rejects.jsonl."}[failing]

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def full_open(path, mode="r", *args, **kwargs):
        fh = real_open(path, mode, *args, **kwargs)
        return Full(fh) if "w" in mode and Path(path).name.startswith(target) else fh

    monkeypatch.setattr("builtins.open", full_open)
    expected = {"output": r"out\.jsonl", "rejects": r"out\.rejects\.jsonl"}[failing]
    with pytest.raises(OutputError, match=rf"/{expected}: cannot write \(No space left"):
        predict_file(small_tagger, str(source), str(tmp_path / "out.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_device_named_as_an_input_file_is_refused(tmp_path, small_tagger):
    (tmp_path / "in.jsonl").symlink_to("/dev/zero")
    with pytest.raises(DataError, match="not a regular file"):
        predict_file(small_tagger, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"))


def _imported(line: str) -> str | None:
    """The module a top-level ``-X importtime`` line reports imported, else None (nested
    imports are indented under the module that asked for them)."""
    if not line.startswith("import time:"):
        return None
    name = line.rstrip("\n").rsplit("| ", 1)[-1]
    return None if name.startswith(" ") else name


def interrupt_during_imports(command: list[str], cwd: Path, after: list[str]) -> tuple[int, str]:
    """Run ``command`` under ``python -X importtime``, send Ctrl-C as soon as an import
    begins after the top-level imports ``after`` (in that order) have completed, and
    return the exit code and stderr without the import-time lines.

    The imports are the program's own progress markers: the signal arrives at a known
    point of its start-up however loaded the machine is, never before its first lines.
    """
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", *command],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen, waiting, signalled = [], list(after), False
    deadline = time.monotonic() + 120
    while (line := lines.get(timeout=max(deadline - time.monotonic(), 0.01))) is not None:
        seen.append(line)
        name = _imported(line)
        if signalled or not line.startswith("import time:"):
            continue
        if not waiting:  # an import finished after the markers: the program is past them
            process.send_signal(signal.SIGINT)
            signalled = True
        elif name == waiting[0]:
            waiting.pop(0)
    returncode = process.wait(timeout=120)
    stderr = "".join(x for x in seen if not x.startswith("import time:"))
    assert signalled, f"ended before importing {after}: {stderr}"
    return returncode, stderr


@pytest.mark.parametrize("script", ["predict.py", "train.py"])
@pytest.mark.parametrize(
    "after",
    [
        # right after the first line (quiet_interrupts), while Hydra is imported
        ["classifier.cli"],
        # later, while the project's own modules (scikit-learn, MLflow) are imported
        ["classifier.cli", "hydra"],
    ],
    ids=["first-line", "project-imports"],
)
def test_ctrl_c_during_start_up_prints_interrupted_and_exits_130(repo, tmp_path, script, after):
    overrides = ["input=missing.jsonl"] if script == "predict.py" else ["cv.folds=1"]
    returncode, stderr = interrupt_during_imports(
        [str(repo / script), *tmp_paths(tmp_path), *overrides], tmp_path, after
    )
    assert returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.splitlines()[-1] == "interrupted"
