"""The model card: what it says (provenance, use and limits, thresholds, config as YAML)
and its HTML form, which embeds the plots so MLflow's artifact viewer renders it whole."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest
import yaml
from omegaconf import OmegaConf
from sklearn.svm import LinearSVC

from classifier.data.corpus import Corpus, Split
from classifier.model.metrics import evaluate
from classifier.model.tagger import TopicTagger
from classifier.tracking.model_card import DataFacts, RunFacts, render, to_html

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
CFG = OmegaConf.create(
    {
        "seed": 1,
        "run_name": None,
        "debug": False,
        "model": {"_target_": "sklearn.svm.LinearSVC", "C": 0.5},
        "features": {"word": {"ngram_range": [1, 2], "min_df": 1}},
        "tagger": {"tune_thresholds": True, "n_jobs": 2},
        "cv": {"folds": 3},
        "mlflow": {"tracking_uri": "sqlite:///mlflow.db", "experiment": "x"},
        "output": {"model_path": "models/model.joblib"},
    }
)


@pytest.fixture(scope="module")
def card(synthetic):
    texts, labels = synthetic
    train = Split([str(i) for i in range(150)], texts[:150], labels[:150])
    test = Split([str(i) for i in range(50)], texts[150:], labels[150:])
    corpus = Corpus("synthetic", "tests", train, test)
    tagger = TopicTagger(LinearSVC(), tune_thresholds=True, threshold_cv=2).fit(
        train.texts, train.labels
    )
    evaluation = evaluate(tagger, test)
    cv = {"micro_f1": 0.91, "micro_f1_std": 0.01}
    facts = RunFacts(
        run_id="abc123",
        run_name="linear_svc C=0.5",
        started=datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
        git_commit="0123456789abcdef",
        data_digest="feed",
        sweep_id="20261130-091500-abcdef",
        sweep_parent="parent99",
        sweep_overrides="model.C=0.5",
        near_duplicates=3,
    )
    plots = ("plots/per_label_scores.png", "plots/confusion.png")
    return render(CFG, DataFacts.of(corpus), cv, evaluation, tagger, facts, plots), tagger


def test_card_says_where_the_model_came_from(card):
    text, _ = card
    assert text.startswith("# Model card: LinearSVC on synthetic")
    assert "trained: 2026-11-30 09:15 UTC" in text
    assert "git commit `0123456789abcdef`" in text
    assert "sweep: `20261130-091500-abcdef` (parent run `parent99`)" in text
    assert "`model.C=0.5`" in text
    assert "| micro_f1 | 0.9100 ± 0.0100 |" in text


def test_card_states_intended_use_and_limits(card):
    text, _ = card
    assert "## Intended use" in text and "## Limits" in text
    assert "3 test article(s) also appear in the training split" in text


def test_card_lists_every_labels_tuned_threshold(card):
    text, tagger = card
    for label, threshold in zip(tagger.labels_, tagger.thresholds_, strict=True):
        assert re.search(rf"^\| {label} \| \d+ \| {threshold:+.3f} \|", text, re.M), label


def test_config_is_yaml_without_housekeeping(card):
    text, _ = card
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = yaml.safe_load(block)
    assert config["model"] == {"_target_": "sklearn.svm.LinearSVC", "C": 0.5}
    assert config["features"]["word"]["ngram_range"] == [1, 2]
    assert "mlflow" not in config and "output" not in config and "n_jobs" not in config["tagger"]
    assert "{'" not in text  # no Python dict reprs


def test_html_card_embeds_the_plots_and_escapes_raw_html(card):
    text, _ = card
    images = {"plots/per_label_scores.png": PNG, "plots/confusion.png": PNG}
    page = to_html(text + "\n<script>alert(1)</script>\n", images)
    encoded = base64.b64encode(PNG).decode()
    assert page.count(f'src="data:image/png;base64,{encoded}"') == 2
    assert 'src="plots/' not in page
    assert "<table>" in page and "<h2>Intended use</h2>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<code class="language-yaml">' in page
