import errno
import gzip
import json
import os

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.svm import LinearSVC

from classifier.errors import ConfigError, DataError, OutputError
from classifier.model.persistence import save_model
from classifier.model.tagger import TopicTagger
from classifier.prediction.engines import run_prediction
from classifier.prediction.local import predict_file
from classifier.prediction.options import PredictOptions

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
        predict_file(tagger, str(src), str(tmp_path / "out.jsonl"), PredictOptions(on_error="fail"))
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

    monkeypatch.setattr("classifier.prediction.writers.ChunkWriter.write", no_space)
    with pytest.raises(OutputError, match="No space left on device"):
        predict_file(tagger, str(src), str(tmp_path / "out" / "tagged.jsonl"))
    assert list((tmp_path / "out").iterdir()) == []


def hostile_file(path, n_good=300):
    """Good articles mixed with every kind of bad row, one of each kind per 50 lines."""
    lines = []
    for i in range(n_good):
        lines.append(json.dumps({"id": f"g{i}", "title": "Oil", "body": "gas pipeline grid"}))
        if i % 50 == 0:
            lines += [
                "{not json",
                json.dumps({"id": f"n{i}", "title": 5}),
                json.dumps({"id": f"m{i}", "headline": "oil"}),
                json.dumps({"id": f"e{i}", "title": " \t ", "body": ""}),
                "   ",
                '{"id": "s' + str(i) + '", "body": "oil \\ud800 gas"}',
                '{"id": "\\udc80", "body": "oil gas"}',
            ]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe broken\n")
    return len(lines) + 1


@pytest.mark.parametrize("n_jobs, workers", [(1, "threads"), (2, "threads"), (2, "processes")])
def test_every_row_is_in_the_output_or_the_rejects_file(tmp_path, tagger, n_jobs, workers):
    src = tmp_path / "in.jsonl"
    total = hostile_file(src)
    # A small batch size gives many chunks, so order across workers is exercised too.
    summary = predict_file(
        tagger,
        str(src),
        str(tmp_path / "out.jsonl"),
        PredictOptions(n_jobs=n_jobs, workers=workers, batch_size=2),
    )
    tagged = read_jsonl(tmp_path / "out.jsonl")
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert summary.read == total == len(tagged) + len(rejects)
    assert (summary.tagged, summary.rejected) == (len(tagged), len(rejects))
    assert [r["id"] for r in tagged] == [f"g{i}" for i in range(300)]
    lines = [r["line"] for r in rejects]
    assert lines == sorted(lines) and lines[-1] == total
    assert all(r["reason"] for r in rejects)


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_parallel_output_equals_the_single_thread_output(tmp_path, tagger, kind):
    src = tmp_path / "in.jsonl"
    hostile_file(src)
    runs = {"one": (1, "threads"), "threads": (2, "threads"), "processes": (2, "processes")}
    for name, (n_jobs, workers) in runs.items():
        out = str(tmp_path / f"{name}.{kind}")
        predict_file(
            tagger, str(src), out, PredictOptions(n_jobs=n_jobs, workers=workers, batch_size=3)
        )
    for name in ("threads", "processes"):
        assert (tmp_path / f"{name}.{kind}").read_bytes() == (tmp_path / f"one.{kind}").read_bytes()
        assert (tmp_path / f"{name}.rejects.jsonl").read_bytes() == (
            tmp_path / "one.rejects.jsonl"
        ).read_bytes()


def test_an_unknown_workers_backend_is_a_config_error(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": "oil"}])
    with pytest.raises(ConfigError, match="workers='fibers' is not valid"):
        predict_file(
            tagger, str(src), str(tmp_path / "out.jsonl"), PredictOptions(workers="fibers")
        )


def test_on_error_fail_with_workers_names_the_first_bad_line(tmp_path, tagger):
    src = tmp_path / "in.jsonl"
    hostile_file(src)
    with pytest.raises(DataError, match=r"in\.jsonl:2: malformed JSON"):
        predict_file(
            tagger, str(src), str(tmp_path / "out.jsonl"), PredictOptions(n_jobs=2, on_error="fail")
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


MIXED = [{"id": "mix", "body": "oil gas pipeline wheat harvest farmers shares stocks"}]


def test_top_k_keeps_the_highest_scoring_labels(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", MIXED)
    predict_file(tagger, str(src), str(tmp_path / "all.jsonl"), PredictOptions(threshold=-5.0))
    predict_file(
        tagger, str(src), str(tmp_path / "top.jsonl"), PredictOptions(threshold=-5.0, top_k=2)
    )
    (everything,) = read_jsonl(tmp_path / "all.jsonl")
    (top,) = read_jsonl(tmp_path / "top.jsonl")
    assert len(everything["labels"]) == len(tagger.labels_)
    best = sorted(tagger.labels_, key=lambda lab: -everything[f"score_{lab}"])[:2]
    assert sorted(top["labels"]) == sorted(best)


def test_threshold_override_global_and_per_label(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    predict_file(tagger, str(src), str(tmp_path / "high.jsonl"), PredictOptions(threshold=100.0))
    # Nothing reaches 100: each article keeps only its best label (at_least_one).
    assert [r["labels"] for r in read_jsonl(tmp_path / "high.jsonl")] == [
        ["energy"],
        ["agriculture"],
        ["regulation"],
    ]
    predict_file(
        tagger, str(src), str(tmp_path / "one.jsonl"), PredictOptions(threshold={"market": -100.0})
    )
    rows = read_jsonl(tmp_path / "one.jsonl")
    assert all("market" in r["labels"] for r in rows)
    assert rows[0]["labels"] == ["energy", "market"]
    with pytest.raises(ConfigError, match=r"unknown label\(s\) \['sport'\]"):
        predict_file(
            tagger, str(src), str(tmp_path / "x.jsonl"), PredictOptions(threshold={"sport": 0.1})
        )
    with pytest.raises(ConfigError, match="not a number"):
        predict_file(tagger, str(src), str(tmp_path / "x.jsonl"), PredictOptions(threshold="high"))


def test_explain_gives_the_terms_behind_each_predicted_label(tmp_path, tagger):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    predict_file(tagger, str(src), str(tmp_path / "out.jsonl"), PredictOptions(explain=3))
    predict_file(tagger, str(src), str(tmp_path / "out.parquet"), PredictOptions(explain=3))
    rows = read_jsonl(tmp_path / "out.jsonl")
    for row in rows:
        assert list(row["explain"]) == row["labels"]
        for terms in row["explain"].values():
            assert 1 <= len(terms) <= 3 and all(weight > 0 for _, weight in terms)
    assert {t for t, _ in rows[0]["explain"]["energy"]} <= {
        "oil",
        "gas",
        "pipeline",
        "refinery",
        "grid",
        "pipeline oil",
        "oil gas",
        "gas pipeline",
        "pipeline refinery",
        "refinery grid",
    }
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [json.loads(r["explain"]) for r in table] == [r["explain"] for r in rows]


def test_oov_rate_and_the_drift_warning(tmp_path, tagger):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "known", "body": "oil gas pipeline"},
            {"id": "half", "body": "oil gas zyxw qwvu"},
            {"id": "new", "body": "entirely different vocabulary here"},
        ],
    )
    summary = predict_file(
        tagger, str(src), str(tmp_path / "out.jsonl"), PredictOptions(oov_warning=0.3)
    )
    assert [r["oov_rate"] for r in read_jsonl(tmp_path / "out.jsonl")] == [0.0, 0.5, 1.0]
    assert summary.oov_mean == pytest.approx(0.5)
    assert "out-of-vocabulary rate 50.0%" in summary.line()
    assert len(summary.warnings) == 1 and "above 30%" in summary.warnings[0]
    quiet = predict_file(
        tagger, str(src), str(tmp_path / "o.csv"), PredictOptions(oov=False, oov_warning=0.3)
    )
    assert quiet.oov_mean is None and not quiet.warnings
    assert "oov_rate" not in pd.read_csv(tmp_path / "o.csv").columns


@pytest.mark.parametrize("bad", [{"top_k": 0}, {"explain": -1}, {"batch_size": 0}])
def test_invalid_options_are_config_errors(tmp_path, tagger, bad):
    src = write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    with pytest.raises(ConfigError):
        predict_file(tagger, str(src), str(tmp_path / "out.jsonl"), PredictOptions(**bad))
