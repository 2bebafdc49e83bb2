"""What an evaluation logs to MLflow.

Each evaluated model gets one run whose ``eval_*`` metrics are linked to the model's
LoggedModel (``model_id``) and to the evaluation file as an MLflow dataset, so they show on
the model's page next to its training metrics. A comparison is a parent run holding the
differences, with one such run per model nested under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mlflow
import pandas as pd
from mlflow.data.sources import LocalArtifactDatasetSource
from mlflow.entities import LoggedModelInput

from classifier.evaluation import plots, report
from classifier.evaluation.bootstrap import PairedResult
from classifier.evaluation.evaluate import ModelScores
from classifier.evaluation.labelled import LabelledSet
from classifier.evaluation.models import ModelRef
from classifier.tracking import plots as run_plots
from classifier.tracking import runs

PREFIX = "eval_"
CONTEXT = "evaluation"


def dataset(found: LabelledSet) -> Any:
    """The evaluation articles as an MLflow dataset (name, digest, source, ids and labels)."""
    split = found.split
    frame = pd.DataFrame(
        {"id": split.ids, "text": split.texts, "labels": ["|".join(x) for x in split.labels]}
    )
    return mlflow.data.from_pandas(
        frame,
        source=LocalArtifactDatasetSource(found.source),
        name=f"{found.name}-{CONTEXT}",
        targets="labels",
    )


def _counts(found: LabelledSet, scores: ModelScores) -> dict[str, float]:
    return {
        f"{PREFIX}rows_read": found.read,
        f"{PREFIX}rows_scored": len(found.split),
        f"{PREFIX}rows_rejected": len(found.rejects),
        f"{PREFIX}unknown_label_articles": scores.unknown_articles,
    }


def log_model_evaluation(
    ref: ModelRef, scores: ModelScores, found: LabelledSet, data: Any, top: int
) -> None:
    """Metrics (linked to the model and the dataset), tables and plots of one model."""
    model = LoggedModelInput(ref.model_id) if ref.model_id else None
    mlflow.log_input(data, context=CONTEXT, model=model)
    mlflow.log_params(
        {
            "model_uri": ref.uri,
            "model_id": ref.model_id or "",
            "model_version": f"{ref.registered_name}/{ref.version}" if ref.version else "",
            "data.rows_scored": len(found.split),
        }
    )
    evaluation = scores.evaluation
    mlflow.log_metrics(evaluation.prefixed(PREFIX), model_id=ref.model_id, dataset=data)
    mlflow.log_metrics(_counts(found, scores))
    table = report.per_label_table(scores)
    mlflow.log_text(table.to_csv(index=False), f"{PREFIX}per_label.csv")
    mlflow.log_dict({"per_label": evaluation.per_label}, f"{PREFIX}per_label.json")
    mlflow.log_text(
        report.label_confusions(scores).to_csv(index=False), f"{PREFIX}label_confusions.csv"
    )
    mlflow.log_dict(
        {"unknown_labels": scores.unknown, "articles": scores.unknown_articles},
        f"{PREFIX}unknown_labels.json",
    )
    if found.rejects:
        lines = [json.dumps(r._asdict()) for r in found.rejects]
        mlflow.log_text("\n".join(lines) + "\n", f"{PREFIX}rejects.jsonl")
    subject = f"evaluation, {ref.short}"
    mlflow.log_figure(run_plots.per_label_scores(evaluation, subject), "plots/eval_per_label.png")
    mlflow.log_figure(run_plots.confusion(evaluation, subject), "plots/eval_confusion.png")
    mlflow.log_figure(
        plots.pr_curves(scores, evaluation.multilabel, top), "plots/eval_pr_curves.png"
    )


def log_comparison(pairs: list[tuple[str, str, PairedResult]], margin: float | None) -> None:
    """The differences table, its plot and, for two models, ``eval_delta_*`` metrics."""
    table = report.pairs_table(pairs)
    mlflow.log_text(table.to_csv(index=False), f"{PREFIX}comparison.csv")
    mlflow.log_dict(
        {"pairs": [dict(a=a, b=b, **r.as_dict()) for a, b, r in pairs]}, f"{PREFIX}comparison.json"
    )
    mlflow.log_figure(plots.differences(pairs, margin), "plots/eval_comparison.png")
    if len({(a, b) for a, b, _ in pairs}) == 1:
        for _, _, r in pairs:
            mlflow.log_metrics(
                {
                    f"{PREFIX}delta_{r.metric}": r.delta,
                    f"{PREFIX}delta_{r.metric}_low": r.ci_low,
                    f"{PREFIX}delta_{r.metric}_high": r.ci_high,
                    f"{PREFIX}delta_{r.metric}_p": r.p_value,
                }
            )


@contextmanager
def evaluation_run(name: str | None, tags: dict[str, str], nested: bool = False) -> Iterator[Any]:
    """An evaluation run (tagged ``run_kind``), ended FAILED or KILLED like training runs."""
    tags = {"run_kind": "evaluation", **tags}
    if nested:
        with mlflow.start_run(run_name=name, tags=tags, nested=True) as active:
            yield active
    else:
        with runs.run(name, tags) as active:
            yield active
