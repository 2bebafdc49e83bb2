"""Checks on a corpus before training: leakage between splits, empty texts, rare labels.

Their results are printed and logged with the run, so a surprising score can be traced
to the data (Reuters-21578, for one, has stories that appear in both splits).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

from classifier.data.corpus import Corpus, Split
from classifier.model.cleaning_rules import clean_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataReport:
    """What the checks found; ``dropped_labels`` maps each removed label to its count."""

    n_train: int
    n_test: int
    empty_train: int
    empty_test: int
    exact_duplicates: int
    near_duplicates: int
    label_cardinality_train: float
    label_cardinality_test: float
    dropped_labels: dict[str, int] = field(default_factory=dict)
    dropped_articles: int = 0

    def metrics(self) -> dict[str, float]:
        """The numeric findings, named for MLflow (``data_*``)."""
        return {
            f"data_{k}": float(v)
            for k, v in asdict(self).items()
            if isinstance(v, int | float) and not k.startswith("n_")
        }


def _fingerprint(text: str) -> str:
    """Same words ignoring case, punctuation, numbers and spacing -> same fingerprint."""
    return hashlib.blake2b(clean_text(text, digits="remove").encode(), digest_size=16).hexdigest()


def _cardinality(split: Split) -> float:
    return sum(map(len, split.labels)) / max(len(split), 1)


def _drop_labels(split: Split, rare: set[str], drop_unlabelled: bool) -> tuple[Split, int]:
    keep, dropped = [], 0
    labels = [[lab for lab in item if lab not in rare] for item in split.labels]
    for i, (before, after) in enumerate(zip(split.labels, labels, strict=True)):
        if drop_unlabelled and before and not after:
            dropped += 1
        else:
            keep.append(i)
    cleaned = Split(split.ids, split.texts, labels)
    return (cleaned.subset(keep) if dropped else cleaned), dropped


def check_corpus(corpus: Corpus, min_count: int = 1) -> tuple[Corpus, DataReport]:
    """Count duplicates and empty texts, and drop labels with fewer than ``min_count``
    training examples (with a warning). Single-label articles whose label is dropped are
    dropped too; multi-label ones stay, as negatives for the remaining labels."""
    counts = Counter(lab for item in corpus.train.labels for lab in item)
    rare = {lab for lab, n in counts.items() if n < min_count}
    dropped_articles = 0
    if rare:
        multilabel = corpus.multilabel
        train, d1 = _drop_labels(corpus.train, rare, not multilabel)
        test, d2 = _drop_labels(corpus.test, rare, not multilabel)
        dropped_articles = d1 + d2
        corpus = replace(corpus, train=train, test=test)
        log.warning(
            "dropped %d label(s) with fewer than %d training examples: %s",
            len(rare),
            min_count,
            ", ".join(sorted(rare)),
        )
    train_texts = set(corpus.train.texts)
    train_prints = {_fingerprint(t) for t in corpus.train.texts}
    report = DataReport(
        n_train=len(corpus.train),
        n_test=len(corpus.test),
        empty_train=sum(not t.strip() for t in corpus.train.texts),
        empty_test=sum(not t.strip() for t in corpus.test.texts),
        exact_duplicates=sum(t in train_texts for t in corpus.test.texts),
        near_duplicates=sum(_fingerprint(t) in train_prints for t in corpus.test.texts),
        label_cardinality_train=_cardinality(corpus.train),
        label_cardinality_test=_cardinality(corpus.test),
        dropped_labels={lab: counts[lab] for lab in sorted(rare)},
        dropped_articles=dropped_articles,
    )
    if report.near_duplicates:
        log.warning(
            "%d test article(s) also in the training split (%d identical, the rest equal "
            "up to case, punctuation and numbers): test scores are optimistic",
            report.near_duplicates,
            report.exact_duplicates,
        )
    log.info(
        "labels per article: %.2f train, %.2f test",
        report.label_cardinality_train,
        report.label_cardinality_test,
    )
    return corpus, report
