"""The demo corpus and a tagger fitted on it, shared by the audit tests."""

from __future__ import annotations

import pytest
from sklearn.svm import LinearSVC

from classifier.data.corpus import Corpus
from classifier.data.loaders import load_demo
from classifier.model.tagger import TopicTagger


def demo_tagger() -> TopicTagger:
    """The default training set-up's tagger (LinearSVC, tuned thresholds)."""
    return TopicTagger(LinearSVC(), tune_thresholds=True, threshold_shrink=0.75)


@pytest.fixture(scope="session")
def demo(repo) -> Corpus:
    return load_demo(repo / "data" / "demo")


@pytest.fixture(scope="session")
def fitted(demo) -> TopicTagger:
    return demo_tagger().fit(demo.train.texts, demo.train.labels)
