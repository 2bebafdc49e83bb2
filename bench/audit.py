"""Label audit benchmark on Reuters-21578 (ModApte r90), in one run:

1. planted label errors: a seeded share of training stories (5%) get one label removed or
   a wrong one added; the audit ranks the training split by out-of-fold evidence, the
   baseline by the final model's own errors on its training data (same measure, scores
   of the model fitted on all of it), and cleanlab's multi-label label quality score on
   the same out-of-fold scores is shown for reference. Reported: precision and recall of
   each top-N list, N = the number of flipped stories.
2. a simulated labelling loop: from 10% of the training stories, add 500 stories per round
   for 5 rounds, chosen by ``select_uncertain`` or at random; macro-F1 on the test split
   after each round (the test split is only evaluated, never used to choose).
3. exact and near duplicates of the corpus, and how many carry different labels.

    python bench/audit.py [--from ../shared/data/reuters21578.tar.gz] [--skip-loop]

Prints tables and writes bench/results/audit.json (ids and figures only, no text).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from report import machine, print_table, write_result
from reuters import add_corpus_args, config_and_corpus

from classifier.audit.duplicates import find_duplicates
from classifier.audit.label_errors import article_scores, decision_margins
from classifier.audit.selection import select_random, select_uncertain
from classifier.data.corpus import Split
from classifier.data.labels import label_indicator
from classifier.model.metrics import score_indicators
from classifier.training.crossval import OutOfFold, out_of_fold
from classifier.training.trainer import build_tagger

REPO = Path(__file__).resolve().parents[1]


def flip_labels(
    split: Split, labels: list[str], share: float, seed: int
) -> tuple[Split, dict[int, str]]:
    """``split`` with one label removed or one wrong label added (half each, drawn at
    random) on a seeded ``share`` of its stories; returns it and ``{row: kind}``, kind
    ``removed``, ``removed_last`` (the story is left without labels) or ``added``."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(split), size=round(share * len(split)), replace=False)
    new_labels = [list(item) for item in split.labels]
    kinds: dict[int, str] = {}
    for i in sorted(rows.tolist()):
        item = new_labels[i]
        if item and rng.random() < 0.5:
            item.remove(item[rng.integers(len(item))])
            kinds[i] = "removed" if item else "removed_last"
        else:
            item.append(rng.choice([lab for lab in labels if lab not in item]))
            item.sort()
            kinds[i] = "added"
    return Split(split.ids, split.texts, new_labels), kinds


KINDS = ("removed", "removed_last", "added")


def top_n_scores(ranked: list[int], flipped: dict[int, str], n: int) -> dict:
    """Precision and recall of the first ``n`` ranked rows against the flipped rows."""
    top = ranked[:n]
    hits = [i for i in top if i in flipped]
    out = {
        "listed": len(top),
        "hits": len(hits),
        "precision_at_n": len(hits) / max(len(top), 1),
        "recall_at_n": len(hits) / max(len(flipped), 1),
    }
    for kind in KINDS:
        total = sum(k == kind for k in flipped.values())
        out[f"recall_{kind}"] = sum(flipped[i] == kind for i in hits) / max(total, 1)
    return out


def ranking_scores(
    given: np.ndarray,
    scored: OutOfFold,
    variant: tuple[str, bool, bool],
    flipped: dict[int, str],
) -> dict:
    """:func:`top_n_scores` of every article ranked by its audit score (flagged ones, in
    the order ``audit.py`` lists them, then the rest), plus the confident (>= 1) list.
    ``variant``: the threshold, the unlabelled-article rule and the spread floor."""
    threshold, rule, spread_floor = variant
    _, _, best = article_scores(given, scored, threshold, rule, spread_floor)
    ranked = np.argsort(-best, kind="stable").tolist()
    confident = np.flatnonzero(best >= 1.0).tolist()
    return {
        **top_n_scores(ranked, flipped, len(flipped)),
        # rows (made ids by planted_errors), scores and flips of the first ten
        "first": [[i, float(best[i]), i in flipped] for i in ranked[:10]],
        "flagged": int((best > 0).sum()),
        "confident": len(confident),
        "confident_precision": sum(i in flipped for i in confident) / max(len(confident), 1),
        "confident_recall": sum(i in flipped for i in confident) / max(len(flipped), 1),
    }


def cleanlab_ranking(scored: OutOfFold, given: np.ndarray) -> list[int] | None:
    """Rows ranked by cleanlab's multi-label label quality score (lowest first), with the
    logistic of the out-of-fold margin (default threshold) as probabilities; None
    without cleanlab."""
    try:
        from cleanlab.multilabel_classification.rank import get_label_quality_scores
    except ImportError:
        return None
    margin = decision_margins(scored, "default")
    probs = 1.0 / (1.0 + np.exp(-np.nan_to_num(margin, nan=-10.0)))
    lists = [np.flatnonzero(row).tolist() for row in given]
    quality = get_label_quality_scores(lists, probs)
    return np.argsort(quality, kind="stable").tolist()


def in_sample(tagger, split: Split) -> OutOfFold:
    """The fitted ``tagger``'s scores on its own training data, shaped like out-of-fold
    scores (the baseline: the final model's own errors)."""
    scores = tagger.decision_function(split.texts)
    return OutOfFold(
        list(tagger.labels_),
        tagger.multilabel_,
        scores,
        np.broadcast_to(tagger.thresholds_, scores.shape),
        tagger.indicator_from_scores(scores),
        tagger.default_threshold_,
    )


def ranking_rows(given, oof, own, flipped, at_least_one: bool) -> list[dict]:
    """Every compared ranking of the flipped training split, scored against the flips."""
    n = len(flipped)
    variants = [
        ("audit: out-of-fold evidence", oof, ("default", at_least_one, True)),
        ("audit, without the spread floor", oof, ("default", at_least_one, False)),
        ("audit, without the unlabelled-article rule", oof, ("default", False, True)),
        ("audit, margins from tuned thresholds", oof, ("tuned", at_least_one, True)),
        (
            "baseline: final model's errors on its training data",
            own,
            ("default", at_least_one, True),
        ),
        ("baseline, without the unlabelled-article rule", own, ("default", False, True)),
    ]
    rows = [
        {"method": name, **ranking_scores(given, scored, variant, flipped)}
        for name, scored, variant in variants
    ]
    ranked = cleanlab_ranking(oof, given)
    if ranked is not None:
        import cleanlab

        name = f"cleanlab {cleanlab.__version__} label quality, same out-of-fold scores"
        rows.append({"method": name, **top_n_scores(ranked, flipped, n)})
    return rows


def planted_errors(cfg, corpus, share: float, seed: int, folds: int) -> dict:
    """Part 1: flip labels, rank by the audit, the baseline and cleanlab; score each."""
    labels = corpus.label_names
    flipped_split, flipped = flip_labels(corpus.train, labels, share, seed)
    given = label_indicator(flipped_split.labels, labels)

    started = time.perf_counter()
    oof = out_of_fold(build_tagger(cfg), flipped_split, folds, cfg.seed, stratify=True)
    oof_s = time.perf_counter() - started
    started = time.perf_counter()
    final = build_tagger(cfg).fit(flipped_split.texts, flipped_split.labels)
    own = in_sample(final, flipped_split)
    baseline_s = time.perf_counter() - started
    assert oof.labels == labels == own.labels
    rows = ranking_rows(given, oof, own, flipped, bool(cfg.tagger.at_least_one))
    for row in rows:
        for first in row.get("first", []):
            first[0] = flipped_split.ids[first[0]]
    return {
        "n_train": len(corpus.train),
        "flip_share": share,
        "flip_seed": seed,
        "flipped": len(flipped),
        **{f"flipped_{kind}": sum(k == kind for k in flipped.values()) for kind in KINDS},
        "folds": folds,
        "oof_seconds": oof_s,
        "baseline_seconds": baseline_s,
        "oof_micro_f1": score_indicators(given, oof.predicted, labels, True).metrics["micro_f1"],
        "rows": rows,
        "flipped_ids": sorted(flipped_split.ids[i] for i in flipped),
    }


def duplicates(corpus, threshold: float) -> dict:
    """Part 3: exact and near duplicates of the unflipped corpus (ids and labels only)."""
    started = time.perf_counter()
    groups = find_duplicates({"train": corpus.train, "test": corpus.test}, threshold)
    seconds = time.perf_counter() - started
    return {
        "threshold": threshold,
        "seconds": seconds,
        "groups": len(groups),
        "conflicting": sum(g.conflicting for g in groups),
        "exact": sum(g.exact for g in groups),
        "exact_conflicting": sum(g.exact and g.conflicting for g in groups),
        "cross_split": sum(g.cross_split for g in groups),
        "conflicting_groups": [
            [[m.split, m.id, m.labels] for m in g.members] for g in groups if g.conflicting
        ],
    }


def test_scores(tagger, test: Split, labels: list[str]) -> dict[str, float]:
    """Micro- and macro-F1 on ``test`` over all ``labels`` (unknown to the model: F1 0)."""
    y_true = label_indicator(test.labels, labels)
    y_pred = label_indicator(tagger.predict(test.texts), labels)
    metrics = score_indicators(y_true, y_pred, labels, True).metrics
    return {"micro_f1": metrics["micro_f1"], "macro_f1": metrics["macro_f1"]}


def labelling_loop(cfg, corpus, start_share: float, batch: int, rounds: int, seed: int) -> dict:
    """Part 2: the same start, then ``batch`` chosen vs ``batch`` random stories a round."""
    labels = corpus.label_names
    train = corpus.train
    rng = np.random.default_rng(seed)
    start = rng.choice(len(train), size=round(start_share * len(train)), replace=False).tolist()
    curves = {}
    for arm in ("uncertain", "random"):
        labelled = list(start)
        curve = []
        for r in range(rounds + 1):
            split = train.subset(labelled)
            started = time.perf_counter()
            tagger = build_tagger(cfg).fit(split.texts, split.labels)
            fit_s = time.perf_counter() - started
            curve.append(
                {
                    "round": r,
                    "labelled": len(labelled),
                    **test_scores(tagger, corpus.test, labels),
                    "fit_s": fit_s,
                }
            )
            print(f"  {arm} round {r}: {curve[-1]}", file=sys.stderr)
            if r == rounds:
                break
            taken = set(labelled)
            pool = [i for i in range(len(train)) if i not in taken]
            if arm == "random":
                picked = [pool[p] for p in select_random(len(pool), batch, seed + r)]
            else:
                texts = [train.texts[i] for i in pool]
                scores = tagger.decision_function(texts)
                thresholds = np.broadcast_to(tagger.thresholds_, scores.shape)
                chosen = select_uncertain(
                    texts, tagger.labels_, scores, thresholds, tagger.multilabel_, batch
                )
                picked = [pool[c.index] for c in chosen]
            labelled += picked
        curves[arm] = curve
    return {
        "start_share": start_share,
        "start": len(start),
        "batch": batch,
        "rounds": rounds,
        "seed": seed,
        "curves": curves,
    }


def _ranking_cells(r: dict) -> list:
    """One ranking of the planted-errors table."""
    confident = f"{r['confident']} ({r['confident_precision']:.3f})" if "confident" in r else ""
    return [
        r["method"],
        *(f"{r[k]:.3f}" for k in ("precision_at_n", "recall_at_n", "recall_removed")),
        *(f"{r[k]:.3f}" for k in ("recall_removed_last", "recall_added")),
        r.get("flagged", ""),
        confident,
        f"{r['first'][0][1]:.1f}" if "first" in r else "",
    ]


def _round_cells(u: dict, r: dict) -> list:
    """One round of the labelling loop: ``u`` the uncertain arm, ``r`` the random one."""
    gain = u["macro_f1"] - r["macro_f1"]
    return [
        u["round"],
        u["labelled"],
        f"{u['macro_f1']:.4f}",
        f"{r['macro_f1']:.4f}",
        f"{gain:+.4f}",
        f"{u['micro_f1']:.4f}",
        f"{r['micro_f1']:.4f}",
    ]


def print_tables(result: dict) -> None:
    part = result["planted_errors"]
    print(
        f"\nplanted label errors: {part['flipped']} of {part['n_train']} training stories "
        f"({part['flipped_removed']} lost one of several labels, {part['flipped_removed_last']} "
        f"their only label, {part['flipped_added']} got a wrong one), N = {part['flipped']}\n"
    )
    header = ["method", "precision at N", "recall at N", "recall: removed", "removed last"]
    header += ["added", "flagged", "confident (precision)", "top score"]
    print_table(header, (_ranking_cells(r) for r in part["rows"]))
    dup = result["duplicates"]
    print(
        f"\nduplicates (cosine >= {dup['threshold']}): {dup['groups']} groups, "
        f"{dup['conflicting']} with different labels ({dup['exact_conflicting']} of them "
        f"exact copies), {dup['cross_split']} spanning train and test ({dup['seconds']:.1f} s)"
    )
    loop = result.get("labelling_loop")
    if not loop:
        return
    print(f"\nlabelling loop: start {loop['start']} stories, +{loop['batch']} per round\n")
    header = ["round", "labelled", "macro-F1 uncertain", "macro-F1 random", "gain"]
    header += ["micro-F1 uncertain", "micro-F1 random"]
    arms = zip(loop["curves"]["uncertain"], loop["curves"]["random"], strict=True)
    print_table(header, (_round_cells(u, r) for u, r in arms))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_args(parser, REPO / "bench/results/audit.json")
    parser.add_argument("--flip-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0, help="seed of the flips and the loop")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--start-share", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-loop", action="store_true", help="only the planted errors")
    args = parser.parse_args(argv)

    cfg, corpus = config_and_corpus(args, "audit")
    result = {
        "corpus": corpus.name,
        "subset": cfg.data.subset,
        "experiment": args.experiment,
        "machine": machine(),
        "planted_errors": planted_errors(cfg, corpus, args.flip_share, args.seed, args.folds),
        "duplicates": duplicates(corpus, cfg.audit.near_duplicate_threshold),
    }
    if not args.skip_loop:
        result["labelling_loop"] = labelling_loop(
            cfg, corpus, args.start_share, args.batch, args.rounds, args.seed
        )
    print_tables(result)
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
