"""Everything that is logged to MLflow: config, data, metrics, report, plots and model."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import mlflow
import pandas as pd
from mlflow.data.sources import LocalArtifactDatasetSource
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, infer_signature
from mlflow.tracking import MlflowClient
from omegaconf import DictConfig, OmegaConf

from classifier.data.corpus import Corpus
from classifier.data.records import DEFAULT_FIELDS, TextFields
from classifier.errors import ConfigError, Terminated
from classifier.model.metrics import Evaluation
from classifier.model.persistence import manifest_path
from classifier.model.tagger import TopicTagger
from classifier.tracking import model_card, naming, plots
from classifier.tracking.pyfunc import TEXT_COLUMN, input_schema, tag_frame

log = logging.getLogger(__name__)

# MLflow's limits on one log_params call and on a param value.
_PARAMS_PER_CALL = 100
_MAX_PARAM_VALUE = 6000
PACKAGE_DIR = Path(__file__).parent.parent  # the classifier package, shipped with the model
PYFUNC_ENTRY = Path(__file__).with_name("pyfunc_entry.py")
# Artifact paths of the figures every run logs.
PLOTS = ("plots/per_label_scores.png", "plots/confusion.png")
# The experiment tag by which the MLflow UI opens an experiment as model training rather
# than GenAI (traces, judges, agent versions).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
TRAINING_KIND = "custom_model_development"
# The param holding the short model name (``LinearSVC``).
MODEL_NAME_PARAM = "model_name"
# What the pyfunc model imports (the classifier package itself is shipped as code).
_MODEL_REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "pandas", "joblib", "mlflow")


def pip_requirements() -> list[str]:
    """Pinned versions of what the logged model needs; stated, not inferred (inferring
    requirements starts a subprocess and takes seconds per run)."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in _MODEL_REQUIREMENTS]


def artifact_location(tracking_uri: str, experiment: str) -> str | None:
    """Where a new experiment of a local SQLite store keeps its artifacts: ``mlruns/`` next
    to the store's file, not MLflow's default ``./mlruns`` under the current folder. None
    (the store's or server's own choice) for any other store."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    folder = Path(tracking_uri.removeprefix("sqlite:///")).resolve().parent
    return f"{(folder / 'mlruns').as_uri()}/{quote(experiment, safe='')}"


def setup(tracking_uri: str, experiment: str) -> str:
    """Point MLflow at ``tracking_uri`` and select ``experiment``; return its id.

    An experiment created here is tagged as a model-training experiment
    (:data:`EXPERIMENT_KIND_TAG`), so the UI opens it on training runs, not on GenAI views.
    """
    mlflow.set_tracking_uri(tracking_uri)
    try:
        client = MlflowClient(tracking_uri)
        if client.get_experiment_by_name(experiment) is None:
            try:
                client.create_experiment(
                    experiment,
                    artifact_location=artifact_location(tracking_uri, experiment),
                    tags={EXPERIMENT_KIND_TAG: TRAINING_KIND},
                )
            except MlflowException as err:  # a parallel sweep job created it first
                if err.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
        return mlflow.set_experiment(experiment).experiment_id
    except MlflowException as err:
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
    """What defines the run as params (the flattened config without its housekeeping:
    tracking, output paths, registry, debug) plus the short model name; the whole
    resolved config as ``config.yaml``."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    params = {k: v for k, v in flatten(resolved).items() if not naming.is_housekeeping(k)}
    params[MODEL_NAME_PARAM] = naming.model_name(cfg)
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


class DataFindings(Protocol):
    """What the data checks report (a dataclass, such as
    :class:`classifier.training.checks.DataReport`): its numbers, the labels dropped."""

    dropped_labels: dict[str, int]

    def metrics(self) -> dict[str, float]: ...


def log_data_report(report: DataFindings) -> None:
    """Findings of the data checks, facts about the data rather than scores: ``data.*``
    params (``data.near_duplicates``, ...) and the full report as ``data_checks.json``."""
    params = {
        f"data.{name.removeprefix('data_')}": round(value, 4) if value % 1 else int(value)
        for name, value in report.metrics().items()
    }
    params["data.dropped_labels"] = len(report.dropped_labels)
    mlflow.log_params(params)
    mlflow.log_dict(asdict(report), "data_checks.json")


def log_metrics(metrics: Mapping[str, float]) -> None:
    """Log plain metrics to the active run."""
    mlflow.log_metrics(dict(metrics))


def _active() -> mlflow.entities.Run:
    """The active run as stored (its name, params and tags so far)."""
    return mlflow.get_run(mlflow.active_run().info.run_id)


def plot_subject(active: mlflow.entities.Run) -> str:
    """What plot titles name: the run and its model (``logreg min_df=2 · LogisticRegression``)."""
    model = active.data.params.get(MODEL_NAME_PARAM)
    return " · ".join(x for x in (active.info.run_name, model) if x)


def log_evaluation(evaluation: Evaluation, prefix: str = "test_") -> None:
    """Metrics with ``prefix``, the per-label table (CSV and JSON) and the two plots, whose
    titles name the active run and its model."""
    mlflow.log_metrics(evaluation.prefixed(prefix))
    table = pd.DataFrame(evaluation.per_label)
    mlflow.log_text(table.to_csv(index=False), f"{prefix}per_label.csv")
    mlflow.log_dict({"per_label": evaluation.per_label}, f"{prefix}per_label.json")
    subject = plot_subject(_active())
    mlflow.log_figure(plots.per_label_scores(evaluation, subject), PLOTS[0])
    mlflow.log_figure(plots.confusion(evaluation, subject), PLOTS[1])


def log_model(
    tagger: TopicTagger,
    model_path: Path,
    examples: list[str],
    fields: TextFields = DEFAULT_FIELDS,
) -> str:
    """Log the joblib file and a pyfunc model around it (with signature and input example).

    The signature takes records with the model's text ``fields`` or ``text``, as
    ``predict.py`` does. The logged model is named after the data and the model
    (``demo-LinearSVC``), so the UI's model lists tell runs apart. Returns the model URI
    (``models:/<model id>``).
    """
    active = _active()
    name = naming.logged_model_name(
        active.data.tags.get("data_name", "data"), active.data.params.get(MODEL_NAME_PARAM, "")
    )
    mlflow.log_artifact(str(model_path), "model_file")
    mlflow.log_artifact(str(manifest_path(model_path)), "model_file")
    # MLflow copies both artifacts into one folder, so the manifest stays beside the model
    # and the pyfunc can verify the file on load.
    example = pd.DataFrame({TEXT_COLUMN: examples})
    outputs = infer_signature(example, tag_frame(tagger, examples)).outputs
    signature = ModelSignature(input_schema(fields), outputs)
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=str(PYFUNC_ENTRY),
        artifacts={"model": str(model_path), "manifest": str(manifest_path(model_path))},
        signature=signature,
        input_example=example,
        # The package travels with the model, so serving needs only these requirements.
        code_paths=[str(PACKAGE_DIR)],
        pip_requirements=pip_requirements(),
    )
    return info.model_uri


def log_model_card(
    cfg: DictConfig,
    data: model_card.DataFacts,
    cv_metrics: Mapping[str, float],
    evaluation: Evaluation,
    tagger: TopicTagger,
) -> None:
    """The active run's model card: ``model_card.md`` and ``model_card.html`` (the same
    card with the plots embedded, which MLflow's artifact viewer renders whole)."""
    active = _active()
    tags = active.data.tags
    facts = model_card.RunFacts(
        run_id=active.info.run_id,
        run_name=active.info.run_name,
        started=datetime.fromtimestamp(active.info.start_time / 1000, UTC),
        git_commit=tags.get("git_commit"),
        data_digest=tags.get("data_digest", ""),
        sweep_id=tags.get("sweep_id"),
        sweep_parent=tags.get("mlflow.parentRunId"),
        sweep_overrides=tags.get(naming.JOB_OVERRIDES_TAG),
        near_duplicates=int(active.data.params.get("data.near_duplicates", 0)),
    )
    cv = {k.removeprefix("cv_"): v for k, v in cv_metrics.items()}
    text = model_card.render(cfg, data, cv, evaluation, tagger, facts, PLOTS)
    mlflow.log_text(text, "model_card.md")
    with tempfile.TemporaryDirectory() as tmp:
        uri = f"runs:/{facts.run_id}/plots"
        local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tmp))
        images = {f"plots/{p.name}": p.read_bytes() for p in local.glob("*.png")}
        mlflow.log_text(model_card.to_html(text, images), "model_card.html")


def register_model(model_uri: str, name: str, alias: str | None = None) -> str:
    """Register ``model_uri`` as a new version of ``name``; point ``alias`` at it if given.

    Returns the version number. ``predict.py model_uri=models:/<name>@<alias>`` then loads it.
    """
    version = mlflow.register_model(model_uri, name).version
    if alias:
        mlflow.MlflowClient().set_registered_model_alias(name, alias, version)
    log.info("registered %s version %s%s", name, version, f" as @{alias}" if alias else "")
    return str(version)


def next_steps(tracking_uri: str, run_id: str, model_path: str | Path, predict: Path) -> str:
    """Three lines for after ``train.py``: open the UI on this store at the run, where the
    model is, and how ``predict.py`` (at ``predict``) tags new articles with it."""
    bin_dir = Path(sys.executable).parent
    experiment_id = MlflowClient(tracking_uri).get_run(run_id).info.experiment_id

    def shown(path: Path) -> str:
        try:
            # abspath, not resolve: the venv's python is a symlink to the system one.
            return shlex.quote(str(Path(os.path.abspath(path)).relative_to(Path.cwd())))
        except ValueError:
            return shlex.quote(str(path))

    # The UI opens in its GenAI mode unless told otherwise (it remembers the choice).
    page = f"#/experiments/{experiment_id}/runs/{run_id}?workflowType=machine_learning"
    if tracking_uri.startswith(("http://", "https://")):
        ui = f"open {tracking_uri.rstrip('/')}/{page}"
    else:
        ui = (
            f"{shown(bin_dir / 'mlflow')} ui --backend-store-uri {shlex.quote(tracking_uri)}, "
            f"then open http://127.0.0.1:5000/{page}"
        )
    model = shown(Path(model_path))
    return "\n".join(
        [
            f"see the run: {ui}",
            f"model: {model}",
            f"tag new articles: {shown(bin_dir / 'python')} {shown(predict)} "
            f"model_uri={model} input=new.jsonl output=tagged.jsonl",
        ]
    )
