"""One training run as the config describes it: which trainer, which data, which tagger.

The trainer is a config choice (``conf/trainer/``: ``memory`` or ``streaming``), built with
``hydra.utils.instantiate``; each one checks first that the rest of the config is
something it can do (:meth:`Trainer.check`), so an impossible combination is one
``error:`` line before any data is read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hydra.utils import instantiate
from omegaconf import DictConfig

from classifier.data.corpus import Corpus
from classifier.data.labels import apply_label_map
from classifier.errors import ConfigError
from classifier.model.tagger import TopicTagger
from classifier.training.crossval import check_metric
from classifier.training.record import TrainResult

log = logging.getLogger(__name__)


class Trainer:
    """What ``conf/trainer/*.yaml`` builds: checks a config, then trains and logs one run."""

    #: The option name in ``conf/trainer/``, used in error messages.
    name = "trainer"

    def check(self, cfg: DictConfig) -> None:
        """Raise :class:`ConfigError` for a setting this trainer cannot honour."""

    def train(self, cfg: DictConfig, tags: Mapping[str, str] | None = None) -> TrainResult:
        """Train, evaluate, save and log the run; ``tags`` are added to its MLflow run."""
        raise NotImplementedError


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
    """Run one experiment as ``cfg`` describes it with the trainer of ``cfg.trainer``.

    ``tags`` are added to the run (a sweep passes its parent run id and sweep id).
    """
    if cfg.get("register") and not cfg.mlflow.log_model:
        raise ConfigError(
            "register=true needs mlflow.log_model=true (the registry holds logged models)"
        )
    trainer = instantiate(cfg.trainer)
    if not isinstance(trainer, Trainer):
        raise ConfigError(f"trainer._target_={cfg.trainer._target_!r} is not a Trainer")
    trainer.check(cfg)
    return trainer.train(cfg, tags)


def optimized_value(cfg: DictConfig, result: TrainResult) -> float | None:
    """The ``cfg.optimized_metric`` of ``result`` (a cv_* metric), what sweeps optimise.

    None when cross-validation is off (``cv.folds`` 0 or 1): the test split never stands in.
    """
    metric = check_metric(cfg.optimized_metric)
    value = result.cv_metrics.get(metric)
    if value is None:
        log.warning("%s is not available (cv.folds=%s): nothing to optimise", metric, cfg.cv.folds)
    return value
