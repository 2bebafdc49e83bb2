"""``evaluate.py`` from config: read the labelled articles, score each model, compare them
with a paired bootstrap, log to MLflow and, with ``promote=true``, move the alias."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient
from omegaconf import DictConfig, OmegaConf

from classifier.errors import ConfigError, DataError
from classifier.evaluation import report
from classifier.evaluation import tracking as log_eval
from classifier.evaluation.bootstrap import METRICS, PairedResult, paired_bootstrap
from classifier.evaluation.evaluate import ModelScores, predictions_over, score_model, truth_over
from classifier.evaluation.labelled import LabelledSet, load_for_models
from classifier.evaluation.models import ModelRef, resolve, version_model_id
from classifier.evaluation.promotion import Decision, Policy, current_champion, promote
from classifier.tracking import runs

# Differences always reported between compared models (the promotion metric is added).
COMPARED = ("micro_f1", "macro_f1")
# Unknown labels named in a message before "and N more".
_NAMED = 10


@dataclass(frozen=True)
class Scored:
    """A model and its scores on the evaluation file."""

    ref: ModelRef
    scores: ModelScores


def _policy(cfg: DictConfig) -> Policy:
    policy = Policy(
        cfg.registry.name, cfg.promotion.alias, cfg.promotion.metric, float(cfg.promotion.margin)
    )
    if policy.metric not in METRICS:
        raise ConfigError(
            f"promotion.metric={policy.metric!r}; choose one of: {', '.join(METRICS)}"
        )
    return policy


def _uris(cfg: DictConfig) -> list[str]:
    compare = OmegaConf.to_container(cfg.compare) if OmegaConf.is_config(cfg.compare) else None
    if compare is None and cfg.compare is not None:
        raise ConfigError(
            "compare must be a list of model URIs, e.g. compare='[a.joblib, b.joblib]'"
        )
    uris = [str(u) for u in compare] if compare else [str(cfg.model_uri)]
    if compare is not None and len(uris) < 2:
        raise ConfigError("compare needs two or more models")
    return uris


def _check_labels(found: LabelledSet, scored: Scored, fail: bool) -> str | None:
    """A warning naming the labels the model does not know; an error when nothing it knows
    is in the file, or (``fail``) when any label is unknown."""
    unknown = scored.scores.unknown
    names = ", ".join(f"{k} ({v})" for k, v in list(unknown.items())[:_NAMED])
    if len(unknown) > _NAMED:
        names += f" and {len(unknown) - _NAMED} more"
    what = f"{len(unknown)} label(s) {scored.ref.short} does not know"
    if not scored.scores.evaluation.y_true.any():
        detail = f"; the file's labels: {names}" if unknown else ""
        raise DataError(
            f"{found.source}: no article has a label that {scored.ref.short} knows{detail} "
            "(check data.label_field, data.label_sep and the labels map)"
        )
    if not unknown:
        return None
    message = f"{scored.scores.unknown_articles} article(s) carry {what}: {names}"
    if fail:
        raise DataError(f"{found.source}: {message} (unknown_labels=fail)")
    return f"{message}; these labels are left out of the scores"


def compare_models(
    scored: list[Scored], found: LabelledSet, metrics: list[str], cfg: DictConfig
) -> list[tuple[str, str, PairedResult]]:
    """Every pair (a earlier in the list than b): b - a on ``metrics``, paired bootstrap."""
    labels = sorted({label for s in scored for label in s.scores.labels})
    truth = truth_over(found.split, labels)
    preds = [predictions_over(s.scores, labels) for s in scored]
    pairs = []
    for i in range(len(scored)):
        for j in range(i + 1, len(scored)):
            for metric in metrics:
                result = paired_bootstrap(
                    truth,
                    preds[i],
                    preds[j],
                    metric,
                    cfg.bootstrap.samples,
                    cfg.bootstrap.confidence,
                    cfg.bootstrap.seed,
                )
                pairs.append((scored[i].ref.short, scored[j].ref.short, result))
    return pairs


def _print_scores(found: LabelledSet, scored: list[Scored], per_label: bool) -> None:
    names = [s.ref.short for s in scored]
    print(report.show(report.metrics_table(names, [s.scores for s in scored])))
    if not per_label:
        return
    print()
    if len(scored) == 1:
        print(report.show(report.per_label_table(scored[0].scores)))
    else:
        print(report.show(report.per_label_f1(names, [s.scores for s in scored])))


def run_evaluation(cfg: DictConfig) -> int:
    """Evaluate as ``cfg`` says; print the results; return the exit code (1: refused)."""
    # MLflow's download progress bars would bury the results on standard error.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    policy = _policy(cfg)
    uris = _uris(cfg)
    runs.setup(cfg.mlflow.tracking_uri, cfg.mlflow.experiment)
    refs = [resolve(uri, cfg.trust) for uri in uris]
    champion = None
    if cfg.promote:
        refs, champion = _with_champion(refs, policy, cfg.trust)
    # Each model reads the articles with the fields it was trained with (or data.text_fields).
    found, splits = load_for_models(
        cfg.data,
        [ref.model.fields for ref in refs],
        cfg.labels.get("map"),
        cfg.labels.get("keep_unmapped", True),
    )
    print(found.summary())
    for reject in found.rejects[:3]:
        print(f"warning: line {reject.line}: {reject.reason}", file=sys.stderr)
    scored = [
        Scored(ref, score_model(ref.model, split)) for ref, split in zip(refs, splits, strict=True)
    ]
    for item in scored:
        warning = _check_labels(found, item, cfg.unknown_labels == "fail")
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    _print_scores(found, scored, cfg.per_label)
    metrics = list(dict.fromkeys([*COMPARED, policy.metric]))
    pairs = compare_models(scored, found, metrics, cfg) if len(scored) > 1 else []
    if pairs:
        print()
        print(report.show(report.pairs_table(pairs)))
    decision = _log(cfg, found, scored, pairs, policy, champion)
    if decision is None:
        return 0
    print(decision.message, file=sys.stdout if decision.promoted else sys.stderr)
    return 0 if decision.promoted else 1


def _with_champion(
    refs: list[ModelRef], policy: Policy, trust: bool
) -> tuple[list[ModelRef], ModelVersion | None]:
    """The models to score for a promotion: the current champion first (if there is
    one), then the one challenger."""
    client = MlflowClient()
    champion = current_champion(client, policy.name, policy.alias)
    champion_id = version_model_id(client, champion) if champion else None
    others = [r for r in refs if champion is None or r.model_id != champion_id]
    if len(others) != 1:
        raise ConfigError(
            "promote=true needs exactly one challenger besides the champion: "
            "model_uri=<challenger>, or compare=[<champion>, <challenger>]"
        )
    if champion is None:
        return others, None
    first = next((r for r in refs if r.model_id == champion_id), None)
    first = first or resolve(f"models:/{policy.name}@{policy.alias}", trust)
    return [first, others[0]], champion


def _log(
    cfg: DictConfig,
    found: LabelledSet,
    scored: list[Scored],
    pairs: list[tuple[str, str, PairedResult]],
    policy: Policy,
    champion: ModelVersion | None,
) -> Decision | None:
    """Log the evaluation (one run, or a parent with a run per model) and promote."""
    data = log_eval.dataset(found)
    top = cfg.pr_curves
    name = cfg.run_name or f"eval-{found.name}"
    with log_eval.evaluation_run(name, {"eval_data": found.source}) as active:
        runs.log_config(cfg)
        if len(scored) == 1 and not cfg.promote:
            log_eval.log_model_evaluation(scored[0].ref, scored[0].scores, found, data, top)
            print(f"logged to MLflow run {active.info.run_id}")
            return None
        for item in scored:
            with log_eval.evaluation_run(f"eval-{item.ref.short}", {}, nested=True):
                log_eval.log_model_evaluation(item.ref, item.scores, found, data, top)
        if pairs:
            log_eval.log_comparison(pairs, policy.margin if cfg.promote else None)
        print(f"logged to MLflow run {active.info.run_id}")
        if not cfg.promote:
            return None
        challenger = scored[-1]
        result = next((r for _, _, r in pairs if r.metric == policy.metric), None)
        score = challenger.scores.evaluation.metrics[policy.metric]
        decision = promote(challenger.ref, champion, result, policy, score, active.info.run_id)
        runs.log_metrics({"promotion_promoted": float(decision.promoted)})
        mlflow.set_tags(decision.tags)
    return decision
