"""The same config and seed give the same metrics and the same predictions."""

import numpy as np
from hydra import compose, initialize_config_dir

from classifier.model.metrics import evaluate
from classifier.training.crossval import cross_validate
from classifier.training.trainer import build_tagger, load_corpus


def test_same_config_and_seed_give_identical_results(repo):
    overrides = [f"data.path={repo / 'data' / 'demo'}", "model=sgd", "seed=7"]
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    corpus = load_corpus(cfg)
    runs = []
    for _ in range(2):
        tagger = build_tagger(cfg).fit(corpus.train.texts, corpus.train.labels)
        runs.append(
            (
                evaluate(tagger, corpus.test).metrics,
                tagger.decision_function(corpus.test.texts),
                cross_validate(build_tagger(cfg), corpus.train, folds=3, seed=cfg.seed),
            )
        )
    (metrics_a, scores_a, cv_a), (metrics_b, scores_b, cv_b) = runs
    assert metrics_a == metrics_b
    np.testing.assert_array_equal(scores_a, scores_b)
    assert cv_a == cv_b
