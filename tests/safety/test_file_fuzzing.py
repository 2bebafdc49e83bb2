"""Whole hostile files, in every input format, through predict.py's code path: the run
ends with every row tagged or rejected (read = tagged + rejected), or with one error line
(exit 2); never another exception, and the input file is never changed."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.errors import ClassifierError
from classifier.prediction.local import predict_file

FIELDS = ["id", "title", "body", "other"]
words = st.sampled_from(["oil", "gas", "wheat", "shares", "ban", "caf\u00e9", "", " "])
cells = st.one_of(
    st.lists(words, max_size=6).map(" ".join),
    st.text(max_size=30),
    st.sampled_from(['"', '""', ",", ";", "\n", "\r\n", "\r", "\x00", "\ufeff", "\t"]),
)
endings = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def jsonl_files(draw) -> bytes:
    lines = draw(
        st.lists(
            st.one_of(
                st.fixed_dictionaries({"id": cells, "title": cells, "body": cells}).map(json.dumps),
                st.dictionaries(st.sampled_from(FIELDS), cells).map(json.dumps),
                st.text(max_size=40).filter(lambda t: "\n" not in t),
            ),
            max_size=12,
        )
    )
    out = "".join(line + draw(endings) for line in lines)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + out).encode("utf-8", "surrogatepass")


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4))
    rows = draw(st.lists(st.lists(cells, max_size=5), max_size=10))
    text = io.StringIO()
    writer = csv.writer(
        text,
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        lineterminator=draw(endings),
    )
    writer.writerow(header)
    writer.writerows(rows)
    data = text.getvalue()
    if draw(st.booleans()):  # break the quoting by hand: a stray quote somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + '"' + data[at:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return data.encode(encoding, "replace")


def hostile(data: bytes, draw_cut: int | None, gz: bool) -> bytes:
    if gz:
        data = gzip.compress(data)
    if draw_cut is not None:
        data = data[: draw_cut % (len(data) + 1)]
    return data


files = st.one_of(
    st.tuples(st.just("in.jsonl"), jsonl_files()),
    st.tuples(st.just("in.csv"), csv_files()),
    st.tuples(st.just("in.jsonl"), st.binary(max_size=300)),
    st.tuples(st.just("in.csv"), st.binary(max_size=300)),
    st.tuples(st.just("in.parquet"), st.binary(max_size=300)),
)


def outcome(tagger, source: Path, folder: Path) -> None:
    """Run as the CLI would; check the invariant of whichever way it ends."""
    before = hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else None
    out = folder / "out.jsonl"
    try:
        summary = predict_file(tagger, str(source), str(out))
    except ClassifierError as err:  # exit 2 with this one line
        assert str(err) and "\n" not in str(err)
        assert not out.exists()
    else:
        # JSONL lines end in "\n" only (str.splitlines would also cut at U+0085 in an id).
        tagged = out.read_bytes().split(b"\n")[:-1]
        rejects = folder / "out.rejects.jsonl"
        rejected = rejects.read_bytes().split(b"\n")[:-1] if rejects.exists() else []
        assert summary.read == summary.tagged + summary.rejected
        assert (summary.tagged, summary.rejected) == (len(tagged), len(rejected))
        assert all(json.loads(r)["reason"] for r in rejected)
    if before is not None:
        assert hashlib.sha256(source.read_bytes()).hexdigest() == before


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    file=files,
    gz=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
)
def test_any_file_is_tagged_rejected_or_one_error(tmp_path_factory, small_tagger, file, gz, cut):
    name, data = file
    folder = tmp_path_factory.mktemp("fuzz")
    gz = gz and not name.endswith(".parquet")
    source = folder / (name + (".gz" if gz else ""))
    source.write_bytes(hostile(data, cut, gz))
    outcome(small_tagger, source, folder)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.dictionaries(
        st.text(st.characters(whitelist_categories=["L", "N"]), min_size=1, max_size=8),
        st.binary(max_size=100) | jsonl_files() | st.just(b"oil gas pipeline"),
        max_size=6,
    )
)
def test_any_folder_of_txt_files_is_tagged_or_rejected(tmp_path_factory, small_tagger, entries):
    folder = tmp_path_factory.mktemp("fuzzdir")
    articles = folder / "articles"
    articles.mkdir()
    for stem, data in entries.items():
        (articles / f"{stem}.txt").write_bytes(data)
    outcome(small_tagger, articles, folder)


def hostile_inputs(folder: Path) -> list[Path]:
    """One file per kind of breakage, for the command-line check below."""
    rows = "".join(json.dumps({"id": i, "title": "oil gas"}) + "\n" for i in range(300))
    made = {
        "cut.jsonl.gz": gzip.compress(rows.encode())[:300],
        "noise.jsonl": bytes(range(256)) * 4,
        "noise.parquet": b"PAR1" + bytes(range(256)) + b"PAR1",
        "excel.csv": b'\xef\xbb\xbfid;title\r\n1;oil gas\r\n2;caf\xe9\r\n3;"open quote\r\n',
        "utf16.csv": "id,title\r\n1,oil\r\n".encode("utf-16"),
        "mixed.jsonl": b'{"title": "oil"}\r\n\n{"title": "gas"}\r{"title": 1}\n\x00\n',
    }
    paths = []
    for name, data in made.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    articles = folder / "articles"
    articles.mkdir()
    (articles / "good.txt").write_text("oil gas pipeline")
    os.mkfifo(articles / "pipe.txt")
    (articles / "device.txt").symlink_to("/dev/zero")
    return [*paths, articles]


def test_predict_py_on_hostile_files_exits_0_or_2_with_one_line(tmp_path, predict_cli):
    for source in hostile_inputs(tmp_path):
        before = hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else None
        result = predict_cli(f"input={source}", f"output={tmp_path / 'out.jsonl'}", timeout=120)
        assert result.returncode in (0, 2), (source.name, result.stderr)
        assert "Traceback" not in result.stderr, (source.name, result.stderr)
        lines = result.stderr.strip().splitlines()
        if result.returncode == 2:
            assert len(lines) == 1 and lines[0].startswith(f"error: {source}"), lines
        else:
            assert any(" read, " in line for line in lines), lines
        if before is not None:
            assert hashlib.sha256(source.read_bytes()).hexdigest() == before
