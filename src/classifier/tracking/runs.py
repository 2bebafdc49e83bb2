"""Everything that is logged to MLflow: config, data, metrics, report, plots and model."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.data.sources import LocalArtifactDatasetSource
from mlflow.models import ModelSignature, infer_signature
from omegaconf import DictConfig, OmegaConf

from classifier.data.corpus import Corpus
from classifier.data.records import DEFAULT_FIELDS, TextFields
from classifier.errors import ConfigError, Terminated
from classifier.model.metrics import Evaluation
from classifier.model.persistence import manifest_path
from classifier.model.tagger import TopicTagger
from classifier.tracking import plots
from classifier.tracking.pyfunc import TEXT_COLUMN, input_schema, tag_frame
from classifier.training.checks import DataReport

log = logging.getLogger(__name__)

# MLflow's limits on one log_params call and on a param value.
_PARAMS_PER_CALL = 100
_MAX_PARAM_VALUE = 6000
PACKAGE_DIR = Path(__file__).parent.parent  # the classifier package, shipped with the model
PYFUNC_ENTRY = Path(__file__).with_name("pyfunc_entry.py")
# Artifact paths of the figures every run logs.
PLOTS = ("plots/per_label_f1.png", "plots/confusion.png")
# What the pyfunc model imports (the classifier package itself is shipped as code).
_MODEL_REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "pandas", "joblib", "mlflow")


def pip_requirements() -> list[str]:
    """Pinned versions of what the logged model needs; stated, not inferred (inferring
    requirements starts a subprocess and takes seconds per run)."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in _MODEL_REQUIREMENTS]


def setup(tracking_uri: str, experiment: str) -> str:
    """Point MLflow at ``tracking_uri`` and select (or create) ``experiment``; return its id."""
    mlflow.set_tracking_uri(tracking_uri)
    try:
        return mlflow.set_experiment(experiment).experiment_id
    except mlflow.exceptions.MlflowException as err:
        raise ConfigError(
            f"mlflow.tracking_uri={tracking_uri!r}: cannot use experiment {experiment!r} ({err})"
        ) from err


@contextmanager
def run(run_name: str | None = None, tags: Mapping[str, str] | None = None) -> Iterator[Any]:
    """An MLflow run that ends FINISHED, FAILED on an exception, or KILLED on Ctrl-C/SIGTERM.

    A run that is not ended stays RUNNING forever in the UI, so interruptions are caught
    here and the run is closed before the process exits (the entry points turn SIGTERM
    into :class:`~classifier.errors.Terminated`).
    """
    active = mlflow.start_run(run_name=run_name, tags=dict(tags or {}))
    try:
        yield active
    except (KeyboardInterrupt, Terminated):
        mlflow.end_run("KILLED")
        raise
    except BaseException:
        mlflow.end_run("FAILED")
        raise
    else:
        mlflow.end_run("FINISHED")


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"model": {"C": 1}}`` -> ``{"model.C": "1"}``; lists become their JSON text."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            flat[name] = text[:_MAX_PARAM_VALUE]
    return flat


def log_config(cfg: DictConfig) -> None:
    """The resolved config: flattened as params and whole as ``config.yaml``."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    params = flatten(resolved)
    items = sorted(params.items())
    for start in range(0, len(items), _PARAMS_PER_CALL):
        mlflow.log_params(dict(items[start : start + _PARAMS_PER_CALL]))
    mlflow.log_text(OmegaConf.to_yaml(cfg, resolve=True), "config.yaml")


def git_commit(cwd: str | Path = PACKAGE_DIR) -> str | None:
    """The commit of the code that runs (``-dirty`` with local changes), or None outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def log_corpus(corpus: Corpus, digest: str) -> None:
    """Both splits as MLflow datasets (name, digest, source) plus counts."""
    for context, split in (("training", corpus.train), ("test", corpus.test)):
        frame = pd.DataFrame(
            {"id": split.ids, "text": split.texts, "labels": ["|".join(x) for x in split.labels]}
        )
        dataset = mlflow.data.from_pandas(
            frame,
            source=LocalArtifactDatasetSource(corpus.source),
            name=f"{corpus.name}-{context}",
            targets="labels",
        )
        mlflow.log_input(dataset, context=context)
    mlflow.log_params(
        {
            "data.n_train": len(corpus.train),
            "data.n_test": len(corpus.test),
            "data.n_labels": len(corpus.label_names),
            "data.multilabel": corpus.multilabel,
        }
    )
    mlflow.set_tag("data_digest", digest)


def log_data_report(report: DataReport) -> None:
    """Findings of the data checks: ``data_*`` metrics and ``data_checks.json``."""
    mlflow.log_metrics(report.metrics())
    mlflow.log_dict(asdict(report), "data_checks.json")


def log_metrics(metrics: Mapping[str, float]) -> None:
    """Log plain metrics to the active run."""
    mlflow.log_metrics(dict(metrics))


def log_evaluation(evaluation: Evaluation, prefix: str = "test_") -> None:
    """Metrics with ``prefix``, the per-label table (CSV and JSON) and the two plots."""
    mlflow.log_metrics(evaluation.prefixed(prefix))
    table = pd.DataFrame(evaluation.per_label)
    mlflow.log_text(table.to_csv(index=False), f"{prefix}per_label.csv")
    mlflow.log_dict({"per_label": evaluation.per_label}, f"{prefix}per_label.json")
    mlflow.log_figure(plots.per_label_f1(evaluation), PLOTS[0])
    mlflow.log_figure(plots.confusion(evaluation), PLOTS[1])


def log_model(
    tagger: TopicTagger,
    model_path: Path,
    examples: list[str],
    fields: TextFields = DEFAULT_FIELDS,
) -> str:
    """Log the joblib file and a pyfunc model around it (with signature and input example).

    The signature takes records with the model's text ``fields`` or ``text``, as
    ``predict.py`` does. Returns the model URI (``models:/<model id>``).
    """
    mlflow.log_artifact(str(model_path), "model_file")
    mlflow.log_artifact(str(manifest_path(model_path)), "model_file")
    # MLflow copies both artifacts into one folder, so the manifest stays beside the model
    # and the pyfunc can verify the file on load.
    example = pd.DataFrame({TEXT_COLUMN: examples})
    outputs = infer_signature(example, tag_frame(tagger, examples)).outputs
    signature = ModelSignature(input_schema(fields), outputs)
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(PYFUNC_ENTRY),
        artifacts={"model": str(model_path), "manifest": str(manifest_path(model_path))},
        signature=signature,
        input_example=example,
        # The package travels with the model, so serving needs only these requirements.
        code_paths=[str(PACKAGE_DIR)],
        pip_requirements=pip_requirements(),
    )
    return info.model_uri


def log_model_card(text: str) -> None:
    """The run's Markdown model card, ``model_card.md``."""
    mlflow.log_text(text, "model_card.md")


def register_model(model_uri: str, name: str, alias: str | None = None) -> str:
    """Register ``model_uri`` as a new version of ``name``; point ``alias`` at it if given.

    Returns the version number. ``predict.py model_uri=models:/<name>@<alias>`` then loads it.
    """
    version = mlflow.register_model(model_uri, name).version
    if alias:
        mlflow.MlflowClient().set_registered_model_alias(name, alias, version)
    log.info("registered %s version %s%s", name, version, f" as @{alias}" if alias else "")
    return str(version)
