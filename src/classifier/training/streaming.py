"""Out-of-core training: stream labelled files in chunks through hashed features and
``partial_fit``, so neither the corpus nor its matrix is ever held in memory whole.

Chosen by ``features=hashing`` (``conf/features/hashing.yaml``, which adds the ``outofcore``
settings). The result is an ordinary :class:`~classifier.model.tagger.TopicTagger` saved with
:func:`~classifier.model.persistence.save_model`, so ``predict.py`` uses it like any other model;
it is evaluated on the test file (also streamed) and logged to MLflow like a normal run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from omegaconf import DictConfig
from sklearn.base import BaseEstimator, clone
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelBinarizer

from classifier.data.loaders import _as_labels, builder_for
from classifier.data.records import JOIN, NotText, TextFields, article_text
from classifier.errors import ConfigError, DataError
from classifier.model.cleaning import TextCleaner
from classifier.model.metrics import Evaluation, score_indicators
from classifier.model.persistence import file_sha256, save_model
from classifier.model.tagger import TopicTagger
from classifier.tracking import naming
from classifier.tracking import runs as tracking

log = logging.getLogger(__name__)

HASHING_TARGET = "classifier.model.features.build_hashing"


@dataclass(frozen=True)
class Chunk:
    """At most ``chunk_size`` labelled rows of a file."""

    texts: list[str]
    labels: list[list[str]]
    dropped: int = 0


def is_out_of_core(cfg: DictConfig) -> bool:
    """True when the config asks for streaming training (``features=hashing``)."""
    return "outofcore" in cfg and cfg.features.get("_target_") == HASHING_TARGET


def _frames(path: str, columns: Sequence[str], chunk_size: int) -> Iterator[pd.DataFrame]:
    """The file as pandas frames of at most ``chunk_size`` rows (pandas' and pyarrow's own
    chunked readers: only one chunk is in memory at a time)."""
    if not Path(path).is_file():
        raise DataError(f"{path}: file not found")
    kind = builder_for(path)
    try:
        if kind == "parquet":
            parquet = pq.ParquetFile(path)
            present = [c for c in columns if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=chunk_size, columns=present):
                yield batch.to_pandas()
        elif kind == "csv":
            yield from pd.read_csv(path, chunksize=chunk_size, dtype=str, keep_default_na=False)
        else:
            yield from pd.read_json(path, lines=True, chunksize=chunk_size, dtype=False)
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: cannot be read ({type(err).__name__}: {err})") from err


def read_chunks(
    path: str,
    text_fields: Sequence[str],
    label_field: str,
    label_sep: str | None = None,
    chunk_size: int = 10000,
) -> Iterator[Chunk]:
    """Labelled rows of a JSONL, CSV or Parquet file, ``chunk_size`` at a time.

    Text fields are joined by :func:`~classifier.data.records.article_text` and rows
    without text are dropped (counted in ``Chunk.dropped``), as
    :func:`classifier.data.loaders.dataset_to_split` does.
    """
    if chunk_size < 1:
        raise ConfigError(f"outofcore.chunk_size={chunk_size} must be at least 1")
    for frame in _frames(path, [*text_fields, label_field], chunk_size):
        missing = [f for f in [*text_fields, label_field] if f not in frame.columns]
        if missing:
            raise DataError(
                f"{path}: field(s) {missing} not found; the data has fields {list(frame.columns)}"
            )
        texts, labels = [], []
        names = list(text_fields)
        parts = frame[names].to_numpy(dtype=object)
        for row, raw in zip(parts, frame[label_field].tolist(), strict=True):
            try:
                text = article_text(dict(zip(names, row, strict=True)), names)
            except NotText:
                text = ""
            if text:
                texts.append(text)
                labels.append(_as_labels(_plain(raw), label_sep, None))
        yield Chunk(texts, labels, len(frame) - len(texts))


def _plain(value: object) -> object:
    """NumPy arrays (Parquet list cells) as lists; NaN (pandas' missing value) as None."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and value != value:
        return None
    return value


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


class StreamingModel:
    """Fits a linear model chunk by chunk with ``partial_fit``.

    Multi-class data uses the model's own ``partial_fit`` with all classes declared up
    front. Multi-label data fits one binary copy per label: scikit-learn's
    ``OneVsRestClassifier.partial_fit`` accepts only multi-class targets, so the copies are
    fitted here and then assembled into a fitted ``OneVsRestClassifier``, the same object
    the in-memory trainer produces.
    """

    def __init__(self, classifier: BaseEstimator, n_labels: int, multilabel: bool) -> None:
        if not hasattr(classifier, "partial_fit"):
            raise ConfigError(
                f"model {type(classifier).__name__} cannot learn in chunks (no partial_fit); "
                "use model=sgd with features=hashing"
            )
        self.multilabel = multilabel
        self.n_labels = n_labels
        self.template = classifier
        if multilabel:
            self.estimators = [clone(classifier) for _ in range(n_labels)]
        else:
            self.estimator = clone(classifier)

    def partial_fit(self, X, target: np.ndarray) -> None:
        """One SGD pass over this chunk; ``target`` is an indicator (multi-label) or indices."""
        if self.multilabel:
            for j, est in enumerate(self.estimators):
                est.partial_fit(X, target[:, j].astype(np.int64), classes=[0, 1])
        else:
            self.estimator.partial_fit(X, target, classes=np.arange(self.n_labels))

    def fitted(self) -> BaseEstimator:
        """The fitted model in the form :class:`TopicTagger` keeps in ``model_``."""
        if not self.multilabel:
            return self.estimator
        ovr = OneVsRestClassifier(clone(self.template))
        ovr.estimators_ = self.estimators
        ovr.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(
            np.eye(self.n_labels, dtype=int)
        )
        ovr.n_features_in_ = self.estimators[0].n_features_in_
        return ovr


def _targets(labels: list[list[str]], index: dict[str, int], multilabel: bool) -> np.ndarray:
    if multilabel:
        out = np.zeros((len(labels), len(index)), dtype=bool)
        for row, item in enumerate(labels):
            for name in item:
                if name in index:
                    out[row, index[name]] = True
        return out
    return np.array([index[item[0]] for item in labels], dtype=np.int64)


def fit_streaming(
    tagger: TopicTagger,
    chunks_per_epoch: Callable[[], Iterator[Chunk]],
    labels: list[str],
    multilabel: bool,
    epochs: int = 1,
    seed: int = 0,
) -> tuple[TopicTagger, dict[str, int]]:
    """Fit ``tagger`` (whose features must be stateless) on ``chunks_per_epoch()`` chunks.

    Rows are shuffled within each chunk; rows whose label is unknown (multi-class) or that
    have no label (multi-class) are skipped and counted. Returns the tagger and the counts.
    """
    if len(labels) < 2:
        raise DataError(f"training data has {len(labels)} distinct label(s) {labels}")
    index = {name: i for i, name in enumerate(labels)}
    cleaner = clone(tagger.cleaner) if tagger.cleaner is not None else TextCleaner()
    transformer = Pipeline([("clean", cleaner), ("features", clone(tagger.features))])
    transformer.fit([""])  # stateless steps: fitting only marks them fitted
    model = StreamingModel(tagger.classifier, len(labels), multilabel)
    rng = np.random.default_rng(seed)
    counts = {"rows": 0, "skipped": 0, "dropped": 0, "chunks": 0}
    for _ in range(epochs):
        for chunk in chunks_per_epoch():
            counts["dropped"] += chunk.dropped
            texts, item_labels = chunk.texts, chunk.labels
            if not multilabel:
                keep = [
                    i for i, item in enumerate(item_labels) if len(item) == 1 and item[0] in index
                ]
                counts["skipped"] += len(texts) - len(keep)
                texts = [texts[i] for i in keep]
                item_labels = [item_labels[i] for i in keep]
            if not texts:
                continue
            order = rng.permutation(len(texts))
            X = transformer.transform([texts[i] for i in order])
            target = _targets([item_labels[i] for i in order], index, multilabel)
            model.partial_fit(X, target)
            counts["rows"] += len(texts)
            counts["chunks"] += 1
    if counts["rows"] == 0:
        raise DataError("no training rows with usable labels")
    tagger.labels_ = list(labels)
    tagger.multilabel_ = multilabel
    tagger.transformer_ = transformer
    tagger.model_ = model.fitted()
    tagger.score_kind_ = (
        "decision" if hasattr(tagger.model_, "decision_function") else "probability"
    )
    tagger.default_threshold_ = 0.0 if tagger.score_kind_ == "decision" else 0.5
    tagger.thresholds_ = np.full(len(labels), tagger.default_threshold_)
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


def train_out_of_core(cfg: DictConfig, tags: Mapping[str, str] | None = None):
    """Train, evaluate, save and log one out-of-core run (``train.py features=hashing``).

    ``tags`` are added to the run, as in :func:`classifier.training.trainer.train`.
    """
    from classifier.training.trainer import TrainResult, build_tagger, describe_run, publish_model

    data, opts = cfg.data, cfg.outofcore
    if data.get("_target_") != "classifier.data.loaders.load_files":
        raise ConfigError("features=hashing streams files: use data=files with train/test paths")
    if not data.get("test_path"):
        raise ConfigError("features=hashing needs data.test_path (no in-memory hold-out)")
    if (cfg.get("labels") or {}).get("map"):
        raise ConfigError("features=hashing does not apply label maps; use labels=none")
    if cfg.tagger.get("tune_thresholds"):
        log.info("out-of-core training keeps default thresholds (no out-of-fold scores)")
    text_fields = list(data.text_fields)
    fields = TextFields(tuple(text_fields), JOIN, data.get("id_field") or "id")

    def chunks(path: str) -> Iterator[Chunk]:
        return read_chunks(path, text_fields, data.label_field, data.label_sep, opts.chunk_size)

    if opts.labels is not None and opts.multilabel is not None:
        labels, multilabel, rows = sorted(opts.labels), bool(opts.multilabel), None
    else:
        started = time.perf_counter()
        labels, multilabel, rows = discover_labels(chunks(data.train_path))
        if opts.labels is not None:
            labels = sorted(opts.labels)
        if opts.multilabel is not None:
            multilabel = bool(opts.multilabel)
        log.info(
            "first pass: %d rows, %d labels (%.1fs)",
            rows,
            len(labels),
            time.perf_counter() - started,
        )

    tagger = build_tagger(cfg)
    digest = file_sha256(data.train_path)[:16] + file_sha256(data.test_path)[:16]
    tracking.setup(cfg.mlflow.tracking_uri, cfg.mlflow.experiment)
    name = data.get("name") or Path(data.train_path).stem
    run_tags, commit = describe_run(digest, name, {"training": "out-of-core", **(tags or {})})
    with tracking.run(naming.run_name(cfg, run_tags), run_tags) as active:
        run_id = active.info.run_id
        tracking.log_config(cfg)
        started = time.perf_counter()
        tagger, counts = fit_streaming(
            tagger, lambda: chunks(data.train_path), labels, multilabel, opts.epochs, cfg.seed
        )
        train_seconds = time.perf_counter() - started
        started = time.perf_counter()
        evaluation = evaluate_streaming(tagger, chunks(data.test_path))
        predict_seconds = time.perf_counter() - started
        tracking.log_evaluation(evaluation, prefix="test_")
        tracking.log_metrics(
            {
                "train_seconds": train_seconds,
                "test_predict_seconds": predict_seconds,
                "train_rows": counts["rows"] / max(opts.epochs, 1),
                "train_rows_skipped": counts["skipped"] / max(opts.epochs, 1),
                "test_rows": len(evaluation.y_true),
            }
        )
        log.info(
            "out-of-core: %d rows in %d chunks, test micro-F1 %.4f (trained in %.1fs)",
            counts["rows"],
            counts["chunks"],
            evaluation.metrics["micro_f1"],
            train_seconds,
        )
        model_path = save_model(
            tagger,
            cfg.output.model_path,
            {
                "data_name": name,
                "data_digest": digest,
                "metrics": evaluation.prefixed("test_"),
                "mlflow_run_id": run_id,
                "git_commit": commit,
                "training": "out-of-core",
            },
            fmt=cfg.output.format,
            fields=fields,
        )
        examples = next(chunks(data.test_path)).texts[:2] if cfg.mlflow.log_model else []
        model_uri, registered_version = publish_model(cfg, tagger, model_path, examples, fields)
        log.info("model written to %s (MLflow run %s)", model_path, run_id)
    return TrainResult(run_id, evaluation, model_path, model_uri, {}, registered_version)
