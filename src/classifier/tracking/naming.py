"""Names a person reads in the MLflow UI: run names, the short model name, logged model
names, and which config keys are housekeeping rather than part of what a run is.

A run is named after what defines it, so runs can be told apart in the runs table, the
compare view and plots: ``linear_svc`` for ``make train``, ``reuters-linear_svc`` for
``experiment=reuters``, ``logreg min_df=2`` for a sweep job (its swept values only), plus
whatever the command line changed (``linear_svc C=0.5``). ``run_name=...`` wins.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

# Config keys (and their subtrees) that say where things go or how a run is operated,
# not what was trained: kept in config.yaml, not logged as params, not in run names.
HOUSEKEEPING = (
    "mlflow",
    "output",
    "debug",
    "register",
    "registry",
    "run_name",
    "optimized_metric",
    "tagger.n_jobs",
    # Where the project, its data and its models are on this machine (conf/paths).
    "paths",
    "hydra",
)
# The tag a sweep job carries with its swept overrides (see classifier.training.sweep).
JOB_OVERRIDES_TAG = "sweep_job_overrides"
# Run names longer than this are cut (the UI shows about 40 characters of a name).
_MAX_NAME = 120
# Characters MLflow refuses in a logged model's name.
_BAD_MODEL_NAME = re.compile(r"[/:.%\"']+")


def is_housekeeping(key: str) -> bool:
    """True for a dotted config key under one of :data:`HOUSEKEEPING`."""
    return any(key == k or key.startswith(f"{k}.") for k in HOUSEKEEPING)


def _is_path(key: str) -> bool:
    """Paths differ between machines and say nothing about the run."""
    return key.rsplit(".", 1)[-1].endswith(("path", "dir"))


def model_name(cfg: DictConfig) -> str:
    """The classifier's class name (``LinearSVC``), from ``model._target_``."""
    model = cfg.get("model") or {}
    return str(model.get("_target_", "model")).rsplit(".", 1)[-1]


def logged_model_name(data_name: str, model: str) -> str:
    """The name of a run's logged model, e.g. ``demo-LinearSVC`` (MLflow refuses ``/:.%``)."""
    return _BAD_MODEL_NAME.sub("_", f"{data_name}-{model}" if model else data_name)


def split_override(override: str) -> tuple[str, str]:
    """``"model.C=1"`` -> ``("model.C", "1")``; Hydra's ``+``/``++``/``~`` prefixes dropped."""
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


def describe_overrides(overrides: Iterable[str]) -> list[str]:
    """``key=value`` parts of a run name: housekeeping and paths left out, keys shortened to
    their last segment unless two overrides share it (``C=1.0``, ``min_df=2``)."""
    pairs = [split_override(o) for o in overrides]
    pairs = [(k, v) for k, v in pairs if k and not is_housekeeping(k) and not _is_path(k)]
    leaves = [k.rsplit(".", 1)[-1] for k, _ in pairs]
    return [
        f"{leaf if leaves.count(leaf) == 1 else key}={value}"
        for (key, value), leaf in zip(pairs, leaves, strict=True)
    ]


def _choices() -> Mapping[str, Any]:
    """Hydra's chosen config group options (empty outside a Hydra app)."""
    if not HydraConfig.initialized():
        return {}
    return HydraConfig.get().runtime.choices


def _task_overrides() -> list[str]:
    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


def run_name(cfg: DictConfig, tags: Mapping[str, str]) -> str:
    """The run's name: ``cfg.run_name`` if set, else ``[<experiment or data>-]<model>`` and
    the overrides that define it (a sweep job's swept ones, else the command line's)."""
    if cfg.get("run_name"):
        return str(cfg.run_name)
    choices = _choices()
    model = choices.get("model") or model_name(cfg).lower()
    job = tags.get(JOB_OVERRIDES_TAG)
    overrides = shlex.split(job) if job is not None else _task_overrides()
    groups = dict(split_override(o) for o in overrides if "." not in split_override(o)[0])
    if choices.get("experiment"):
        prefix = str(choices["experiment"])
    elif "data" in groups:
        prefix = tags.get("data_name") or str(groups["data"])
    else:
        prefix = ""
    rest = [o for o in overrides if split_override(o)[0] not in ("model", "data", "experiment")]
    name = " ".join([f"{prefix}-{model}" if prefix else str(model), *describe_overrides(rest)])
    return name[:_MAX_NAME]
