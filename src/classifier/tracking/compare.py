"""Compare runs from the shell: ``python -m classifier.compare --metric cv_micro_f1 --top 5``.

Prints the best runs of an experiment with the params that differ between them and their
scores, and draws the metric (mean ± std across CV folds) of those runs. The plot is written
to a file and logged to MLflow: to the sweep's parent run when every listed run belongs to
one sweep (the comparison is part of that sweep's record), otherwise to a run of its own
tagged ``run_kind=compare`` in the experiment ``<experiment>-comparisons``, so the training
runs' table stays a table of training runs. Training runs are never modified, and runs
tagged ``run_kind`` (sweep parents, comparisons) are never listed.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from matplotlib.figure import Figure
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from classifier.atomic import atomic_path
from classifier.cli import run_cli
from classifier.errors import ConfigError
from classifier.paths import project_root
from classifier.tracking import runs as tracking
from classifier.tracking.naming import describe_overrides, is_housekeeping
from classifier.tracking.tags import KIND_TAG, PARENT_TAG, SWEEP_TAG

# Scores shown beside the chosen metric (test scores are shown, never used to rank).
SHOWN_METRICS = ("cv_micro_f1", "cv_macro_f1", "test_micro_f1", "test_macro_f1")
# Params that always differ or say nothing about the model (older runs logged housekeeping
# too); the model's class is shown as its short name instead of its import path.
_IGNORED_PARAMS = ("data.path", "model._target_", tracking.MODEL_NAME_PARAM)
MAX_KEY_PARAMS = 8
# Plot labels longer than this (characters) are broken after the run name.
_ONE_LINE = 45
# How a missing value (a param a run does not have, a null, a metric it did not log) shows.
MISSING = "-"
# Experiments that hold comparison runs: ``<experiment>-comparisons``.
COMPARISONS_SUFFIX = "-comparisons"


@dataclass
class Comparison:
    """The listed runs (best first) and the columns shown."""

    runs: pd.DataFrame
    metric: str
    key_params: list[str]
    metrics: list[str]

    def table(self) -> pd.DataFrame:
        """Run name and id, model, key params, metrics: what the shell shows. Missing
        values (absent or null params, unlogged metrics) are all :data:`MISSING`."""
        frame = pd.DataFrame(
            {
                "run": self.runs["tags.mlflow.runName"],
                "run_id": self.runs["run_id"].str[:8],
                "model": short_model_names(self.runs),
            }
        )
        for param in self.key_params:
            frame[param] = shown_params(self.runs[f"params.{param}"])
        for metric in self.metrics:
            values = self.runs[f"metrics.{metric}"]
            frame[metric] = values.map(lambda v: MISSING if pd.isna(v) else f"{v:.4f}")
        return frame.reset_index(drop=True)

    def sweep_parent(self) -> str | None:
        """The parent run id shared by every listed run, if there is one."""
        column = f"tags.{PARENT_TAG}"
        if column not in self.runs or self.runs[column].isna().any():
            return None
        parents = self.runs[column].unique()
        return str(parents[0]) if len(parents) == 1 else None


def shown_params(values: pd.Series) -> pd.Series:
    """Param values as shown: absent and null both become :data:`MISSING`."""
    return values.where(values.notna() & (values != "null"), MISSING)


def short_model_names(runs: pd.DataFrame) -> pd.Series:
    """``model_name`` where runs logged it, else the last part of ``model._target_``."""
    names = pd.Series(MISSING, index=runs.index)
    target = "params.model._target_"
    if target in runs:
        names = runs[target].str.rsplit(".", n=1).str[-1].fillna(MISSING)
    column = f"params.{tracking.MODEL_NAME_PARAM}"
    if column in runs:
        names = runs[column].fillna(names)
    return names


def select_runs(
    experiment: str, metric: str, top: int, filter_string: str = "", sweep: str | None = None
) -> Comparison:
    """The ``top`` finished runs of ``experiment`` with ``metric``, best first."""
    if mlflow.get_experiment_by_name(experiment) is None:
        raise ConfigError(f"experiment {experiment!r} not found at {mlflow.get_tracking_uri()}")
    clauses = ["attributes.status = 'FINISHED'"]
    if filter_string:
        clauses.append(filter_string)
    if sweep:
        clauses.append(f"tags.{SWEEP_TAG} = '{sweep}'")
    descending = "loss" not in metric
    try:
        runs = mlflow.search_runs(
            experiment_names=[experiment],
            filter_string=" and ".join(clauses),
            order_by=[f"metrics.`{metric}` {'DESC' if descending else 'ASC'}"],
        )
    except MlflowException as err:
        raise ConfigError(f"filter {filter_string!r}: {err.message}") from err
    if f"tags.{KIND_TAG}" in runs:
        runs = runs[runs[f"tags.{KIND_TAG}"].isna()]
    column = f"metrics.{metric}"
    if column not in runs or runs[column].isna().all():
        raise ConfigError(f"no finished run in {experiment!r} has the metric {metric!r}")
    runs = runs[runs[column].notna()].head(top)
    params = [c.removeprefix("params.") for c in runs.columns if c.startswith("params.")]
    key_params = [
        p
        for p in sorted(params)
        if p not in _IGNORED_PARAMS
        and not is_housekeeping(p)
        and shown_params(runs[f"params.{p}"]).nunique() > 1
    ]
    metrics = [metric] + ([f"{metric}_std"] if f"metrics.{metric}_std" in runs else [])
    metrics += [m for m in SHOWN_METRICS if m not in metrics and f"metrics.{m}" in runs]
    return Comparison(runs, metric, key_params[:MAX_KEY_PARAMS], metrics)


def plot(comparison: Comparison) -> Figure:
    """The metric of each listed run (error bars: std across CV folds), best at the top, on
    the metric's whole 0-1 axis (a cut axis would exaggerate small gaps), values printed."""
    table = comparison.table()
    shown = comparison.key_params[:3]
    labels = []
    for _, row in table.iterrows():
        # Params the run has and its name does not already say.
        described = describe_overrides(
            f"{param}={row[param]}" for param in shown if row[param] != MISSING
        )
        extra = [d for d in described if d not in str(row["run"])]
        label = f"{row['run']} ({', '.join([row['model'], *extra])})"
        # A long label goes on two lines, so it does not squeeze the bars.
        labels.append(label.replace(" (", "\n(", 1) if len(label) > _ONE_LINE else label)
    values = comparison.runs[f"metrics.{comparison.metric}"].to_numpy()
    std_column = f"metrics.{comparison.metric}_std"
    errors = comparison.runs[std_column].to_numpy() if std_column in comparison.runs else None
    lines = sum(label.count("\n") + 1 for label in labels)
    fig = Figure(
        figsize=(9, max(2.5, 0.25 * lines + 0.2 * len(labels) + 1.4)), dpi=150, layout="constrained"
    )
    ax = fig.subplots()
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, xerr=errors, color="#4c72b0", capsize=3)
    for row, value in zip(y, values, strict=True):
        ax.text(0.01, row, f"{value:.4f}", va="center", color="white", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    note = " (error bars: std across CV folds)" if errors is not None else ""
    ax.set_xlabel(comparison.metric + note)
    ax.set_title(f"Top {len(labels)} runs by {comparison.metric}", loc="left")
    return fig


def log_comparison(comparison: Comparison, figure: Figure, experiment: str) -> str:
    """Log the plot and the table to the sweep's parent run or to a new compare run."""
    name = f"compare_{comparison.metric}"
    parent = comparison.sweep_parent()
    if parent:
        client = MlflowClient()
        client.log_figure(parent, figure, f"compare/{name}.png")
        client.log_text(parent, comparison.table().to_csv(index=False), f"compare/{name}.csv")
        return parent
    tracking.setup(mlflow.get_tracking_uri(), experiment + COMPARISONS_SUFFIX)
    tags = {KIND_TAG: "compare", "compared_experiment": experiment}
    with mlflow.start_run(run_name=name, tags=tags) as run:
        mlflow.log_param("metric", comparison.metric)
        mlflow.log_param("runs", ",".join(comparison.runs["run_id"]))
        mlflow.log_figure(figure, f"compare/{name}.png")
        mlflow.log_text(comparison.table().to_csv(index=False), f"compare/{name}.csv")
    return run.info.run_id


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, print the table, write and log the plot."""
    parser = argparse.ArgumentParser(prog="python -m classifier.compare", description=__doc__)
    parser.add_argument("--experiment", default="classifier")
    parser.add_argument("--metric", default="cv_micro_f1", help="rank by this metric")
    parser.add_argument("--top", type=int, default=10, help="how many runs to list")
    parser.add_argument(
        "--filter", default="", help="MLflow search filter, e.g. \"params.`model.C` = '1.0'\""
    )
    parser.add_argument("--sweep", help="only the runs of this sweep id")
    parser.add_argument("--plot", default="compare.png", help="where to write the plot")
    parser.add_argument("--no-log", action="store_true", help="do not log the plot to MLflow")
    parser.add_argument(
        "--tracking-uri",
        default=os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{project_root() / 'mlflow.db'}"),
    )
    args = parser.parse_args(argv)

    def compare() -> None:
        mlflow.set_tracking_uri(args.tracking_uri)
        comparison = select_runs(args.experiment, args.metric, args.top, args.filter, args.sweep)
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(comparison.table().to_string(index=False))
        figure = plot(comparison)
        with atomic_path(args.plot) as tmp:
            figure.savefig(tmp, format=Path(args.plot).suffix.lstrip(".") or "png")
        print(f"plot: {args.plot}")
        if not args.no_log:
            run_id = log_comparison(comparison, figure, args.experiment)
            print(f"logged to MLflow run {run_id}")

    run_cli(compare)


if __name__ == "__main__":
    main()
