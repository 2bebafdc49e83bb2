"""The SGML reader on synthetic stories written for these tests (no corpus text)."""

from pathlib import Path

import pytest

from classifier.data.reuters import load_reuters, parse_sgml
from classifier.errors import ConfigError, DataError

SHARED = Path(__file__).resolve().parents[2].parent / "shared/data/reuters21578.tar.gz"


def story(newid, split, topics, title="", body="", has_topics="YES", kind=""):
    d = "".join(f"<D>{t}</D>" for t in topics)
    text_attr = f' TYPE="{kind}"' if kind else ""
    inner = (f"<TITLE>{title}</TITLE>" if title else "") + (f"<BODY>{body}</BODY>" if body else "")
    if kind:
        inner = body
    attrs = {
        "TOPICS": has_topics,
        "LEWISSPLIT": split,
        "CGISPLIT": "TRAINING-SET",
        "OLDID": f"{newid}0",
        "NEWID": newid,
    }
    opening = "<REUTERS " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + ">"
    return (
        f"{opening}\n<DATE>1-JAN-1990</DATE>\n"
        f"<TOPICS>{d}</TOPICS>\n<PLACES></PLACES>\n<TEXT{text_attr}>&#2;\n{inner}</TEXT>\n"
        "</REUTERS>\n"
    )


STORIES = [
    story(
        1, "TRAIN", ["zorb", "plim"], "ZORB &amp; PLIM RISE", "Zorb prices &lt;up&gt; caf\xe9.\x03"
    ),
    story(2, "TRAIN", ["zorb"], "ZORB ONLY"),  # no BODY
    story(3, "TRAIN", ["quax"], body="Quax brief text", kind="BRIEF"),
    story(4, "TEST", ["zorb"], "ZORB TEST", "zorb body"),
    story(5, "TEST", ["plim", "wemb"], "PLIM TEST", "plim body"),
    story(6, "TRAIN", ["zorb"], "NOT MODAPTE", "x", has_topics="NO"),
    story(7, "NOT-USED", ["zorb"], "UNUSED", "x"),
    story(8, "TRAIN", ["wemb"], "ONLY UNSEEN TOPIC", "wemb train"),
]


@pytest.fixture
def raw_dir(tmp_path):
    folder = tmp_path / "reuters21578"
    folder.mkdir()
    for i in range(22):
        chunk = STORIES if i == 0 else []
        content = '<!DOCTYPE lewis SYSTEM "lewis.dtd">\n' + "".join(chunk)
        (folder / f"reut2-{i:03d}.sgm").write_bytes(content.encode("latin-1"))
    return folder


def test_parse_reads_fields_entities_and_latin1(raw_dir):
    stories = list(parse_sgml(raw_dir / "reut2-000.sgm"))
    assert [s.newid for s in stories] == [str(i) for i in range(1, 9)]
    first = stories[0]
    assert first.topics == ["zorb", "plim"]
    assert first.title == "ZORB & PLIM RISE"
    assert first.body == "Zorb prices <up> café."
    assert first.text == "ZORB & PLIM RISE\n\nZorb prices <up> café."
    assert stories[1].text == "ZORB ONLY"
    assert stories[2].text == "Quax brief text"


def test_modapte_split_and_subsets(raw_dir):
    r90 = load_reuters(raw_dir, "r90")
    # r90: categories with a training and a test story -> zorb, plim, wemb (quax has no test)
    assert r90.label_names == ["plim", "wemb", "zorb"]
    assert r90.train.ids == ["reuters-1", "reuters-2", "reuters-8"]
    assert r90.train.labels == [["plim", "zorb"], ["zorb"], ["wemb"]]
    assert r90.test.ids == ["reuters-4", "reuters-5"]
    everything = load_reuters(raw_dir, "all")
    assert "quax" in everything.label_names
    assert "reuters-3" in everything.train.ids
    assert "reuters-6" not in everything.train.ids  # TOPICS="NO"
    r10 = load_reuters(raw_dir, "r10")
    assert set(r10.label_names) == {"zorb", "plim", "quax", "wemb"}


def test_unknown_subset_and_missing_files(raw_dir, tmp_path):
    with pytest.raises(ConfigError, match="r90"):
        load_reuters(raw_dir, "r20")
    with pytest.raises(DataError, match="fetch reuters21578"):
        load_reuters(tmp_path / "nowhere")
    (raw_dir / "reut2-021.sgm").unlink()
    with pytest.raises(DataError, match="21 of the 22"):
        load_reuters(raw_dir)


@pytest.mark.skipif(not SHARED.is_file(), reason="local copy of Reuters-21578 not available")
def test_real_corpus_modapte_counts(tmp_path):
    from classifier.data.fetch import fetch_reuters21578

    folder = fetch_reuters21578(tmp_path / "reuters21578", source=SHARED)
    r90 = load_reuters(folder, "r90")
    assert len(r90.label_names) == 90
    assert abs(len(r90.train) - 7769) <= 1
    assert abs(len(r90.test) - 3019) <= 1
    assert len(load_reuters(folder, "r10").label_names) == 10
