"""The in-memory trainer (``trainer=memory``, the default): the whole corpus is loaded,
checked, cross-validated, fitted with threshold tuning and evaluated on its test split."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from omegaconf import DictConfig

from classifier.model.metrics import evaluate
from classifier.tracking.model_card import DataFacts
from classifier.training.checks import check_corpus
from classifier.training.crossval import cross_validate
from classifier.training.record import RunRecord, TrainResult, record_run
from classifier.training.trainer import Trainer, build_tagger, load_corpus

log = logging.getLogger(__name__)


class MemoryTrainer(Trainer):
    """Fits the tagger on the whole training split at once (any features, any model)."""

    name = "memory"

    def train(self, cfg: DictConfig, tags: Mapping[str, str] | None = None) -> TrainResult:
        """Load and check the corpus, cross-validate, fit, evaluate, save and log."""
        corpus, data_report = check_corpus(load_corpus(cfg), cfg.checks.min_count)
        tagger = build_tagger(cfg)
        log.info(
            "data %s: %d train / %d test articles, %d labels (%s)",
            corpus.name,
            len(corpus.train),
            len(corpus.test),
            len(corpus.label_names),
            "multi-label" if corpus.multilabel else "single-label",
        )
        with record_run(cfg, corpus.name, corpus.digest(), tags) as record:
            record.log_corpus(corpus, data_report)
            if cfg.cv.folds and cfg.cv.folds > 1:
                self._cross_validate(cfg, tagger, corpus.train, record)

            started = time.perf_counter()
            tagger.fit(corpus.train.texts, corpus.train.labels)
            train_seconds = time.perf_counter() - started
            started = time.perf_counter()
            evaluation = evaluate(tagger, corpus.test)
            record.log_test(evaluation, train_seconds, time.perf_counter() - started)
            log.info(
                "test micro-F1 %.4f, macro-F1 %.4f (trained in %.1fs)",
                evaluation.metrics["micro_f1"],
                evaluation.metrics["macro_f1"],
                train_seconds,
            )
            return record.save(
                tagger,
                evaluation,
                DataFacts.of(corpus),
                corpus.test.texts[:2],
                fields=corpus.fields,
            )

    @staticmethod
    def _cross_validate(cfg: DictConfig, tagger, split, record: RunRecord) -> None:
        started = time.perf_counter()
        scores = cross_validate(tagger, split, cfg.cv.folds, cfg.seed, stratify=cfg.cv.stratify)
        record.log_cv(scores, time.perf_counter() - started)
        log.info(
            "%d-fold CV micro-F1 %.4f ± %.4f",
            cfg.cv.folds,
            scores["micro_f1"],
            scores["micro_f1_std"],
        )
