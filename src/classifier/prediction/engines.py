"""Choosing the engine: load the model (a file or an MLflow URI) and tag on the local engine
or on Spark."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from classifier.errors import ConfigError
from classifier.model.persistence import is_mlflow_uri, load_model_uri
from classifier.prediction.local import Summary, predict_file
from classifier.prediction.paths import check_paths, default_rejects_path


def run_prediction(
    model: str,
    input: str,
    output: str,
    trust: bool = False,
    tracking_uri: str | None = None,
    engine: str = "local",
    spark: Mapping[str, Any] | None = None,
    **options: Any,
) -> Summary:
    """Load ``model`` (a joblib path or an MLflow URI) and tag ``input`` into ``output``;
    ``options`` are those of :func:`predict_file`.

    ``engine="spark"`` tags on Spark instead (:func:`classifier.prediction.spark.predict_spark`;
    ``spark`` holds ``master`` and ``app_name``).
    """
    if engine not in ("local", "spark"):
        raise ConfigError(f"engine={engine!r} is not valid; choose 'local' or 'spark'")
    # Before the model is read: a run that would write over its input stops at once.
    rejects = options.get("rejects_path") or (
        default_rejects_path(output) if engine == "local" else None
    )
    check_paths([input], {"output": output, "rejects file": rejects})
    if tracking_uri and is_mlflow_uri(model):  # a model file needs no MLflow (~1 s to import)
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
    loaded = load_model_uri(model, trust=trust)
    if engine == "spark":
        from classifier.prediction.spark import predict_spark

        if options.pop("scores", "all") != "all":
            raise ConfigError("scores=predicted is for engine=local; Spark writes every score")

        return predict_spark(loaded.tagger, input, output, **options, **(spark or {}))
    return predict_file(loaded.tagger, input, output, **options)
