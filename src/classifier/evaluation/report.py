"""Tables an evaluation prints and logs: metrics, per-label scores, label confusions and
the paired differences between models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifier.audit.confusions import confused_pairs
from classifier.evaluation.bootstrap import PairedResult
from classifier.evaluation.evaluate import ModelScores

# The order metrics are shown in (those a model has; Hamming loss only for multi-label).
METRIC_ORDER = (
    "micro_f1",
    "macro_f1",
    "weighted_f1",
    "micro_precision",
    "macro_precision",
    "weighted_precision",
    "micro_recall",
    "macro_recall",
    "weighted_recall",
    "accuracy",
    "hamming_loss",
)


def metrics_table(names: list[str], results: list[ModelScores]) -> pd.DataFrame:
    """One row per metric, one column per model."""
    rows = {
        name: [r.evaluation.metrics.get(name, np.nan) for r in results]
        for name in METRIC_ORDER
        if any(name in r.evaluation.metrics for r in results)
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=names)
    return table.rename_axis("metric").reset_index()


def per_label_table(scores: ModelScores) -> pd.DataFrame:
    """Precision, recall, F1, support and predicted count per label, most frequent first."""
    table = pd.DataFrame(scores.evaluation.per_label)
    return table.sort_values(["support", "label"], ascending=[False, True], kind="stable")


def per_label_f1(names: list[str], results: list[ModelScores]) -> pd.DataFrame:
    """F1 per label of every model side by side, with the label's support in the file."""
    tables = [pd.DataFrame(r.evaluation.per_label).set_index("label") for r in results]
    support = pd.concat([t["support"] for t in tables], axis=1).max(axis=1)
    f1 = [table["f1"].rename(name) for table, name in zip(tables, names, strict=True)]
    joined = pd.concat([support.rename("support"), *f1], axis=1)
    joined.index.name = "label"
    return joined.sort_values("support", ascending=False, kind="stable").reset_index()


def label_confusions(scores: ModelScores, top: int | None = None) -> pd.DataFrame:
    """Articles that carry one label and were tagged another instead, most frequent pairs
    first (the audit's count of confused pairs)."""
    evaluation = scores.evaluation
    pairs = confused_pairs(scores.labels, evaluation.y_true, evaluation.y_pred, top)
    return pd.DataFrame(
        [(p.given, p.predicted, p.count, p.share) for p in pairs],
        columns=["label", "predicted instead", "articles", "share of label"],
    )


def pairs_table(pairs: list[tuple[str, str, PairedResult]]) -> pd.DataFrame:
    """One row per compared pair and metric: both scores, b - a, interval and p-value."""
    rows = []
    for a, b, r in pairs:
        rows.append(
            {
                "metric": r.metric,
                "a": a,
                "b": b,
                "score a": r.score_a,
                "score b": r.score_b,
                "b - a": r.delta,
                f"{r.confidence:.0%} low": r.ci_low,
                f"{r.confidence:.0%} high": r.ci_high,
                "p": r.p_value,
            }
        )
    return pd.DataFrame(rows)


def show(table: pd.DataFrame) -> str:
    """A table as text, numbers to four decimals, without the index."""
    return table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
