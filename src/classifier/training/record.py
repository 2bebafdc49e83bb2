"""The MLflow record of one training run, the same steps for every trainer.

:func:`record_run` opens the run (tracking store, tags, resolved config); the trainer then
logs what it has through the :class:`RunRecord` it gets (data checks, CV scores, test
scores and plots) and ends with :meth:`RunRecord.save`, which logs the model card, writes
the model file, logs the model, registers it if asked, and returns the :class:`TrainResult`.
Every trainer thus logs the same card, plots and model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from classifier.data.corpus import Corpus
from classifier.data.records import DEFAULT_FIELDS, TextFields
from classifier.model.metrics import Evaluation
from classifier.model.persistence import library_versions, save_model
from classifier.model.tagger import TopicTagger
from classifier.tracking import naming
from classifier.tracking import runs as tracking
from classifier.tracking.model_card import DataFacts
from classifier.training.checks import DataReport

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


@dataclass
class RunRecord:
    """The open MLflow run of one training run and what it has logged so far."""

    cfg: DictConfig
    run_id: str
    data_name: str
    digest: str
    commit: str | None
    cv_metrics: dict[str, float] = field(default_factory=dict)

    def log_corpus(self, corpus: Corpus, report: DataReport) -> None:
        """The splits as MLflow datasets, their counts, and the findings of the data checks."""
        tracking.log_corpus(corpus, self.digest)
        tracking.log_data_report(report)

    def log_cv(self, scores: Mapping[str, float], seconds: float) -> None:
        """Cross-validation scores (``cv_*``, with ``_std``) and their time."""
        self.cv_metrics = {f"cv_{k}": v for k, v in scores.items()}
        tracking.log_metrics(self.cv_metrics)
        tracking.log_metrics({"cv_seconds": seconds})

    def log_test(
        self,
        evaluation: Evaluation,
        train_seconds: float,
        predict_seconds: float,
        extra: Mapping[str, float] | None = None,
    ) -> None:
        """Test scores (``test_*``, per-label table, plots), times and ``extra`` metrics."""
        tracking.log_evaluation(evaluation, prefix="test_")
        tracking.log_metrics(
            {
                "train_seconds": train_seconds,
                "test_predict_seconds": predict_seconds,
                **(extra or {}),
            }
        )

    def save(
        self,
        tagger: TopicTagger,
        evaluation: Evaluation,
        data: DataFacts,
        examples: list[str],
        metadata: Mapping[str, Any] | None = None,
        fields: TextFields = DEFAULT_FIELDS,
    ) -> TrainResult:
        """Log the model card (``data`` is what it says of the data), write the model file
        (with ``metadata`` and the text ``fields`` it was trained on), log the model and
        register it if the config asks; ``examples`` are the logged model's input example."""
        tracking.log_model_card(self.cfg, data, self.cv_metrics, evaluation, tagger)
        model_path = save_model(
            tagger,
            self.cfg.output.model_path,
            {
                "data_name": self.data_name,
                "data_digest": self.digest,
                "metrics": evaluation.prefixed("test_"),
                "mlflow_run_id": self.run_id,
                "git_commit": self.commit,
                **(metadata or {}),
            },
            fmt=self.cfg.output.format,
            fields=fields,
        )
        model_uri, version = publish_model(self.cfg, tagger, model_path, examples, fields)
        log.info("model written to %s (MLflow run %s)", model_path, self.run_id)
        return TrainResult(
            self.run_id, evaluation, model_path, model_uri, dict(self.cv_metrics), version
        )


@contextmanager
def record_run(
    cfg: DictConfig, data_name: str, digest: str, tags: Mapping[str, str] | None = None
) -> Iterator[RunRecord]:
    """Open the run of ``cfg`` in its tracking store with its tags (data, versions, git
    commit, plus ``tags``) and its resolved config; it ends FINISHED, FAILED or KILLED."""
    tracking.setup(cfg.mlflow.tracking_uri, cfg.mlflow.experiment)
    run_tags, commit = describe_run(digest, data_name, tags)
    with tracking.run(naming.run_name(cfg, run_tags), run_tags) as active:
        tracking.log_config(cfg)
        yield RunRecord(cfg, active.info.run_id, data_name, digest, commit)
