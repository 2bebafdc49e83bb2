"""Run names, model names and what counts as housekeeping (no Hydra app, no MLflow)."""

from __future__ import annotations

from omegaconf import OmegaConf

from classifier.tracking.naming import (
    JOB_OVERRIDES_TAG,
    describe_overrides,
    is_housekeeping,
    logged_model_name,
    model_name,
    run_name,
)

CFG = OmegaConf.create({"run_name": None, "model": {"_target_": "sklearn.svm.LinearSVC", "C": 1.0}})


def test_overrides_keep_what_defines_the_run_with_short_keys():
    assert describe_overrides(
        ["model.C=0.5", "features.word.min_df=2", "mlflow.experiment=x", "output.model_path=m",
         "data.path=/data", "data.train_path=a.jsonl", "debug=true", "+tagger.threshold_cv=2"]
    ) == ["C=0.5", "min_df=2", "threshold_cv=2"]  # fmt: skip
    # Keys that end alike keep their full names.
    assert describe_overrides(["features.word.min_df=2", "features.char.min_df=3"]) == [
        "features.word.min_df=2",
        "features.char.min_df=3",
    ]


def test_sweep_jobs_are_named_after_their_swept_values():
    tags = {JOB_OVERRIDES_TAG: "model.C=10 'features.word.ngram_range=[1, 3]'"}
    assert run_name(CFG, tags) == "linearsvc C=10 ngram_range=[1, 3]"


def test_an_explicit_run_name_wins():
    cfg = OmegaConf.merge(CFG, {"run_name": "baseline"})
    assert run_name(cfg, {JOB_OVERRIDES_TAG: "model.C=10"}) == "baseline"


def test_model_names_are_short_and_valid_for_mlflow():
    assert model_name(CFG) == "LinearSVC"
    assert logged_model_name("reuters21578-r90", "LinearSVC") == "reuters21578-r90-LinearSVC"
    assert logged_model_name("my.data/v2", "LinearSVC") == "my_data_v2-LinearSVC"


def test_housekeeping_keys():
    for key in ("mlflow.tracking_uri", "output.model_path", "debug", "register",
                "registry.name", "run_name", "tagger.n_jobs", "paths.root_dir"):  # fmt: skip
        assert is_housekeeping(key), key
    for key in ("model.C", "tagger.tune_thresholds", "data.subset", "registered", "seed"):
        assert not is_housekeeping(key), key
