"""One training run: load data, build the tagger from config, fit, evaluate, log, save."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig

from classifier.data.corpus import Corpus
from classifier.data.labels import apply_label_map
from classifier.data.records import DEFAULT_FIELDS, TextFields
from classifier.errors import ConfigError
from classifier.model.metrics import Evaluation, evaluate
from classifier.model.persistence import library_versions, save_model
from classifier.model.tagger import TopicTagger
from classifier.tracking import naming
from classifier.tracking import runs as tracking
from classifier.training.checks import check_corpus
from classifier.training.crossval import check_metric, cross_validate
from classifier.training.streaming import is_out_of_core, train_out_of_core

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What a run produced: its MLflow run id, CV and test scores, where the model is."""

    run_id: str
    evaluation: Evaluation
    model_path: Path
    model_uri: str | None
    # cv_* metrics ({} when cross-validation is off): what model choice looks at.
    cv_metrics: dict[str, float] = field(default_factory=dict)
    registered_version: str | None = None


def load_corpus(cfg: DictConfig) -> Corpus:
    """The data set of ``cfg.data``, with the label map of ``cfg.labels`` applied."""
    corpus = instantiate(cfg.data, _convert_="all")
    labels = cfg.get("labels") or {}
    return apply_label_map(corpus, labels.get("map"), labels.get("keep_unmapped", True))


def build_tagger(cfg: DictConfig) -> TopicTagger:
    """The unfitted tagger that ``cfg`` (preprocess, features, model, tagger) describes."""
    return TopicTagger(
        classifier=instantiate(cfg.model),
        features=instantiate(cfg.features, _convert_="all"),
        cleaner=instantiate(cfg.preprocess),
        random_state=cfg.seed,
        **cfg.tagger,
    )


def train(cfg: DictConfig, tags: Mapping[str, str] | None = None) -> TrainResult:
    """Run one experiment as ``cfg`` describes it and log it to MLflow.

    ``tags`` are added to the run (a sweep passes its parent run id and sweep id).
    """
    if cfg.get("register") and not cfg.mlflow.log_model:
        raise ConfigError(
            "register=true needs mlflow.log_model=true (the registry holds logged models)"
        )
    if is_out_of_core(cfg):  # features=hashing: stream the files through partial_fit
        return train_out_of_core(cfg, tags)
    corpus, data_report = check_corpus(load_corpus(cfg), cfg.checks.min_count)
    tagger = build_tagger(cfg)
    digest = corpus.digest()
    log.info(
        "data %s: %d train / %d test articles, %d labels (%s)",
        corpus.name,
        len(corpus.train),
        len(corpus.test),
        len(corpus.label_names),
        "multi-label" if corpus.multilabel else "single-label",
    )
    tracking.setup(cfg.mlflow.tracking_uri, cfg.mlflow.experiment)
    run_tags, commit = describe_run(digest, corpus.name, tags)
    cv_metrics: dict[str, float] = {}
    with tracking.run(naming.run_name(cfg, run_tags), run_tags) as active:
        run_id = active.info.run_id
        tracking.log_config(cfg)
        tracking.log_corpus(corpus, digest)
        tracking.log_data_report(data_report)

        if cfg.cv.folds and cfg.cv.folds > 1:
            started = time.perf_counter()
            cv_scores = cross_validate(
                tagger, corpus.train, cfg.cv.folds, cfg.seed, stratify=cfg.cv.stratify
            )
            cv_metrics = {f"cv_{k}": v for k, v in cv_scores.items()}
            tracking.log_metrics(cv_metrics)
            tracking.log_metrics({"cv_seconds": time.perf_counter() - started})
            log.info(
                "%d-fold CV micro-F1 %.4f ± %.4f",
                cfg.cv.folds,
                cv_scores["micro_f1"],
                cv_scores["micro_f1_std"],
            )

        started = time.perf_counter()
        tagger.fit(corpus.train.texts, corpus.train.labels)
        train_seconds = time.perf_counter() - started

        started = time.perf_counter()
        evaluation = evaluate(tagger, corpus.test)
        predict_seconds = time.perf_counter() - started
        tracking.log_evaluation(evaluation, prefix="test_")
        tracking.log_metrics(
            {"train_seconds": train_seconds, "test_predict_seconds": predict_seconds}
        )
        log.info(
            "test micro-F1 %.4f, macro-F1 %.4f (trained in %.1fs)",
            evaluation.metrics["micro_f1"],
            evaluation.metrics["macro_f1"],
            train_seconds,
        )

        model_path = save_model(
            tagger,
            cfg.output.model_path,
            {
                "data_name": corpus.name,
                "data_digest": digest,
                "metrics": evaluation.prefixed("test_"),
                "mlflow_run_id": run_id,
                "git_commit": commit,
            },
            fmt=cfg.output.format,
            fields=corpus.fields,
        )
        tracking.log_model_card(cfg, corpus, cv_metrics, evaluation, tagger)
        examples = corpus.test.texts[:2]
        model_uri, registered_version = publish_model(
            cfg, tagger, model_path, examples, corpus.fields
        )
        log.info("model written to %s (MLflow run %s)", model_path, run_id)
    return TrainResult(run_id, evaluation, model_path, model_uri, cv_metrics, registered_version)


def describe_run(
    digest: str, data_name: str, tags: Mapping[str, str] | None = None
) -> tuple[dict[str, str], str | None]:
    """The tags of a training run (data digest and name, library versions, git commit,
    plus ``tags``) and the git commit, which the model file records too."""
    run_tags = {"data_digest": digest, "data_name": data_name, **(tags or {})}
    run_tags.update({f"version.{name}": v for name, v in library_versions().items()})
    commit = tracking.git_commit()
    if commit:
        run_tags["git_commit"] = commit
    return run_tags, commit


def publish_model(
    cfg: DictConfig,
    tagger: TopicTagger,
    model_path: Path,
    examples: list[str],
    fields: TextFields = DEFAULT_FIELDS,
) -> tuple[str | None, str | None]:
    """Log the saved model to the active run (``mlflow.log_model``) and register it
    (``register``); returns the logged model's URI and the registered version."""
    model_uri = None
    if cfg.mlflow.log_model:
        model_uri = tracking.log_model(tagger, model_path, examples, fields)
    version = None
    if cfg.get("register"):
        version = tracking.register_model(model_uri, cfg.registry.name, cfg.registry.get("alias"))
    return model_uri, version


def optimized_value(cfg: DictConfig, result: TrainResult) -> float | None:
    """The ``cfg.optimized_metric`` of ``result`` (a cv_* metric), what sweeps optimise.

    None when cross-validation is off (``cv.folds`` 0 or 1): the test split never stands in.
    """
    metric = check_metric(cfg.optimized_metric)
    value = result.cv_metrics.get(metric)
    if value is None:
        log.warning("%s is not available (cv.folds=%s): nothing to optimise", metric, cfg.cv.folds)
    return value
