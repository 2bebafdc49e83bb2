"""``label_next.py``: read a file of unlabelled articles, score them with a trained model,
choose the ones to label next and write them in the schema training reads, label empty."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import datasets
import mlflow
from omegaconf import DictConfig

from classifier.atomic import atomic_path
from classifier.audit.selection import select_random, select_uncertain
from classifier.data.corpus import Split
from classifier.data.loaders import dataset_to_split, read_file
from classifier.errors import ConfigError, DataError
from classifier.model.persistence import is_mlflow_uri, load_model_uri

log = logging.getLogger(__name__)

STRATEGIES = ("uncertain", "random")


def read_pool(
    path: str, text_fields: list[str], label_field: str
) -> tuple[datasets.Dataset, Split]:
    """The file's rows and their texts joined as in training; ``Split.ids`` are row numbers
    (rows with an empty text are left out, as in training)."""
    table = read_file(path)
    if label_field not in table.column_names:
        table = table.add_column(label_field, [None] * len(table))
    split = dataset_to_split(table, text_fields, label_field, id_field=None, where=path)
    if not len(split):
        raise DataError(f"{path}: no article with text in fields {text_fields}")
    return table, split


def _row(table: datasets.Dataset, index: int, label_field: str) -> dict[str, Any]:
    row = dict(table[index])
    row[label_field] = []
    return row


def write_rows(table: datasets.Dataset, rows: list[int], path: str, label_field: str) -> Path:
    """The chosen rows as JSONL, every field kept and ``label_field`` an empty list."""
    if not path.lower().endswith((".jsonl", ".json")):
        raise ConfigError(f"output={path}: the selection is written as JSONL (.jsonl)")
    out = Path(path)
    with atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for index in rows:
            record = _row(table, index, label_field)
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return out


def run_label_next(cfg: DictConfig) -> str:
    """Choose ``cfg.k`` articles of ``cfg.input`` to label; returns a one-line summary."""
    if cfg.strategy not in STRATEGIES:
        raise ConfigError(f"strategy={cfg.strategy!r}: use one of {STRATEGIES}")
    if cfg.k < 1:
        raise ConfigError(f"k={cfg.k}: choose at least one article")
    if is_mlflow_uri(cfg.model_uri):
        mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)
    tagger = load_model_uri(cfg.model_uri, trust=cfg.trust).tagger
    table, pool = read_pool(cfg.input, list(cfg.text_fields), cfg.label_field)
    if cfg.strategy == "random":
        picked = select_random(len(pool), cfg.k, cfg.seed)
        why = "at random"
    else:
        scores = tagger.decision_function(pool.texts)
        chosen = select_uncertain(
            pool.texts,
            tagger.labels_,
            scores,
            tagger.thresholds_,
            tagger.multilabel_,
            cfg.k,
            cfg.near_duplicate_threshold,
        )
        picked = [c.index for c in chosen]
        spread = Counter(c.label for c in chosen)
        why = f"closest to a decision, spread over {len(spread)} labels"
    out = write_rows(table, [int(pool.ids[i]) for i in picked], cfg.output, cfg.label_field)
    return f"selected {len(picked)} of {len(pool)} articles ({why}) -> {out}"
