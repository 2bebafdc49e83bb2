import json

import datasets
import pandas as pd
import pytest

from classifier.data.corpus import Corpus, Split
from classifier.data.labels import apply_label_map
from classifier.data.loaders import dataset_to_split, load_demo, load_files, load_hub
from classifier.errors import DataError

ROWS = [
    {"id": "a1", "title": "Grid operator", "body": "Power prices rose.", "topics": "energy|market"},
    {"id": "a2", "title": "Wheat", "body": None, "topics": "agriculture"},
    {"id": "a3", "title": "", "body": "Regulator fines bank.", "topics": "regulation"},
    {"id": "a4", "title": "", "body": "  ", "topics": "energy"},
]


def write(tmp_path, name, rows):
    path = tmp_path / name
    frame = pd.DataFrame(rows)
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("name", ["train.jsonl", "train.csv", "train.parquet"])
def test_files_in_every_format(tmp_path, name):
    train = write(tmp_path, name, ROWS)
    test = write(tmp_path, "test" + name[5:], ROWS[:2])
    corpus = load_files(str(train), str(test), label_sep="|", id_field="id")
    # The row whose title and body are both blank is dropped.
    assert corpus.train.ids == ["a1", "a2", "a3"]
    assert corpus.train.texts[0] == "Grid operator\n\nPower prices rose."
    assert corpus.train.texts[1] == "Wheat"
    assert corpus.train.labels[0] == ["energy", "market"]
    assert corpus.multilabel
    assert corpus.label_names == ["agriculture", "energy", "market", "regulation"]


def test_list_labels_and_seeded_split(tmp_path):
    rows = [{"text": f"article {i}", "tags": ["x"] if i % 2 else ["y", "z"]} for i in range(50)]
    path = write(tmp_path, "all.jsonl", rows)
    first = load_files(str(path), text_fields=["text"], label_field="tags", test_size=0.2)
    again = load_files(str(path), text_fields=["text"], label_field="tags", test_size=0.2)
    assert (len(first.train), len(first.test)) == (40, 10)
    assert first.test.texts == again.test.texts
    assert set(first.train.texts).isdisjoint(first.test.texts)


def test_single_label_data_is_not_multilabel(tmp_path):
    rows = [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(10)]
    corpus = load_files(
        str(write(tmp_path, "s.csv", rows)), text_fields=["text"], label_field="label"
    )
    assert not corpus.multilabel


def test_missing_field_names_the_fields_that_exist(tmp_path):
    path = write(tmp_path, "train.jsonl", ROWS)
    with pytest.raises(DataError, match=r"\['headline'\] not found.*'body'"):
        load_files(str(path), text_fields=["headline"])


def test_missing_and_unknown_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_files(str(tmp_path / "nope.jsonl"))
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DataError, match="unknown file type"):
        load_files(str(tmp_path / "x.txt"))


def test_class_label_integers_become_names():
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])}
    )
    ds = datasets.Dataset.from_dict({"text": ["bad", "good"], "label": [0, 1]}, features=features)
    split = dataset_to_split(ds, ["text"], "label")
    assert split.labels == [["neg"], ["pos"]]


def test_hub_loader_reads_a_local_dataset_folder(tmp_path):
    folder = tmp_path / "my_news"
    folder.mkdir()
    rows = [{"text": f"oil story {i}", "label": "energy"} for i in range(6)]
    rows += [{"text": f"wheat story {i}", "label": "agriculture"} for i in range(6)]
    write(folder, "train.jsonl", rows)
    write(folder, "test.jsonl", rows[:2] + rows[-2:])
    corpus = load_hub(str(folder))
    assert (len(corpus.train), len(corpus.test)) == (12, 4)
    assert corpus.name == "my_news"
    with pytest.raises(DataError, match="no split 'validation'"):
        load_hub(str(folder), test_split="validation")


def test_demo_corpus_is_bundled_and_well_formed(repo):
    corpus = load_demo(repo / "data" / "demo")
    assert len(corpus.train) + len(corpus.test) >= 150
    assert {"regulation", "energy", "market"} <= set(corpus.label_names)
    assert len(corpus.label_names) >= 6
    assert corpus.multilabel
    assert set(corpus.train.ids).isdisjoint(corpus.test.ids)
    assert set(corpus.label_names) == {lab for item in corpus.test.labels for lab in item}


def test_label_map_merges_fine_labels_into_topics():
    split = Split(["1", "2", "3"], ["a", "b", "c"], [["crude", "nat-gas"], ["earn"], ["dlr"]])
    corpus = Corpus("x", "mem", split, split)
    mapping = {"crude": "energy", "nat-gas": "energy", "dlr": "market"}
    mapped = apply_label_map(corpus, mapping, keep_unmapped=False)
    assert mapped.train.labels == [["energy"], [], ["market"]]
    kept = apply_label_map(corpus, mapping, keep_unmapped=True)
    assert kept.train.labels == [["energy"], ["earn"], ["market"]]


def test_digest_changes_with_any_label():
    split = Split(["1"], ["a"], [["x"]])
    other = Split(["1"], ["a"], [["y"]])
    assert Corpus("c", "s", split, split).digest() != Corpus("c", "s", split, other).digest()
