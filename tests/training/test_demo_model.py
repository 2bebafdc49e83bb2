"""The shipped default config, trained on the demo corpus, tags unseen articles sensibly."""

import json

import pytest
from hydra import compose, initialize_config_dir

from classifier.training.trainer import build_tagger, load_corpus


@pytest.fixture(scope="module")
def demo_tagger(repo):
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        cfg = compose("train", overrides=[f"data.path={repo / 'data' / 'demo'}"])
    corpus = load_corpus(cfg)
    return build_tagger(cfg).fit(corpus.train.texts, corpus.train.labels)


@pytest.fixture(scope="module")
def unseen(repo):
    path = repo / "tests" / "fixtures" / "unseen_articles.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def text(article):
    return article["title"] + "\n\n" + article["body"]


def test_crypto_mining_power_curbs_get_regulation_and_energy(demo_tagger, unseen):
    story = next(a for a in unseen if a["id"] == "unseen-01")
    assert "cryptocurrency" in story["body"]
    assert set(demo_tagger.predict([text(story)])[0]) == {"regulation", "energy"}


def test_most_unseen_articles_get_exactly_their_topics(demo_tagger, unseen):
    predicted = demo_tagger.predict([text(a) for a in unseen])
    exact = sum(set(p) == set(a["topics"]) for p, a in zip(predicted, unseen, strict=True))
    overlap = sum(bool(set(p) & set(a["topics"])) for p, a in zip(predicted, unseen, strict=True))
    assert overlap == len(unseen)
    assert exact >= 0.8 * len(unseen), predicted
