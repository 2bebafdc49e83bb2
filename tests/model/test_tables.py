"""Cached scorer tables: a scorer rebuilt from its tables gives the same features, scores,
labels, OOV rates and explanations as the one built from the tagger; the cache is keyed by
the verified model file, rebuilt when unusable, never fails a run, and spares scikit-learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from classifier.data.records import TextFields, model_fields
from classifier.errors import ModelFileError
from classifier.model import tables
from classifier.model.cleaning import TextCleaner
from classifier.model.features import build_features
from classifier.model.persistence import file_sha256, save_model
from classifier.model.scoring import Scorer
from classifier.model.tagger import TopicTagger
from tests.model.test_scoring import CASES, LABELS, TRAIN, UNSEEN, WORD, fit

REPO = Path(__file__).resolve().parents[2]


def rebuilt(scorer: Scorer) -> Scorer:
    """``scorer`` through its tables, written to and read back from disk."""
    header, arrays = scorer.tables()
    return Scorer.from_tables(json.loads(json.dumps(header)), arrays)


@pytest.mark.parametrize(
    "case", ["default", "unigrams", "bigrams-only", "binary-l1-no-idf", "max-df", "digits-removed"]
)
def test_a_scorer_from_tables_equals_the_scorer_of_the_tagger(case):
    features, cleaner = CASES[case]
    scorer = Scorer(fit(features, cleaner))
    again = rebuilt(scorer)
    assert again.tagger is None and again.labels == scorer.labels
    X, oov = scorer.transform(UNSEEN)  # ASCII and non-ASCII texts, empty ones too
    X2, oov2 = again.transform(UNSEEN)
    assert (X != X2).nnz == 0 and X.dtype == X2.dtype
    np.testing.assert_array_equal(oov, oov2)
    scores = scorer.scores(X)
    np.testing.assert_array_equal(scores, again.scores(X2))
    indicator = scorer.rules.indicator(scores)
    np.testing.assert_array_equal(indicator, again.rules.indicator(scores))
    assert scorer.rules.names(indicator) == again.rules.names(indicator)
    assert scorer.explain(X, indicator, 3) == again.explain(X2, indicator, 3)


def test_scorers_the_tables_cannot_describe_have_none():
    char = Scorer(fit({"word": WORD, "char": {"ngram_range": (2, 4)}}))  # not the fast path
    trigrams = Scorer(fit({"word": {"ngram_range": (1, 3)}}))  # no batch n-gram lookup
    assert char.tables() is None and trigrams.tables() is None


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    tagger = TopicTagger(LinearSVC(), features=build_features(word=WORD)).fit(TRAIN, LABELS)
    fields = TextFields(("headline", "story"), id_field="key")
    return save_model(tagger, tmp_path / "model.joblib", {}, fields=fields)


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(tables.CACHE_ENV, str(folder))
    return folder


def test_the_first_load_writes_the_tables_and_the_next_reads_them(model_file, cache):
    first, metadata = tables.load_scorer(str(model_file))
    entry = cache / file_sha256(model_file)
    assert first.tagger is not None and (entry / "header.json").is_file()
    second, metadata2 = tables.load_scorer(str(model_file))
    assert second.tagger is None and model_fields(metadata2) == model_fields(metadata)
    assert model_fields(metadata2).fields == ("headline", "story")
    X, _ = first.transform(UNSEEN)
    np.testing.assert_array_equal(first.scores(X), second.scores(second.transform(UNSEEN)[0]))
    # Data only: every array loads without pickle.
    for path in entry.glob("*.npy"):
        np.load(path, allow_pickle=False)


def test_cache_false_neither_reads_nor_writes(model_file, cache):
    scorer, _ = tables.load_scorer(str(model_file), cache=False)
    assert scorer.tagger is not None and not cache.exists()


@pytest.mark.parametrize(
    "damage", ["truncated array", "bad header", "other version", "short array", "bad index"]
)
def test_an_unusable_entry_is_rebuilt(model_file, cache, damage):
    tables.load_scorer(str(model_file))
    entry = cache / file_sha256(model_file)
    if damage == "truncated array":
        (entry / "coef.npy").write_bytes((entry / "coef.npy").read_bytes()[:100])
    elif damage == "short array":
        np.save(entry / "intercept.npy", np.zeros(1))
    elif damage == "bad index":
        cols = np.load(entry / "ngrams.bigram_cols.npy")
        cols[0] = 10**9
        np.save(entry / "ngrams.bigram_cols.npy", cols)
    elif damage == "bad header":
        (entry / "header.json").write_text("{not json")
    else:
        header = json.loads((entry / "header.json").read_text())
        header["tables_version"] = -1
        (entry / "header.json").write_text(json.dumps(header))
    scorer, _ = tables.load_scorer(str(model_file))
    assert scorer.tagger is not None  # loaded from the model file...
    assert tables.load_scorer(str(model_file))[0].tagger is None  # ...and cached again


def test_a_cache_folder_that_cannot_be_written_does_not_fail_the_run(
    model_file, tmp_path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(tables.CACHE_ENV, str(blocker / "cache"))
    scorer, _ = tables.load_scorer(str(model_file))
    assert scorer.tagger is not None and scorer.labels


def test_a_changed_model_file_is_refused_before_its_cached_tables_are_used(model_file, cache):
    tables.load_scorer(str(model_file))
    data = bytearray(model_file.read_bytes())
    data[-1] ^= 1
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match its manifest"):
        tables.load_scorer(str(model_file))


def test_only_the_most_recently_used_entries_are_kept(model_file, cache):
    for i in range(tables.KEEP_ENTRIES + 2):
        (cache / f"{i:064x}").mkdir(parents=True)
        os.utime(cache / f"{i:064x}", (i, i))
    tables.load_scorer(str(model_file))
    kept = sorted(p.name for p in cache.iterdir())
    assert len(kept) == tables.KEEP_ENTRIES
    assert file_sha256(model_file) in kept and f"{tables.KEEP_ENTRIES + 1:064x}" in kept


def test_a_cleaner_option_travels_in_the_tables():
    scorer = Scorer(fit({"word": WORD}, TextCleaner(digits="remove")))
    again = rebuilt(scorer)
    texts = ["oil 2024 prices 4.5 rose", "gas99 supply", "café 12,400 oil"]
    assert (scorer.transform(texts)[0] != again.transform(texts)[0]).nnz == 0


def test_predicting_from_cached_tables_does_not_import_scikit_learn(model_file, cache, tmp_path):
    articles = tmp_path / "in.jsonl"
    articles.write_text(json.dumps({"key": "a", "headline": "Oil", "story": UNSEEN[0]}) + "\n")
    code = (
        "import sys\n"
        "from classifier.prediction.engines import run_prediction\n"
        f"run_prediction({str(model_file)!r}, {str(articles)!r}, {str(tmp_path / 'out.jsonl')!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')[:3])\n"
    )
    env = {**os.environ, tables.CACHE_ENV: str(cache)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.strip() != "[]"  # the first run unpickled the model
    assert runs[1].stdout.strip() == "[]"  # the second read only its tables
