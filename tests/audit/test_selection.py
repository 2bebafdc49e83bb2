import json
from collections import Counter

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from classifier.audit.duplicates import text_vectors
from classifier.audit.label_next import run_label_next
from classifier.audit.selection import select_random, select_uncertain
from classifier.data.loaders import load_files
from classifier.errors import ConfigError, DataError
from classifier.model.persistence import save_model


def test_labels_take_turns_and_closest_comes_first():
    texts = [f"article number {i} about topic {i % 7} word{i}" for i in range(40)]
    scores = np.full((40, 2), -3.0)
    scores[:30, 0] = np.linspace(0.01, 0.3, 30)  # label a: 30 articles near its threshold
    scores[30:, 1] = np.linspace(0.5, 1.4, 10)  # label b: farther, fewer
    chosen = select_uncertain(texts, ["a", "b"], scores, np.zeros(2), True, k=6)
    assert [c.label for c in chosen] == ["a", "b"] * 3
    assert [c.index for c in chosen] == [0, 30, 1, 31, 2, 32]
    assert chosen[0].margin == pytest.approx(0.01)


def test_near_duplicates_of_a_chosen_article_are_skipped():
    texts = ["wheat harvest record rains farmers"] * 3 + [
        f"oil price {w} barrel refinery" for w in ("rises", "falls", "steadies", "jumps")
    ]
    scores = np.array([[0.0], [0.01], [0.02], [0.5], [0.6], [0.7], [0.8]])
    chosen = select_uncertain(texts, ["x"], scores, np.zeros(1), True, k=4)
    assert [c.index for c in chosen] == [0, 3, 4, 5]


def test_random_selection_is_seeded_and_unique():
    assert select_random(100, 10, seed=1) == select_random(100, 10, seed=1)
    assert len(set(select_random(100, 100, seed=2))) == 100


@pytest.fixture(scope="module")
def model_path(fitted, tmp_path_factory):
    return save_model(fitted, tmp_path_factory.mktemp("model") / "demo.joblib", {})


@pytest.fixture(scope="module")
def pool(repo, tmp_path_factory):
    """The demo test articles, unlabelled, plus exact copies of ten of them."""
    rows = [json.loads(line) for line in (repo / "data/demo/test.jsonl").open()]
    for row in rows:
        del row["topics"]
    copies = [{**row, "id": f"copy-{row['id']}"} for row in rows[:10]]
    path = tmp_path_factory.mktemp("pool") / "pool.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows + copies))
    return path, rows


def _cfg(repo, **overrides):
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        return compose("label_next", overrides=[f"{k}={v}" for k, v in overrides.items()])


def test_selection_is_in_the_training_schema_with_k_rows_and_no_duplicates(
    repo, model_path, pool, tmp_path
):
    path, rows = pool
    out = tmp_path / "next.jsonl"
    cfg = _cfg(repo, model_uri=model_path, input=path, output=out, k=20)
    summary = run_label_next(cfg)
    assert summary.startswith("selected 20 of 57 articles")
    chosen = [json.loads(line) for line in out.open()]
    assert len(chosen) == 20
    assert all(list(r) == ["id", "title", "body", "topics"] and r["topics"] == [] for r in chosen)
    assert len({r["id"] for r in chosen}) == 20
    originals = {r["id"]: r for r in rows}
    for r in chosen:
        base = originals[r["id"].removeprefix("copy-")]
        assert (r["title"], r["body"]) == (base["title"], base["body"])
    texts = [f"{r['title']}\n\n{r['body']}" for r in chosen]
    similarity = (text_vectors(texts) @ text_vectors(texts).T).toarray()
    assert (similarity[~np.eye(20, dtype=bool)] < 0.9).all()
    # training reads the file as it is (labels still empty)
    corpus = load_files(str(out), str(out), id_field="id")
    assert len(corpus.train) == 20 and all(labels == [] for labels in corpus.train.labels)


def test_selection_spreads_over_the_models_labels(fitted, demo):
    texts = demo.test.texts
    scores = fitted.decision_function(texts)
    chosen = select_uncertain(
        texts, fitted.labels_, scores, fitted.thresholds_, fitted.multilabel_, k=16
    )
    per_label = Counter(c.label for c in chosen)
    assert len(chosen) == 16 and len({c.index for c in chosen}) == 16
    assert set(per_label) == set(fitted.labels_) and max(per_label.values()) == 2


def test_bad_options_are_config_errors(repo, model_path, pool, tmp_path):
    path, _ = pool
    with pytest.raises(ConfigError, match="strategy"):
        run_label_next(_cfg(repo, model_uri=model_path, input=path, strategy="loudest"))
    with pytest.raises(ConfigError, match="JSONL"):
        run_label_next(_cfg(repo, model_uri=model_path, input=path, output=tmp_path / "x.csv"))


def test_random_strategy_writes_k_rows(repo, model_path, pool, tmp_path):
    path, _ = pool
    out = tmp_path / "random.jsonl"
    run_label_next(_cfg(repo, model_uri=model_path, input=path, output=out, k=7, strategy="random"))
    ids = [json.loads(line)["id"] for line in out.open()]
    assert len(ids) == len(set(ids)) == 7


def test_a_missing_or_textless_input_is_a_data_error(repo, model_path, tmp_path):
    with pytest.raises(DataError, match="file not found"):
        run_label_next(_cfg(repo, model_uri=model_path, input=tmp_path / "none.jsonl"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"id": "a", "title": "", "body": "  "}\n')
    with pytest.raises(DataError, match="no article with text"):
        run_label_next(_cfg(repo, model_uri=model_path, input=empty))
