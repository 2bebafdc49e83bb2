"""Gated promotion: move a registry alias to the challenger only when it is better.

The challenger takes the alias (default ``champion``) when the lower bound of the paired
bootstrap interval of its difference from the current champion, on the chosen metric, is
above ``margin``. Otherwise the alias stays where it is. Either way the decision, both
scores and the interval are recorded as tags on the challenger's model version (on its
LoggedModel when it was never registered and is refused).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from classifier.errors import ConfigError
from classifier.evaluation.bootstrap import PairedResult
from classifier.evaluation.models import ModelRef, version_model_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """Where and how to promote: registered model, alias, metric and required margin."""

    name: str
    alias: str = "champion"
    metric: str = "micro_f1"
    margin: float = 0.0


@dataclass(frozen=True)
class Decision:
    """What a promotion did; ``message`` is the one line the user sees."""

    promoted: bool
    message: str
    tags: dict[str, str]


def current_champion(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version ``alias`` points at, or None (no such model, or alias not set yet)."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def _version_of(client: MlflowClient, ref: ModelRef, name: str) -> str | None:
    """The challenger's version of ``name`` if it is registered there."""
    if ref.registered_name == name:
        return ref.version
    if not ref.model_id:
        return None
    for mv in client.search_model_versions(f"name = '{name}'"):
        if version_model_id(client, mv) == ref.model_id:
            return str(mv.version)
    return None


def _register(ref: ModelRef, name: str) -> str:
    if not ref.model_id:
        raise ConfigError(
            f"{ref.uri}: cannot be promoted, it is not a logged MLflow model "
            "(give it as runs:/<run id> or models:/<name>/<version>)"
        )
    version = str(mlflow.register_model(f"models:/{ref.model_id}", name).version)
    log.info("registered %s as %s version %s", ref.uri, name, version)
    return version


def _tags(
    policy: Policy, result: PairedResult | None, score: float, run_id: str | None
) -> dict[str, str]:
    tags = {
        "promotion.alias": policy.alias,
        "promotion.metric": policy.metric,
        "promotion.margin": f"{policy.margin:g}",
        "promotion.challenger_score": f"{score:.6f}",
    }
    if run_id:
        tags["promotion.eval_run_id"] = run_id
    if result is not None:
        tags.update(
            {
                "promotion.champion_score": f"{result.score_a:.6f}",
                "promotion.delta": f"{result.delta:.6f}",
                "promotion.ci_low": f"{result.ci_low:.6f}",
                "promotion.ci_high": f"{result.ci_high:.6f}",
                "promotion.confidence": f"{result.confidence:g}",
                "promotion.p_value": f"{result.p_value:.6f}",
            }
        )
    return tags


def promote(
    challenger: ModelRef,
    champion: ModelVersion | None,
    result: PairedResult | None,
    policy: Policy,
    score: float,
    run_id: str | None = None,
) -> Decision:
    """Decide, move the alias when the challenger wins, and tag the challenger.

    ``result`` compares the challenger (b) with the champion (a) on ``policy.metric``; it
    is None only for the first promotion, when there is no champion yet. ``score`` is the
    challenger's own score on that metric.
    """
    client = MlflowClient()
    name, alias, margin = policy.name, policy.alias, policy.margin
    version = _version_of(client, challenger, name)
    tags = _tags(policy, result, score, run_id)
    if champion is None:
        promoted = True
        message = f"no model of {name} had @{alias} yet: first promotion, allowed"
    elif version is not None and str(champion.version) == version:
        raise ConfigError(f"{challenger.uri} is already {name}@{alias}; nothing to promote")
    else:
        tags["promotion.champion_version"] = str(champion.version)
        promoted = result.ci_low > margin
        bound = "above" if promoted else "not above"
        message = (
            f"{result.metric} {result.score_b:.4f} against {result.score_a:.4f} "
            f"({name}/{champion.version}): difference {result.delta:+.4f}, "
            f"{result.confidence:.0%} interval [{result.ci_low:+.4f}, {result.ci_high:+.4f}], "
            f"lower bound {bound} the margin {margin:+.4f}"
        )
    tags["promotion.decision"] = "promoted" if promoted else "refused"
    if promoted:
        version = version or _register(challenger, name)
        client.set_registered_model_alias(name, alias, version)
        message = f"promoted {name}/{version} to @{alias}: {message}"
    else:
        message = f"refused: {challenger.short} does not take @{alias}: {message}"
    if version is not None:
        for key, value in tags.items():
            client.set_model_version_tag(name, version, key, value)
    elif challenger.model_id:
        mlflow.set_logged_model_tags(challenger.model_id, tags)
    return Decision(promoted, message, tags)
