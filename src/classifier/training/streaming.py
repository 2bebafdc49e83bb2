"""The streaming (out-of-core) trainer, ``trainer=streaming``: labelled files are read in
chunks (:mod:`classifier.data.chunks`), hashed and passed to the tagger's ``partial_fit``,
so neither the corpus nor its matrix is ever held in memory whole.

``features=hashing`` selects it (``conf/features/hashing.yaml``). The result is an ordinary
:class:`~classifier.model.tagger.TopicTagger` saved with the same record as the in-memory
trainer (:mod:`classifier.training.record`), so ``predict.py`` uses it like any other model;
it is evaluated on the test file (also streamed) and logged to MLflow like a normal run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig
from sklearn.base import clone

from classifier.data.chunks import Chunk, read_chunks
from classifier.data.records import JOIN, TextFields
from classifier.errors import ConfigError, DataError
from classifier.model.features import is_stateless
from classifier.model.metrics import Evaluation, score_indicators
from classifier.model.persistence import file_sha256
from classifier.model.tagger import TopicTagger
from classifier.tracking.model_card import DataFacts
from classifier.training.record import TrainResult, record_run
from classifier.training.trainer import Trainer, build_tagger

log = logging.getLogger(__name__)

# What this trainer cannot do, as (config key, why, what to set): each is one error line.
_REFUSED = (
    ("cv.folds", "cross-validation needs the whole corpus in memory", "cv.folds=0"),
    (
        "tagger.tune_thresholds",
        "threshold tuning needs out-of-fold scores of the whole corpus",
        "tagger.tune_thresholds=false",
    ),
    ("labels.map", "label maps are applied to a corpus in memory", "labels=none"),
)


def discover_labels(chunks: Iterator[Chunk]) -> tuple[list[str], bool, int]:
    """First pass: sorted label names, whether the data is multi-label, and the row count."""
    names: set[str] = set()
    multilabel = False
    rows = 0
    for chunk in chunks:
        rows += len(chunk.texts)
        for item in chunk.labels:
            names.update(item)
            multilabel = multilabel or len(item) != 1
    return sorted(names), multilabel, rows


def fit_streaming(
    tagger: TopicTagger,
    chunks_per_epoch: Callable[[], Iterator[Chunk]],
    labels: list[str],
    multilabel: bool,
    epochs: int = 1,
    seed: int = 0,
    label_counts: Counter[str] | None = None,
) -> tuple[TopicTagger, dict[str, int]]:
    """Fit a clone of ``tagger`` (stateless features) on ``chunks_per_epoch()`` chunks.

    Rows are shuffled within each chunk; single-label rows whose label is unknown, or that
    have no label or several, are skipped and counted. Returns the tagger and the counts;
    ``label_counts``, if given, gets how many rows trained on carry each label (one epoch).
    """
    if len(labels) < 2:
        raise DataError(f"training data has {len(labels)} distinct label(s) {labels}")
    tagger = clone(tagger)
    known = set(labels)
    rng = np.random.default_rng(seed)
    counts = {"rows": 0, "skipped": 0, "dropped": 0, "chunks": 0}
    for epoch in range(epochs):
        for chunk in chunks_per_epoch():
            counts["dropped"] += chunk.dropped
            texts, item_labels = chunk.texts, chunk.labels
            if not multilabel:
                keep = [
                    i for i, item in enumerate(item_labels) if len(item) == 1 and item[0] in known
                ]
                counts["skipped"] += len(texts) - len(keep)
                texts = [texts[i] for i in keep]
                item_labels = [item_labels[i] for i in keep]
            if not texts:
                continue
            if label_counts is not None and epoch == 0:
                label_counts.update(label for item in item_labels for label in item)
            order = rng.permutation(len(texts))
            tagger.partial_fit(
                [texts[i] for i in order],
                [item_labels[i] for i in order],
                classes=labels,
                multilabel=multilabel,
            )
            counts["rows"] += len(texts)
            counts["chunks"] += 1
    if counts["rows"] == 0:
        raise DataError("no training rows with usable labels")
    return tagger, counts


def evaluate_streaming(tagger: TopicTagger, chunks: Iterator[Chunk]) -> Evaluation:
    """Score the tagger on a streamed split; only the two indicator matrices are kept."""
    trues, preds = [], []
    for chunk in chunks:
        if chunk.texts:
            trues.append(tagger.indicator_from_labels(chunk.labels))
            preds.append(tagger.predict_indicator(chunk.texts))
    if not trues:
        raise DataError("the test file has no rows")
    return score_indicators(
        np.vstack(trues), np.vstack(preds), list(tagger.labels_), tagger.multilabel_
    )


class StreamingTrainer(Trainer):
    """Trains from files too large for memory (``conf/trainer/streaming.yaml``).

    ``chunk_size`` rows are read, vectorised and passed to ``partial_fit`` at a time;
    ``epochs`` passes are made. ``labels`` and ``multilabel`` (None: found in a first pass
    over the training file) declare the label names and whether the data is multi-label.
    """

    name = "streaming"

    def __init__(
        self,
        chunk_size: int = 10000,
        epochs: int = 1,
        labels: Sequence[str] | None = None,
        multilabel: bool | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ConfigError(f"trainer.chunk_size={chunk_size} must be at least 1")
        if epochs < 1:
            raise ConfigError(f"trainer.epochs={epochs} must be at least 1")
        self.chunk_size = chunk_size
        self.epochs = epochs
        self.labels = sorted(labels) if labels is not None else None
        self.multilabel = None if multilabel is None else bool(multilabel)

    def check(self, cfg: DictConfig) -> None:
        """Files with both splits, stateless features, a model with ``partial_fit``, and
        nothing that needs the corpus in memory."""
        data = cfg.data
        if "train_path" not in data:
            raise ConfigError("trainer=streaming streams files: use data=files with its paths")
        if not data.get("test_path"):
            raise ConfigError("trainer=streaming needs data.test_path (no in-memory hold-out)")
        asked = {
            "cv.folds": (cfg.cv.folds or 0) > 1,
            "tagger.tune_thresholds": bool(cfg.tagger.get("tune_thresholds")),
            "labels.map": bool((cfg.get("labels") or {}).get("map")),
        }
        for key, why, fix in _REFUSED:
            if asked[key]:
                raise ConfigError(f"trainer=streaming cannot honour {key}: {why}; set {fix}")
        features = instantiate(cfg.features, _convert_="all")
        if not is_stateless(features):
            raise ConfigError(
                f"trainer=streaming needs features that learn nothing from the data "
                f"(features=hashing); {type(features).__name__} fits on the whole corpus"
            )
        if not hasattr(instantiate(cfg.model), "partial_fit"):
            raise ConfigError(
                f"trainer=streaming needs a model with partial_fit (model=sgd); "
                f"{cfg.model._target_} has none"
            )

    def train(self, cfg: DictConfig, tags: Mapping[str, str] | None = None) -> TrainResult:
        """Stream, fit, evaluate on the streamed test file, save and log one run."""
        data = cfg.data

        def chunks(path: str) -> Iterator[Chunk]:
            return read_chunks(
                path, list(data.text_fields), data.label_field, data.label_sep, self.chunk_size
            )

        labels, multilabel = self._labels(chunks(data.train_path))
        digest = file_sha256(data.train_path)[:16] + file_sha256(data.test_path)[:16]
        name = data.get("name") or Path(data.train_path).stem
        run_tags = {"training": "out-of-core", **(tags or {})}
        with record_run(cfg, name, digest, run_tags) as record:
            started = time.perf_counter()
            label_counts: Counter[str] = Counter()
            tagger, counts = fit_streaming(
                build_tagger(cfg),
                lambda: chunks(data.train_path),
                labels,
                multilabel,
                self.epochs,
                cfg.seed,
                label_counts,
            )
            train_seconds = time.perf_counter() - started
            started = time.perf_counter()
            evaluation = evaluate_streaming(tagger, chunks(data.test_path))
            record.log_test(
                evaluation,
                train_seconds,
                time.perf_counter() - started,
                {
                    "train_rows": counts["rows"] / self.epochs,
                    "train_rows_skipped": counts["skipped"] / self.epochs,
                    "test_rows": len(evaluation.y_true),
                },
            )
            log.info(
                "out-of-core: %d rows in %d chunks, test micro-F1 %.4f (trained in %.1fs)",
                counts["rows"],
                counts["chunks"],
                evaluation.metrics["micro_f1"],
                train_seconds,
            )
            examples = next(chunks(data.test_path)).texts[:2] if cfg.mlflow.log_model else []
            fields = TextFields(tuple(data.text_fields), JOIN, data.get("id_field") or "id")
            facts = DataFacts(
                name=name,
                source=str(data.train_path),
                n_train=counts["rows"] // self.epochs,
                n_test=len(evaluation.y_true),
                label_names=labels,
                multilabel=multilabel,
                train_counts=label_counts,
                checked=False,
            )
            return record.save(
                tagger, evaluation, facts, examples, {"training": "out-of-core"}, fields
            )

    def _labels(self, chunks: Iterator[Chunk]) -> tuple[list[str], bool]:
        """The declared labels and kind, or what a first pass over the training file finds."""
        if self.labels is not None and self.multilabel is not None:
            return self.labels, self.multilabel
        started = time.perf_counter()
        labels, multilabel, rows = discover_labels(chunks)
        log.info(
            "first pass: %d rows, %d labels (%.1fs)",
            rows,
            len(labels),
            time.perf_counter() - started,
        )
        labels = labels if self.labels is None else self.labels
        return labels, multilabel if self.multilabel is None else self.multilabel
