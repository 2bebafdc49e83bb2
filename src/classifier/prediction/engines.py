"""Choosing the engine: load the model (a file or an MLflow URI) and tag on the local engine
or on Spark, with the text fields the model was trained with unless the options name others."""

from __future__ import annotations

from classifier.data.records import model_fields
from classifier.model.persistence import is_mlflow_uri, load_model_uri
from classifier.model.tables import load_scorer
from classifier.prediction.local import Summary, predict_file
from classifier.prediction.options import DEFAULT_OPTIONS, PredictOptions
from classifier.prediction.paths import check_paths, default_rejects_path


def run_prediction(
    model: str,
    input: str,
    output: str,
    options: PredictOptions = DEFAULT_OPTIONS,
    trust: bool = False,
    tracking_uri: str | None = None,
    cache: bool = True,
) -> Summary:
    """Load ``model`` (a joblib path or an MLflow URI) and tag ``input`` into ``output`` on
    ``options.engine``; options the engine cannot honour become warnings of the summary.

    The local engine reads the model's cached scorer tables where ``cache`` allows
    (:mod:`classifier.model.tables`); Spark executors get the fitted tagger.
    """
    warnings = options.unsupported()
    # Before the model is read: a run that would write over its input stops at once.
    rejects = options.rejects or (
        default_rejects_path(output) if options.engine == "local" else None
    )
    check_paths([input], {"output": output, "rejects file": rejects})
    if tracking_uri and is_mlflow_uri(model):  # a model file needs no MLflow (~1 s to import)
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
    if options.engine == "spark":
        from classifier.prediction.spark import predict_spark

        loaded = load_model_uri(model, trust=trust)
        fields = model_fields(loaded.metadata)
        summary = predict_spark(loaded.tagger, input, output, options, fields)
    else:
        scorer, metadata = load_scorer(model, trust=trust, cache=cache)
        summary = predict_file(scorer, input, output, options, model_fields(metadata))
    summary.warnings[:0] = warnings
    return summary
