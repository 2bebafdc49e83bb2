"""Which model a URI names: the loaded tagger plus its MLflow identity.

The identity (LoggedModel id, training run, registered version) is what an evaluation's
metrics are linked to and what a promotion moves the alias to; a plain joblib file that
was never logged has none, and is still scored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from classifier.errors import ModelFileError
from classifier.model.persistence import LoadedModel, is_mlflow_uri, load_model_uri

log = logging.getLogger(__name__)

_REGISTERED = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")
_LOGGED = re.compile(r"^models:/(?P<model_id>m-[0-9a-f]+)/?$")
_RUN = re.compile(r"^runs:/(?P<run_id>[0-9a-f]+)(?:/.*)?$")


@dataclass(frozen=True)
class ModelRef:
    """A model to evaluate: ``uri`` as given, the loaded model, and where MLflow has it."""

    uri: str
    model: LoadedModel
    model_id: str | None = None
    run_id: str | None = None
    registered_name: str | None = None
    version: str | None = None

    @property
    def short(self) -> str:
        """A short name for tables: ``news-topic-tagger/3``, ``run 1a2b3c4d`` or the file."""
        if self.version:
            return f"{self.registered_name}/{self.version}"
        if self.run_id and self.uri.startswith("runs:/"):
            return f"run {self.run_id[:8]}"
        return self.uri


def logged_model_of_run(client: MlflowClient, run_id: str) -> str | None:
    """The id of the LoggedModel a training run produced (its first model output)."""
    try:
        outputs = client.get_run(run_id).outputs
    except MlflowException:
        return None
    found = outputs.model_outputs if outputs else []
    return found[0].model_id if found else None


def version_model_id(client: MlflowClient, mv: ModelVersion) -> str | None:
    """The LoggedModel id of a registered version (some stores leave ``model_id`` empty
    and keep it only in the version's source, ``models:/<model id>``)."""
    if mv.model_id:
        return mv.model_id
    logged = _LOGGED.match(mv.source or "")
    if logged:
        return logged["model_id"]
    return logged_model_of_run(client, mv.run_id) if mv.run_id else None


def _identity(client: MlflowClient, uri: str, model: LoadedModel) -> dict[str, str | None]:
    registered = _REGISTERED.match(uri)
    if registered:
        name = registered["name"]
        if registered["alias"]:
            mv = client.get_model_version_by_alias(name, registered["alias"])
        else:
            mv = client.get_model_version(name, registered["version"])
        return dict(
            model_id=version_model_id(client, mv),
            run_id=mv.run_id,
            registered_name=name,
            version=str(mv.version),
        )
    logged = _LOGGED.match(uri)
    if logged:
        return dict(
            model_id=logged["model_id"],
            run_id=client.get_logged_model(logged["model_id"]).source_run_id,
        )
    run = _RUN.match(uri)
    run_id = run["run_id"] if run else model.metadata.get("mlflow_run_id")
    if not run_id:
        return {}
    model_id = logged_model_of_run(client, run_id)
    return dict(model_id=model_id, run_id=run_id if model_id or run else None)


def resolve(uri: str, trust: bool = False) -> ModelRef:
    """Load the model ``uri`` names (file, ``runs:/``, ``models:/``) and find its identity.

    A joblib file records the run that trained it; when that run is in the current
    tracking store, its LoggedModel is the one the evaluation is linked to.
    """
    model = load_model_uri(uri, trust=trust)
    client = MlflowClient()
    try:
        identity = _identity(client, uri, model)
    except MlflowException as err:
        if is_mlflow_uri(uri):
            raise ModelFileError(f"{uri}: {err.message}") from err
        identity = {}
    return ModelRef(uri, model, **identity)
