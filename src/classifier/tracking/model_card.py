"""A short Markdown model card per run: data, labels, config, CV and test scores, plots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from classifier.data.corpus import Corpus
from classifier.model.metrics import Evaluation

# Scores shown in the card; every metric is also a run metric.
_SCORES = ("micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall", "accuracy")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pandas.to_markdown would need the extra ``tabulate`` package)."""

    def cell(value: Any) -> str:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _target(node: Any) -> str:
    return str(node.get("_target_", "")) if isinstance(node, Mapping | DictConfig) else ""


def _params(node: DictConfig) -> dict[str, Any]:
    resolved = OmegaConf.to_container(node, resolve=True)
    return {k: v for k, v in resolved.items() if k != "_target_"}


def render(
    cfg: DictConfig,
    corpus: Corpus,
    cv_metrics: Mapping[str, float],
    evaluation: Evaluation,
    run_id: str,
    digest: str,
    plots: Sequence[str] = (),
) -> str:
    """The card's Markdown text; ``plots`` are artifact paths of the run's figures."""
    model_params = _params(cfg.model)
    train_counts = Counter(label for item in corpus.train.labels for label in item)
    kind = "multi-label" if corpus.multilabel else "single-label"
    lines = [
        f"# Model card: {_target(cfg.model).rsplit('.', 1)[-1]} on {corpus.name}",
        "",
        f"MLflow run `{run_id}`. The full resolved config is `config.yaml` in this run.",
        "",
        "## Data",
        "",
        f"- data set: `{corpus.name}` (digest `{digest}`), source `{corpus.source}`",
        f"- {len(corpus.train)} training and {len(corpus.test)} test articles, "
        f"{len(corpus.label_names)} labels, {kind}",
        "",
        "## Labels",
        "",
        _table(
            ["label", "training articles"],
            [(name, train_counts.get(name, 0)) for name in corpus.label_names],
        ),
        "",
        "## Config",
        "",
        f"- model: `{_target(cfg.model)}` {model_params}",
        f"- features: `{_target(cfg.features)}` {_params(cfg.features)}",
        f"- tagger: {OmegaConf.to_container(cfg.tagger, resolve=True)}",
        f"- seed: {cfg.seed}",
        "",
        "## Scores",
        "",
    ]
    folds = cfg.cv.folds if cfg.cv.folds and cfg.cv.folds > 1 else 0
    header = ["metric", f"{folds}-fold CV (mean ± std)" if folds else "CV (off)", "test"]
    rows = []
    for name in _SCORES:
        cv = (
            f"{cv_metrics[name]:.4f} ± {cv_metrics[f'{name}_std']:.4f}"
            if name in cv_metrics
            else "-"
        )
        rows.append((name, cv, evaluation.metrics.get(name, "-")))
    lines += [
        "Models are chosen by the cross-validation scores on the training split; the test "
        "split is evaluated once.",
        "",
        _table(header, rows),
        "",
        "## Per label (test)",
        "",
        _table(
            ["label", "precision", "recall", "f1", "support"],
            [
                (r["label"], r["precision"], r["recall"], r["f1"], r["support"])
                for r in evaluation.per_label
            ],
        ),
        "",
    ]
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{path}]({path})" for path in plots]
        lines.append("")
    return "\n".join(lines)
