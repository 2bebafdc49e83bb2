"""The audit's files: ranked label issues, duplicate groups and confused label pairs as
CSV, and one Markdown report a person reads top to bottom. Each is written atomically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.atomic import atomic_path
from classifier.audit.confusions import Confusion
from classifier.audit.duplicates import DuplicateGroup
from classifier.audit.label_errors import LabelIssue
from classifier.markdown import markdown_table

ISSUES = "issues.csv"
DUPLICATES = "duplicates.csv"
CONFUSIONS = "confusions.csv"
REPORT = "report.md"


@dataclass(frozen=True)
class AuditResult:
    """What one audit found, and about which data."""

    data_name: str
    n_articles: int
    labels: list[str]
    issues: list[LabelIssue]
    duplicates: list[DuplicateGroup]
    confusions: list[Confusion]
    # run facts shown at the top of the report (folds, model, OOF micro-F1, ...)
    facts: Mapping[str, Any]
    # id -> start of the text, for the report only (never in the CSV files)
    excerpts: Mapping[str, str]


def issues_frame(issues: Sequence[LabelIssue]) -> pd.DataFrame:
    """One row per suspect article, most suspect first."""
    return pd.DataFrame(
        {
            "rank": range(1, len(issues) + 1),
            "id": [x.id for x in issues],
            "given_labels": ["|".join(x.given) for x in issues],
            "suspected_labels": ["|".join(x.suspected) for x in issues],
            "score": [round(x.score, 4) for x in issues],
            "confident": [x.confident for x in issues],
            "reason": [x.reason for x in issues],
        },
        columns=["rank", "id", "given_labels", "suspected_labels", "score", "confident", "reason"],
    )


def duplicates_frame(groups: Sequence[DuplicateGroup]) -> pd.DataFrame:
    """One row per article of each duplicate group, groups in report order."""
    rows = [
        {
            "group": g,
            "kind": "exact" if group.exact else "near",
            "similarity": round(group.similarity, 4),
            "conflicting": group.conflicting,
            "split": m.split,
            "id": m.id,
            "labels": "|".join(m.labels),
        }
        for g, group in enumerate(groups, start=1)
        for m in group.members
    ]
    columns = ["group", "kind", "similarity", "conflicting", "split", "id", "labels"]
    return pd.DataFrame(rows, columns=columns)


def confusions_frame(pairs: Sequence[Confusion]) -> pd.DataFrame:
    """One row per confused pair, most frequent first."""
    return pd.DataFrame(
        [(p.given, p.predicted, p.count, round(p.share, 4)) for p in pairs],
        columns=["given", "predicted_instead", "count", "share_of_given"],
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def render(result: AuditResult, top: int) -> str:
    """The Markdown report: facts, then the first ``top`` rows of each finding."""
    confident = sum(x.confident for x in result.issues)
    conflicting = [g for g in result.duplicates if g.conflicting]
    lines = [
        f"# Label audit: {result.data_name}",
        "",
        markdown_table(["", "value"], [(k, v) for k, v in result.facts.items()]),
        "",
        "## Likely label errors",
        "",
        f"{len(result.issues)} of {result.n_articles} training articles have a label that "
        f"their out-of-fold scores contradict; {confident} of them confidently (score >= 1: "
        "the article scores like a typical article of the other side). Score: how far past "
        "the threshold, in units of the distance from the threshold to the other side's "
        "mean. Most suspect first:",
        "",
        markdown_table(
            ["rank", "id", "given", "suspected", "score", "reason", "text"],
            [
                (
                    r,
                    x.id,
                    ", ".join(x.given),
                    ", ".join(x.suspected),
                    x.score,
                    x.reason,
                    result.excerpts.get(x.id, ""),
                )
                for r, x in enumerate(result.issues[:top], start=1)
            ],
        ),
        "",
        "## Duplicates",
        "",
        f"{len(result.duplicates)} groups of exact or near duplicates, {len(conflicting)} of "
        "them with different labels (listed first), "
        f"{sum(g.cross_split for g in result.duplicates)} spanning splits.",
        "",
        markdown_table(
            ["group", "kind", "similarity", "articles (split:id [labels])"],
            [
                (
                    g,
                    "exact" if d.exact else "near",
                    d.similarity,
                    "; ".join(f"{m.split}:{m.id} [{', '.join(m.labels)}]" for m in d.members),
                )
                for g, d in enumerate(result.duplicates[:top], start=1)
            ],
        ),
        "",
        "## Most confused label pairs",
        "",
        "Out of fold, articles that carry *given* were tagged *predicted instead* (and not "
        "*given*); share: of the articles that carry *given*.",
        "",
        markdown_table(
            ["given", "predicted instead", "articles", "share"],
            [(p.given, p.predicted, p.count, p.share) for p in result.confusions[:top]],
        ),
        "",
    ]
    return "\n".join(lines)


def write_outputs(result: AuditResult, out_dir: str | Path, top: int) -> list[Path]:
    """Write the three CSV files and the report into ``out_dir``; return their paths."""
    out = Path(out_dir)
    paths = [out / ISSUES, out / DUPLICATES, out / CONFUSIONS, out / REPORT]
    _write_csv(issues_frame(result.issues), paths[0])
    _write_csv(duplicates_frame(result.duplicates), paths[1])
    _write_csv(confusions_frame(result.confusions), paths[2])
    with atomic_path(paths[3]) as tmp:
        tmp.write_text(render(result, top), encoding="utf-8")
    return paths
