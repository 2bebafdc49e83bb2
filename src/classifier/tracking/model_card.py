"""The model card every training run logs, as Markdown and as self-contained HTML.

The card says what the model is for and where it stops, where it came from (date, code
commit, data digest, the sweep it belongs to), the scores with which it was chosen (CV)
and checked (test), every label's tuned threshold and test scores, the defining config as
YAML, and the plots. ``model_card.html`` is the same text with the plots embedded as data
URIs, so MLflow's artifact viewer, which shows HTML in a frame but Markdown as plain
text, renders the whole card.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from markdown_it import MarkdownIt
from omegaconf import DictConfig, OmegaConf

from classifier.data.corpus import Corpus
from classifier.markdown import markdown_table
from classifier.model.metrics import Evaluation
from classifier.model.tagger import TopicTagger
from classifier.tracking.naming import is_housekeeping, model_name

# Scores shown in the card; every metric is also a run metric.
_SCORES = ("micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall", "accuracy")
# Labels with fewer training articles than this are named under "Limits".
_FEW_EXAMPLES = 20
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 1.5em auto;
       padding: 0 1em; color: #1f2328; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; }
th { background: #f6f8fa; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
code, pre { background: #f6f8fa; border-radius: 4px; }
pre { padding: 0.8em; overflow-x: auto; }
img { max-width: 100%; border: 1px solid #d0d7de; margin: 0.5em 0; }
h1 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.3em; }
"""


@dataclass(frozen=True)
class RunFacts:
    """Where the model came from: its MLflow run, when, which code, which sweep."""

    run_id: str
    run_name: str
    started: datetime
    git_commit: str | None
    data_digest: str
    sweep_id: str | None = None
    sweep_parent: str | None = None
    sweep_overrides: str | None = None
    near_duplicates: int = 0


@dataclass(frozen=True)
class DataFacts:
    """What the card says about the data: its name and source, the split sizes, the labels
    and how many training articles carry each. Built from a :class:`Corpus` in memory
    (:meth:`of`) or counted while streaming files that never are."""

    name: str
    source: str
    n_train: int
    n_test: int
    label_names: Sequence[str]
    multilabel: bool
    train_counts: Mapping[str, int]
    # False when the data checks (empty texts, duplicates, overlap) did not run, as in
    # out-of-core training, which never holds the corpus.
    checked: bool = True

    @classmethod
    def of(cls, corpus: Corpus) -> DataFacts:
        """The facts of a corpus held in memory."""
        return cls(
            name=corpus.name,
            source=corpus.source,
            n_train=len(corpus.train),
            n_test=len(corpus.test),
            label_names=list(corpus.label_names),
            multilabel=corpus.multilabel,
            train_counts=Counter(label for item in corpus.train.labels for label in item),
        )


def defining_config(cfg: DictConfig) -> str:
    """The config that defines the model (no tracking, paths, registry) as YAML."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    kept = {k: v for k, v in resolved.items() if not is_housekeeping(k)}
    if isinstance(kept.get("tagger"), dict):
        kept["tagger"] = {k: v for k, v in kept["tagger"].items() if k != "n_jobs"}
    return OmegaConf.to_yaml(OmegaConf.create(kept))


def _provenance(facts: RunFacts, data: DataFacts) -> list[str]:
    commit = f"`{facts.git_commit}`" if facts.git_commit else "unknown (not a git checkout)"
    lines = [
        f"- MLflow run: `{facts.run_name}` (`{facts.run_id}`)",
        f"- trained: {facts.started:%Y-%m-%d %H:%M} UTC",
        f"- code: git commit {commit}",
        f"- data: `{data.name}` (digest `{facts.data_digest}`), source `{data.source}`",
    ]
    if facts.sweep_id:
        lines.append(
            f"- sweep: `{facts.sweep_id}` (parent run `{facts.sweep_parent}`), "
            f"this job's overrides: `{facts.sweep_overrides or 'none'}`"
        )
    return lines


def _use_and_limits(data: DataFacts, tagger: TopicTagger, facts: RunFacts) -> list[str]:
    n = len(data.label_names)
    if tagger.multilabel_:
        output = "any number of the labels per article" + (
            " (at least its best one)" if tagger.at_least_one else ""
        )
    else:
        output = "exactly one label per article"
    counts = data.train_counts
    rare = sorted(name for name in data.label_names if counts.get(name, 0) < _FEW_EXAMPLES)
    lines = [
        "## Intended use",
        "",
        f"Tag news articles like those of `{data.name}` with {output}, among the {n} topics "
        "below: batch tagging with `predict.py`, or serving the logged MLflow model. The input "
        "is the article's text fields joined as in training; the output is the labels and "
        "one score per label.",
        "",
        "## Limits",
        "",
        f"- It knows only these {n} topics; an article on another subject still gets "
        "the closest ones. It has seen only the language and style of its training articles; "
        "`predict.py` reports each article's out-of-vocabulary rate to flag drift.",
        "- Bag of n-grams: word order beyond n-grams, negation and context are not understood.",
    ]
    if rare:
        lines.append(
            f"- {len(rare)} label(s) have fewer than {_FEW_EXAMPLES} training articles, so their "
            f"scores are unreliable: {', '.join(rare[:30])}"
            + (f" and {len(rare) - 30} more." if len(rare) > 30 else ".")
        )
    if not data.checked:
        lines.append(
            "- Trained out of core: the data checks (empty texts, duplicates, train/test "
            "overlap) did not run, so test scores may be optimistic."
        )
    if facts.near_duplicates:
        lines.append(
            f"- {facts.near_duplicates} test article(s) also appear in the training split "
            "(equal up to case, punctuation and numbers): test scores are optimistic."
        )
    lines.append(
        "- Scores below are measured on this data set only; re-check them on your own "
        "labelled articles before relying on the tags."
    )
    return lines


def _scores(cv_metrics: Mapping[str, float], evaluation: Evaluation, folds: int) -> list[str]:
    header = ["metric", f"{folds}-fold CV (mean ± std)" if folds else "CV (off)", "test"]
    rows = []
    for name in _SCORES:
        cv = (
            f"{cv_metrics[name]:.4f} ± {cv_metrics[f'{name}_std']:.4f}"
            if name in cv_metrics
            else "-"
        )
        rows.append((name, cv, evaluation.metrics.get(name, "-")))
    return [
        "## Scores",
        "",
        "Models are chosen by the cross-validation scores on the training split; the test "
        "split is evaluated once.",
        "",
        markdown_table(header, rows),
    ]


def _per_label(data: DataFacts, evaluation: Evaluation, tagger: TopicTagger) -> list[str]:
    thresholds = dict(zip(tagger.labels_, tagger.thresholds_, strict=True))
    if not tagger.multilabel_:
        how = "Single-label data: the label with the highest score is predicted (no thresholds)."
    elif tagger.tune_thresholds:
        how = (
            f"A label is predicted when its {tagger.score_kind_} score reaches its threshold, "
            "tuned for F1 on out-of-fold scores of the training split (default "
            f"{tagger.default_threshold_:g})."
        )
    else:
        how = f"Every label's threshold is the default {tagger.default_threshold_:g} (not tuned)."
    rows = [
        (
            r["label"],
            data.train_counts.get(str(r["label"]), 0),
            f"{thresholds[r['label']]:+.3f}" if tagger.multilabel_ else "-",
            r["support"],
            r["precision"],
            r["recall"],
            r["f1"],
        )
        for r in evaluation.per_label
    ]
    header = ["label", "training articles", "threshold", "test articles", "precision"]
    return [
        "## Labels: thresholds and test scores",
        "",
        how,
        "",
        markdown_table([*header, "recall", "f1"], rows),
    ]


def render(
    cfg: DictConfig,
    data: DataFacts,
    cv_metrics: Mapping[str, float],
    evaluation: Evaluation,
    tagger: TopicTagger,
    facts: RunFacts,
    plots: Sequence[str] = (),
) -> str:
    """The card's Markdown text; ``cv_metrics`` without their ``cv_`` prefix, ``plots`` the
    artifact paths of the run's figures."""
    kind = "multi-label" if data.multilabel else "single-label"
    folds = cfg.cv.folds if cfg.cv.folds and cfg.cv.folds > 1 else 0
    lines = [
        f"# Model card: {model_name(cfg)} on {data.name}",
        "",
        f"{data.n_train} training and {data.n_test} test articles, "
        f"{len(data.label_names)} labels, {kind}.",
        "",
        *_provenance(facts, data),
        "",
        *_use_and_limits(data, tagger, facts),
        "",
        *_scores(cv_metrics, evaluation, folds),
        "",
        *_per_label(data, evaluation, tagger),
        "",
        "## Config",
        "",
        "What defines the model; the whole resolved config (paths and tracking included) is "
        "`config.yaml` in this run.",
        "",
        "```yaml",
        defining_config(cfg).rstrip(),
        "```",
        "",
    ]
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{path}]({path})" for path in plots]
        lines.append("")
    return "\n".join(lines)


def to_html(markdown: str, images: Mapping[str, bytes]) -> str:
    """The card as one HTML page; images referenced by artifact path are embedded."""
    # Raw HTML in the text (a label name, a path) is shown as text, never interpreted.
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(markdown)
    for token in tokens:
        for child in token.children or ():
            src = child.attrGet("src") if child.type == "image" else None
            if src in images:
                encoded = base64.b64encode(images[src]).decode("ascii")
                child.attrSet("src", f"data:image/png;base64,{encoded}")
    title = markdown.splitlines()[0].lstrip("# ") if markdown else "Model card"
    body = parser.renderer.render(tokens, parser.options, {})
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{body}</body></html>\n"
    )
