"""Prediction options: one validated object built from the config, read by both engines."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir

from classifier.data.records import TextFields
from classifier.errors import ConfigError
from classifier.prediction.options import PredictOptions, SparkOptions


def compose_predict(repo, *overrides):
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        return compose("predict", overrides=["input=in.jsonl", *overrides])


def test_the_config_files_defaults_are_the_objects_defaults(repo):
    assert PredictOptions.from_config(compose_predict(repo)) == PredictOptions()


def test_options_come_from_the_command_line(repo):
    cfg = compose_predict(
        repo,
        "text_fields=[headline,story]",
        "top_k=2",
        "threshold={earn: 0.2}",
        "spark.master='local[2]'",
    )
    options = PredictOptions.from_config(cfg)
    assert options.text_fields == ("headline", "story")
    assert options.top_k == 2 and options.threshold == {"earn": 0.2}
    assert options.spark == SparkOptions(master="local[2]")


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"top_k": 0}, "top_k=0"),
        ({"explain": -1}, "explain=-1"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"on_error": "skip"}, "on_error='skip'"),
        ({"workers": "fibers"}, "workers='fibers'"),
        ({"engine": "dask"}, "engine='dask'"),
        ({"n_jobs": 0}, "n_jobs=0"),
        ({"oov": "yes"}, "oov='yes'"),
        ({"text_fields": []}, "text_fields=[]"),
    ],
)
def test_a_bad_option_is_a_one_line_config_error(bad, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        PredictOptions(**bad)


def test_options_spark_cannot_honour_are_warnings_not_silence():
    assert PredictOptions(engine="spark").unsupported() == []
    warnings = PredictOptions(engine="spark", n_jobs=4, progress=True).unsupported()
    assert len(warnings) == 2
    assert "n_jobs=4" in warnings[0] and "progress=True" in warnings[1]
    assert PredictOptions(spark={"master": "local[2]"}).unsupported() != []


def test_text_fields_default_to_the_models_and_explicit_ones_win():
    model = TextFields(("headline",), "\n", "doc")
    assert PredictOptions().text_fields_for(model) == TextFields(("headline",), "\n", "doc", "text")
    chosen = PredictOptions(text_fields=("a", "b"), id_field="key").text_fields_for(model)
    assert chosen == TextFields(("a", "b"), "\n", "key", None)
