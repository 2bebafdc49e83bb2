"""What a worker does with a chunk of input: tag its texts (thresholds, top_k, explain,
OOV rate) and format the output rows; shared by the local and the Spark engine."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from classifier.data.readers import block_lines, parse_jsonl_lines, parse_text_lines
from classifier.data.records import Reject, Row, TextFields
from classifier.errors import ConfigError
from classifier.model.decisions import LabelRules
from classifier.model.scoring import Scorer
from classifier.prediction.formatting import (
    fixed_point_cells,
    fixed_point_rows,
    joined_rows,
    padded,
)
from classifier.prediction.options import PredictOptions, ThresholdOverride

if TYPE_CHECKING:
    from classifier.model.tagger import TopicTagger


def resolve_thresholds(rules: LabelRules, threshold: ThresholdOverride) -> np.ndarray:
    """The model's per-label thresholds with ``threshold`` applied: one number for every
    label, or ``{label: value}`` for some labels (the others keep the model's)."""
    out = np.array(rules.thresholds, dtype=np.float64)
    if threshold is None:
        return out
    if not rules.multilabel:
        raise ConfigError(
            "threshold: this model is single-label (it always picks its best label); "
            "thresholds apply to multi-label models only"
        )
    if isinstance(threshold, Mapping):
        index = {name: i for i, name in enumerate(rules.labels)}
        unknown = sorted(set(threshold) - set(index))
        if unknown:
            raise ConfigError(
                f"threshold: unknown label(s) {unknown}; "
                f"the model's labels are {list(rules.labels)}"
            )
        for name, value in threshold.items():
            out[index[name]] = _number(value, f"threshold.{name}")
        return out
    out[:] = _number(threshold, "threshold")
    return out


def _number(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}={value!r} is not a number") from None


@dataclass
class Chunk:
    """What a worker returns for one task: counts, rejects and the formatted output."""

    read: int
    rejects: list[Reject]
    tagged: int
    counts: np.ndarray
    oov_sum: float
    oov_n: int
    payload: Any
    # How many rows took their text from each source (Row.source).
    sources: Counter = field(default_factory=Counter)


@dataclass
class Tagged:
    """Labels and scores of a batch of texts, with the extras the options ask for."""

    labels: list[list[str]]
    scores: np.ndarray
    indicator: np.ndarray
    oov: np.ndarray | None
    explained: list[dict[str, list]] | None


class TaggingJob:
    """Everything a worker needs to tag texts and turn a chunk of input into output.

    Shared by the local engine (whole chunks, formatted for the output file) and the Spark
    engine (:meth:`tag` on each Arrow batch), so both give the same labels and scores.
    """

    def __init__(
        self,
        scorer: Scorer,
        kind: str,
        fields: TextFields,
        thresholds: np.ndarray,
        top_k: int | None,
        explain: int,
        oov: bool,
        scores: str = "all",
    ) -> None:
        self.scorer = scorer
        self.kind = kind
        self.fields = fields
        self.thresholds = thresholds
        self.top_k = top_k
        self.explain = explain
        self.oov = oov and scorer.has_vocabulary
        # scores="predicted": one "scores" column, the predicted labels' scores in the
        # order of "labels", instead of a score_<label> column per label.
        self.scores = scores
        self.score_columns = [f"score_{name}" for name in scorer.labels]
        scored = ["scores"] if scores == "predicted" else self.score_columns
        self.columns = ["id", "labels", *scored]
        if self.oov:
            self.columns.append("oov_rate")
        if explain:
            self.columns.append("explain")
        # JSONL scores (6 decimals) and OOV rates (4) are written for the whole chunk at
        # once (classifier.prediction.formatting); this is each row's key before its number.
        self._score_keys = [
            (", " + json.dumps(c, ensure_ascii=False) + ": ").encode("utf-8")
            for c in self.score_columns
        ]
        if scores == "predicted":
            self._score_keys = [b", "] * len(self.score_columns)

    def run(self, task: tuple[str, Any, Any]) -> Chunk:
        """Parse (raw ``block`` of JSONL, ``lines`` of plain text) or take (``items``) the
        task's rows, tag them and format their output."""
        kind, first, data = task
        if kind == "block":
            items = list(parse_jsonl_lines(first, block_lines(data), self.fields))
        elif kind == "lines":
            items = list(parse_text_lines(first, block_lines(data)))
        else:
            items = data
        rows = [item for item in items if isinstance(item, Row)]
        rejects = [item for item in items if isinstance(item, Reject)]
        counts = np.zeros(len(self.scorer.labels), dtype=np.int64)
        if not rows:
            return Chunk(len(items), rejects, 0, counts, 0.0, 0, None)
        sources = Counter(r.source for r in rows)
        out = self.tag([r.text for r in rows])
        counts += out.indicator.sum(axis=0)
        payload = self.format([r.id for r in rows], out)
        oov_sum = float(out.oov.sum()) if out.oov is not None else 0.0
        return Chunk(len(items), rejects, len(rows), counts, oov_sum, len(rows), payload, sources)

    def tag(self, texts: Sequence[str]) -> Tagged:
        """Labels and scores of ``texts`` with the job's thresholds, top_k, explain and oov."""
        return self.decide(*self.scorer.transform(texts))

    def decide(self, X, oov: np.ndarray | None) -> Tagged:
        """:meth:`tag` of texts whose features are ``X`` (out-of-vocabulary rates ``oov``)."""
        scores = self.scorer.scores(X)
        indicator = self.scorer.rules.indicator(scores, self.thresholds)
        if self.top_k:
            indicator = _keep_top_k(indicator, scores, self.top_k)
        labels = self.scorer.rules.names(indicator)
        explained = self.scorer.explain(X, indicator, self.explain) if self.explain else None
        return Tagged(labels, scores, indicator, oov if self.oov else None, explained)

    def format(self, ids: Sequence[str], out: Tagged) -> Any:
        """The output of tagged rows: JSONL (its bytes as one uint8 array) or CSV bytes, or
        the arrays of a Parquet table."""
        labels, scores, oov, explained = out.labels, out.scores, out.oov, out.explained
        if self.kind == "jsonl":
            return self._jsonl(ids, labels, scores, out.indicator, oov, explained)
        rounded = np.round(scores, 6)
        if self.scores == "predicted":
            rounded = _predicted_scores(rounded, out.indicator, self.kind == "parquet")
        if self.kind == "parquet":
            return ids, labels, rounded, oov, explained
        text = io.StringIO()
        writer = csv.writer(text)
        rounded = rounded if isinstance(rounded, list) else rounded.tolist()
        for i, (row_id, row_labels, row_scores) in enumerate(
            zip(ids, labels, rounded, strict=True)
        ):
            extra = []
            if self.oov:
                extra.append(round(float(oov[i]), 4))
            if explained is not None:
                extra.append(json.dumps(explained[i], ensure_ascii=False))
            if self.scores == "predicted":
                row_scores = ["|".join(map(str, row_scores))]
            writer.writerow([row_id, "|".join(row_labels), *row_scores, *extra])
        return text.getvalue().encode("utf-8")

    def _jsonl(self, ids, labels, scores, indicator, oov, explained) -> np.ndarray:
        """The chunk's JSONL bytes, as one uint8 array (written as is)."""
        dumps = json.dumps
        if self.scores == "predicted":  # ", 1.5, 0.2" -> ', "scores": [1.5, 0.2]'
            texts = fixed_point_rows(scores, self._score_keys, 6, indicator)
            score_cells = padded([b', "scores": [' + text[2:] + b"]" for text in texts])
        else:
            score_cells = fixed_point_cells(scores, self._score_keys, 6)
        # The JSON of each distinct label list, made once: few lists recur in every chunk.
        label_json: dict[tuple[str, ...], str] = {}
        heads = []
        for row_id, row_labels in zip(ids, labels, strict=True):
            key = tuple(row_labels)
            if key not in label_json:
                label_json[key] = dumps(row_labels, ensure_ascii=False)
            # encode_basestring is what json.dumps(str, ensure_ascii=False) calls.
            heads.append(f'{{"id": {encode_basestring(row_id)}, "labels": {label_json[key]}')
        # JSON text holds no NUL byte (json escapes it), so padding with NULs is safe.
        parts = [padded([h.encode("utf-8") for h in heads]), score_cells]
        if self.oov:
            parts.append(fixed_point_cells(oov[:, None], [b', "oov_rate": '], 4))
        if explained is not None:
            texts = [b', "explain": ' + dumps(e, ensure_ascii=False).encode() for e in explained]
            parts.append(padded(texts))
        return joined_rows([*parts, b"}\n"])


def _predicted_scores(scores: np.ndarray, indicator: np.ndarray, arrow: bool):
    """Each row's scores of its predicted labels, in label order: a list of lists, or an
    Arrow list<float32> array (Parquet)."""
    rows, cols = np.nonzero(indicator)
    offsets = np.concatenate([[0], np.cumsum(indicator.sum(axis=1))])
    values = scores[rows, cols]
    if arrow:
        return pa.ListArray.from_arrays(offsets.astype(np.int32), values.astype(np.float32))
    flat = values.tolist()
    return [flat[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]


def _keep_top_k(indicator: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Keep at most the ``k`` highest-scoring predicted labels of each row."""
    if k >= indicator.shape[1]:
        return indicator
    masked = np.where(indicator, scores, -np.inf)
    cut = np.partition(masked, -k, axis=1)[:, -k][:, None]
    keep = indicator & (masked >= cut)
    # Ties at the cut could keep more than k: drop the extra ones (highest column first).
    over = keep.sum(axis=1) > k
    for row in np.flatnonzero(over):
        best = np.argsort(-masked[row], kind="stable")[:k]
        keep[row] = False
        keep[row, best] = True
    return keep


def make_job(
    model: TopicTagger | Scorer, kind: str, options: PredictOptions, fields: TextFields
) -> TaggingJob:
    """The job of ``options`` on ``model`` (a fitted tagger, or its scorer), reading rows
    by ``fields`` and writing ``kind``; raises a one-line ConfigError for an option the
    model cannot honour."""
    scorer = model if isinstance(model, Scorer) else Scorer(model)
    if options.explain and not scorer.linear:
        raise ConfigError("explain needs a linear model (coefficients per term)")
    thresholds = resolve_thresholds(scorer.rules, options.threshold)
    return TaggingJob(
        scorer,
        kind,
        fields,
        thresholds,
        options.top_k,
        options.explain,
        options.oov,
        options.scores,
    )


def run_chunk(job: TaggingJob, task: tuple[str, Any, Any]) -> Chunk:
    return job.run(task)
