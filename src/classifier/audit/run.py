"""One audit run: out-of-fold scores of the configured tagger, then label issues,
duplicates and confused pairs, written to files and logged to an MLflow run."""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
from omegaconf import DictConfig

from classifier.audit.confusions import confused_pairs
from classifier.audit.duplicates import find_duplicates
from classifier.audit.label_errors import check_threshold_choice, rank_label_issues
from classifier.audit.report import AuditResult, write_outputs
from classifier.data.corpus import Corpus
from classifier.data.labels import label_indicator
from classifier.errors import ConfigError
from classifier.model.metrics import score_indicators
from classifier.tracking import runs as tracking
from classifier.training.checks import check_corpus
from classifier.training.crossval import out_of_fold
from classifier.training.record import describe_run
from classifier.training.trainer import build_tagger, load_corpus

log = logging.getLogger(__name__)

# Artifact folder of the audit run in MLflow.
ARTIFACTS = "audit"


def excerpt(text: str, chars: int) -> str:
    """The first ``chars`` characters of ``text`` on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"


def check_folds(folds: int) -> int:
    """``folds`` if out-of-fold scores can be computed with it."""
    if folds < 2:
        raise ConfigError(f"audit.folds={folds}: out-of-fold scores need at least 2 folds")
    return folds


def audit_corpus(cfg: DictConfig, corpus: Corpus) -> AuditResult:
    """Everything the audit finds in ``corpus`` with the tagger ``cfg`` describes."""
    options = cfg.audit
    check_folds(options.folds)
    tagger = build_tagger(cfg)
    log.info("out-of-fold scores: %d folds over %d articles", options.folds, len(corpus.train))
    oof = out_of_fold(tagger, corpus.train, options.folds, cfg.seed, options.stratify)
    given = label_indicator(corpus.train.labels, oof.labels)
    at_least_one = bool(cfg.tagger.get("at_least_one", False))
    issues = rank_label_issues(corpus.train.ids, given, oof, options.threshold, at_least_one)
    splits = {"train": corpus.train, "test": corpus.test}
    groups = find_duplicates(splits, options.near_duplicate_threshold)
    pairs = confused_pairs(oof.labels, given, oof.predicted)
    scores = score_indicators(given, oof.predicted, oof.labels, oof.multilabel).metrics
    facts = {
        "articles (training split)": len(corpus.train),
        "labels": len(oof.labels),
        "model": cfg.model.get("_target_", ""),
        "out-of-fold folds": options.folds,
        "margins from": f"{options.threshold} thresholds",
        "out-of-fold micro-F1": scores["micro_f1"],
        "out-of-fold macro-F1": scores["macro_f1"],
        "suspect articles": len(issues),
        "confident (score >= 1)": sum(x.confident for x in issues),
        "near-duplicate threshold": options.near_duplicate_threshold,
    }
    shown = {x.id for x in issues[: options.top_n]} | {
        m.id for g in groups[: options.top_n] for m in g.members
    }
    excerpts = {}
    if options.excerpt_chars:
        for split in splits.values():
            for id_, text in zip(split.ids, split.texts, strict=True):
                if id_ in shown:
                    excerpts[id_] = excerpt(text, options.excerpt_chars)
    return AuditResult(
        corpus.name, len(corpus.train), oof.labels, issues, groups, pairs, facts, excerpts
    )


def run_audit(cfg: DictConfig) -> AuditResult:
    """Audit the training split of ``cfg.data`` and log the files to an MLflow run."""
    check_folds(cfg.audit.folds)
    check_threshold_choice(cfg.audit.threshold)
    corpus, data_report = check_corpus(load_corpus(cfg), cfg.checks.min_count)
    digest = corpus.digest()
    tracking.setup(cfg.mlflow.tracking_uri, cfg.mlflow.experiment)
    tags, _ = describe_run(digest, corpus.name, {"run_kind": "audit"})
    with tracking.run(cfg.get("run_name") or "audit", tags) as active:
        tracking.log_config(cfg)
        tracking.log_corpus(corpus, digest)
        tracking.log_data_report(data_report)
        result = audit_corpus(cfg, corpus)
        out_dir = Path(cfg.audit.output_dir)
        for path in write_outputs(result, out_dir, cfg.audit.top_n):
            mlflow.log_artifact(str(path), ARTIFACTS)
        conflicting = sum(g.conflicting for g in result.duplicates)
        tracking.log_metrics(
            {
                "audit_suspect_articles": len(result.issues),
                "audit_confident_articles": sum(x.confident for x in result.issues),
                "audit_duplicate_groups": len(result.duplicates),
                "audit_conflicting_duplicate_groups": conflicting,
                "oof_micro_f1": float(result.facts["out-of-fold micro-F1"]),
                "oof_macro_f1": float(result.facts["out-of-fold macro-F1"]),
            }
        )
        log.info(
            "%d suspect articles, %d duplicate groups (%d with different labels); "
            "report %s (MLflow run %s)",
            len(result.issues),
            len(result.duplicates),
            conflicting,
            out_dir / "report.md",
            active.info.run_id,
        )
    return result
