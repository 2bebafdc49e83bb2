"""Likely label errors: given labels that out-of-fold scores contradict, ranked.

The method is confident learning's (Northcutt et al., 2021) applied to each label as its
own yes/no question, on decision values as well as probabilities. For label ``j``:

- an article that has ``j`` but scores below ``j``'s threshold is suspect, the more so the
  closer its score comes to that of a typical article *without* ``j``; an article without
  ``j`` that scores above the threshold, the closer it comes to a typical article *with* it;
- the evidence is the margin beyond the threshold divided by the distance from the
  threshold to the other side's mean margin, so it reads the same for every label: 0 at
  the threshold, 1 when the article looks like the average article of the other side
  (confident learning's cut for the off-diagonal of its "confident joint": a score at or
  past the other class's mean). For labels whose model barely separates the two sides the
  divisor is at least half the gap between the two means and at least the spread of the
  label's margins (their standard deviation within each side, pooled), so a margin
  smaller than the scores' own noise cannot look large.

An article's score is its largest evidence over labels. Margins are taken from the
models' default threshold (0 for decision values; ``audit.threshold=tuned``: the tuned
per-label ones). With the tagger's at-least-one rule, an article with no label at all
is missing one: its best label's evidence is at least 1. Ranking by the score is what
``bench/audit.py`` measures against planted label flips.

cleanlab's multi-label ``find_label_issues`` needs probabilities; the tagger's linear
models give decision values with per-label thresholds tuned for F1, which the method here
uses directly rather than through a calibration step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier.audit.margins import margins
from classifier.errors import ConfigError
from classifier.training.crossval import OutOfFold


@dataclass(frozen=True)
class LabelIssue:
    """One article whose given labels the out-of-fold scores disagree with."""

    index: int
    id: str
    given: list[str]
    suspected: list[str]
    # largest normalised evidence over the article's labels; >= 1: confident
    score: float
    reason: str

    @property
    def confident(self) -> bool:
        """At least as far from its given labels as a typical article of the other side."""
        return self.score >= 1.0


def within_spread(pos: np.ndarray, neg: np.ndarray) -> float:
    """Standard deviation of a label's margins around their own side's mean (positives'
    and negatives' pooled): the scores' noise, without the gap between the two sides
    (which the plain standard deviation of all margins would count as spread too)."""
    squares = ((pos - pos.mean()) ** 2).sum() + ((neg - neg.mean()) ** 2).sum()
    return float(np.sqrt(squares / (len(pos) + len(neg))))


def evidence(margin: np.ndarray, given: np.ndarray, spread_floor: bool = True) -> np.ndarray:
    """Per article and label, the normalised evidence that the given yes/no is wrong.

    Positive when the score lies on the other side of the threshold; NaN where there is no
    evidence (unknown score, or a label with no example on one side or no separation).
    The divisor is the distance from the threshold to the other side's mean, at least half
    the gap between the means and (``spread_floor``) at least :func:`within_spread`, so
    an article's evidence never exceeds its margin in units of the label's spread;
    ``spread_floor=False`` gives the rule without that floor, for comparison.
    """
    out = np.full(margin.shape, np.nan)
    for j in range(margin.shape[1]):
        known = ~np.isnan(margin[:, j])
        is_pos, is_neg = known & given[:, j], known & ~given[:, j]
        pos, neg = margin[is_pos, j], margin[is_neg, j]
        if not len(pos) or not len(neg):
            continue
        mean_pos, mean_neg = pos.mean(), neg.mean()
        gap = mean_pos - mean_neg
        if gap <= 0:
            continue
        floor = max(gap / 2, within_spread(pos, neg) if spread_floor else 0.0)
        out[is_pos, j] = -pos / max(-mean_neg, floor)
        out[is_neg, j] = neg / max(mean_pos, floor)
    return out


THRESHOLDS = ("default", "tuned")


def _reason(
    label: str, present: bool, score: float, threshold: float, ev: float, multilabel: bool
) -> str:
    """One flagged label in words; single-label "thresholds" are the best other score."""
    if not multilabel:
        if present:
            return f"{label} given but another label scored higher ({threshold:.3f} > {score:.3f})"
        return f"{label} not given but scored highest ({score:.3f} > {threshold:.3f}) ({ev:.2f})"
    if present:
        return f"{label} given but scored {score:.3f} < threshold {threshold:.3f} ({ev:.2f})"
    return f"{label} not given but scored {score:.3f} >= threshold {threshold:.3f} ({ev:.2f})"


def check_threshold_choice(threshold: str) -> str:
    """``threshold`` if it names one of :data:`THRESHOLDS`."""
    if threshold not in THRESHOLDS:
        raise ConfigError(f"audit.threshold={threshold!r}: use one of {THRESHOLDS}")
    return threshold


def decision_margins(scored: OutOfFold, threshold: str = "default") -> np.ndarray:
    """Margins from the models' default threshold or from their tuned per-label ones.

    The default (0 for decision values) is where the classifier itself changes its mind;
    tuned thresholds trade precision for recall label by label (for rare labels they sit
    far lower), which makes an article that scores like a typical negative look less wrong.
    """
    if check_threshold_choice(threshold) == "tuned":
        return margins(scored.scores, scored.thresholds, scored.multilabel)
    return margins(scored.scores, np.float64(scored.default_threshold), scored.multilabel)


def unlabelled_evidence(ev: np.ndarray, margin: np.ndarray, given: np.ndarray) -> np.ndarray:
    """``ev`` where an article with no label at all gets evidence of at least 1 for its
    best-scoring label: with the at-least-one rule every article has a label, so one
    without any is missing one, whatever its scores."""
    out = ev.copy()
    empty = np.flatnonzero(~given.any(axis=1) & ~np.isnan(margin).all(axis=1))
    if len(empty):
        best = np.nanargmax(margin[empty], axis=1)
        out[empty, best] = np.fmax(out[empty, best], 1.0)
    return out


def article_scores(
    given: np.ndarray,
    scored: OutOfFold,
    threshold: str = "default",
    at_least_one: bool = False,
    spread_floor: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Margins, evidence (-inf where none) and each article's score (its largest evidence);
    ``spread_floor`` as in :func:`evidence`."""
    margin = decision_margins(scored, threshold)
    ev = evidence(margin, given, spread_floor)
    if at_least_one and scored.multilabel:
        ev = unlabelled_evidence(ev, margin, given)
    filled = np.where(np.isnan(ev), -np.inf, ev)
    best = filled.max(axis=1) if filled.shape[1] else np.full(len(given), -np.inf)
    return margin, filled, best


def rank_label_issues(
    ids: Sequence[str],
    given: np.ndarray,
    scored: OutOfFold,
    threshold: str = "default",
    at_least_one: bool = False,
) -> list[LabelIssue]:
    """Articles with at least one contradicted label, most suspect first.

    ``given`` is the boolean matrix of given labels over ``scored.labels``; ``scored``
    holds the out-of-fold scores (the bench's baseline passes in-sample ones). For
    single-label data the "threshold" of a label is the best other label's score. With
    ``at_least_one`` (multi-label), an article without any label is at least confident.
    An article's suspected labels are its given ones less the contradicted ones plus the
    absent ones that scored above their threshold; when that leaves none, the labels the
    model predicts, or the best-scoring one.
    """
    margin, filled, best = article_scores(given, scored, threshold, at_least_one)
    order = np.argsort(-best, kind="stable")
    names = list(scored.labels)
    issues = []
    for i in order[best[order] > 0].tolist():
        flagged = np.flatnonzero(filled[i] > 0)
        flagged = flagged[np.argsort(-filled[i, flagged], kind="stable")]
        wrong = {int(j) for j in flagged if given[i, j]}
        missing = {int(j) for j in flagged if not given[i, j]}
        keep = [j for j in np.flatnonzero(given[i]).tolist() if j not in wrong]
        suspected = sorted(set(keep) | missing)
        if not suspected:
            suspected = np.flatnonzero(scored.predicted[i]).tolist()
        if not scored.multilabel or not suspected:  # the best-scoring label
            suspected = [int(np.nanargmax(margin[i]))]
        reasons = [
            _reason(
                names[j],
                bool(given[i, j]),
                float(scored.scores[i, j]),
                float(scored.scores[i, j] - margin[i, j]),
                float(filled[i, j]),
                scored.multilabel,
            )
            for j in flagged.tolist()
        ]
        if not given[i].any():
            reasons.insert(0, "no label given")
        issues.append(
            LabelIssue(
                index=i,
                id=ids[i],
                given=[names[j] for j in np.flatnonzero(given[i]).tolist()],
                suspected=[names[j] for j in suspected],
                score=float(best[i]),
                reason="; ".join(reasons),
            )
        )
    return issues
