import errno
import gzip
import json
import os

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.svm import LinearSVC

from classifier.errors import DataError, OutputError
from classifier.persistence import save_model
from classifier.prediction import predict_file, run_prediction
from classifier.tagger import TopicTagger

ARTICLES = [
    {"id": "n1", "title": "Pipeline", "body": "oil gas pipeline refinery grid"},
    {"id": "n2", "title": "Harvest", "body": "wheat harvest farmers cattle drought"},
    {"id": "n3", "title": "Watchdog", "body": "regulator ruling licence ban fine"},
]


@pytest.fixture(scope="module")
def tagger(synthetic):
    texts, labels = synthetic
    return TopicTagger(LinearSVC()).fit(texts, labels)


def write_jsonl(path, rows, extra_lines=()):
    lines = [json.dumps(r) for r in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_jsonl_to_jsonl_with_labels_and_scores(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    summary = predict_file(tagger, str(src), str(tmp_path / "out.jsonl"))
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in rows] == ["n1", "n2", "n3"]
    assert [r["labels"] for r in rows] == [["energy"], ["agriculture"], ["regulation"]]
    assert set(rows[0]) == {"id", "labels", "oov_rate"} | {f"score_{lab}" for lab in tagger.labels_}
    assert all(0.0 <= r["oov_rate"] <= 1.0 for r in rows)
    assert (summary.read, summary.tagged, summary.rejected) == (3, 3, 0)
    assert not (tmp_path / "out.rejects.jsonl").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl.gz"])
def test_other_input_and_output_formats(tmp_path, tagger, fmt):
    frame = pd.DataFrame(ARTICLES)
    src = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        frame.to_csv(src, index=False)
        out = tmp_path / "out.parquet"
    elif fmt == "parquet":
        frame.to_parquet(src)
        out = tmp_path / "out.csv"
    else:
        with gzip.open(src, "wt") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in ARTICLES))
        out = tmp_path / "out.jsonl"
    summary = predict_file(tagger, str(src), str(out))
    assert summary.tagged == 3
    if out.suffix == ".parquet":
        result = pq.read_table(out).to_pylist()
        assert [list(r["labels"]) for r in result] == [["energy"], ["agriculture"], ["regulation"]]
    elif out.suffix == ".csv":
        result = pd.read_csv(out)
        assert list(result["labels"]) == ["energy", "agriculture", "regulation"]
    else:
        assert [r["id"] for r in read_jsonl(out)] == ["n1", "n2", "n3"]


def test_folder_of_text_files(tmp_path, tagger):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Refinery output\n\noil gas pipeline grid")
    (folder / "b.txt").write_text("   ")
    summary = predict_file(tagger, str(folder), str(tmp_path / "out.jsonl"))
    assert (summary.tagged, summary.rejected) == (1, 1)
    assert read_jsonl(tmp_path / "out.jsonl")[0]["id"] == "a"


def test_bad_rows_are_rejected_with_line_and_reason_and_all_rows_counted(tmp_path, tagger):
    src = tmp_path / "in.jsonl"
    good = json.dumps(ARTICLES[0])
    src.write_bytes(
        "\n".join(
            [
                good,
                "{not json",
                json.dumps({"id": "x", "title": 5}),
                json.dumps({"id": "y", "headline": "oil"}),
                json.dumps({"id": "z", "title": "  ", "body": ""}),
                json.dumps([1, 2]),
            ]
        ).encode()
        + b"\n\xff\xfe broken bytes\n"
        + json.dumps(ARTICLES[1]).encode()
        + b"\n"
    )
    summary = predict_file(tagger, str(src), str(tmp_path / "out.jsonl"))
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    tagged = read_jsonl(tmp_path / "out.jsonl")
    assert summary.read == 8 == len(rejects) + len(tagged)
    assert [r["line"] for r in rejects] == [2, 3, 4, 5, 6, 7]
    reasons = " / ".join(r["reason"] for r in rejects)
    for expected in (
        "malformed JSON",
        "'title' is int",
        "fields ['headline', 'id']",
        "empty text",
        "expected an object",
        "not UTF-8",
    ):
        assert expected in reasons
    assert "6 rejected" in summary.line()


def test_on_error_fail_stops_and_leaves_no_output(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES, extra_lines=["{oops"])
    with pytest.raises(DataError, match=r"in\.jsonl:4: malformed JSON"):
        predict_file(tagger, str(src), str(tmp_path / "out.jsonl"), on_error="fail")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_unknown_formats_and_missing_input_are_data_errors(tmp_path, tagger):
    with pytest.raises(DataError, match="input file not found"):
        predict_file(tagger, str(tmp_path / "none.jsonl"), str(tmp_path / "o.jsonl"))
    (tmp_path / "in.xml").write_text("<a/>")
    with pytest.raises(DataError, match="unknown input type"):
        predict_file(tagger, str(tmp_path / "in.xml"), str(tmp_path / "o.jsonl"))
    with pytest.raises(DataError, match="unknown output type"):
        predict_file(tagger, str(tmp_path / "in.xml"), str(tmp_path / "o.xlsx"))


def test_run_prediction_loads_the_model_file(tmp_path, tagger):
    model = save_model(tagger, tmp_path / "model.joblib", {})
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    summary = run_prediction(str(model), str(src), str(tmp_path / "out.csv"))
    assert summary.tagged == 3
    assert summary.label_counts["energy"] >= 1


def test_unwritable_output_path_is_a_clear_error(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(OutputError, match=r"a_file/out\.jsonl: cannot write"):
        predict_file(tagger, str(src), str(tmp_path / "a_file" / "out.jsonl"))


def test_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, tagger, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)

    def no_space(self, *args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("classifier.prediction._Writer.write", no_space)
    with pytest.raises(OutputError, match="No space left on device"):
        predict_file(tagger, str(src), str(tmp_path / "out" / "tagged.jsonl"))
    assert list((tmp_path / "out").iterdir()) == []
