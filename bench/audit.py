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

    python bench/audit.py [--from ../shared/data/reuters21578.tar.gz] [--skip-loop]

Prints tables and writes bench/results/audit.json (ids and figures only, no text).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir

from classifier.audit.label_errors import rank_label_issues
from classifier.audit.margins import margins
from classifier.audit.run import indicator
from classifier.audit.selection import select_random, select_uncertain
from classifier.data.corpus import Split
from classifier.data.fetch import fetch_reuters21578
from classifier.model.metrics import score_indicators
from classifier.training.crossval import out_of_fold
from classifier.training.trainer import build_tagger, load_corpus

REPO = Path(__file__).resolve().parents[1]


def flip_labels(
    split: Split, labels: list[str], share: float, seed: int
) -> tuple[Split, dict[int, str]]:
    """``split`` with one label removed or one wrong label added (half each, drawn at
    random) on a seeded ``share`` of its stories; returns it and ``{row: kind}``."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(split), size=round(share * len(split)), replace=False)
    new_labels = [list(item) for item in split.labels]
    kinds: dict[int, str] = {}
    for i in sorted(rows.tolist()):
        item = new_labels[i]
        if item and rng.random() < 0.5:
            item.remove(item[rng.integers(len(item))])
            kinds[i] = "removed"
        else:
            item.append(rng.choice([lab for lab in labels if lab not in item]))
            item.sort()
            kinds[i] = "added"
    return Split(split.ids, split.texts, new_labels), kinds


def top_n_scores(ranked: list[int], flipped: dict[int, str], n: int) -> dict:
    """Precision and recall of the first ``n`` ranked rows against the flipped rows."""
    top = ranked[:n]
    hits = [i for i in top if i in flipped]
    by_kind = {
        kind: sum(flipped[i] == kind for i in hits)
        / max(sum(k == kind for k in flipped.values()), 1)
        for kind in ("removed", "added")
    }
    return {
        "listed": len(top),
        "hits": len(hits),
        "precision_at_n": len(hits) / max(len(top), 1),
        "recall_at_n": len(hits) / max(len(flipped), 1),
        "recall_removed": by_kind["removed"],
        "recall_added": by_kind["added"],
    }


def cleanlab_ranking(oof, given: np.ndarray) -> list[int] | None:
    """Rows ranked by cleanlab's multi-label label quality score (lowest first), with the
    logistic of the out-of-fold margin as probabilities; None without cleanlab."""
    try:
        from cleanlab.multilabel_classification.rank import get_label_quality_scores
    except ImportError:
        return None
    margin = margins(oof.scores, oof.thresholds, oof.multilabel)
    probs = 1.0 / (1.0 + np.exp(-np.nan_to_num(margin, nan=-10.0)))
    lists = [np.flatnonzero(row).tolist() for row in given]
    quality = get_label_quality_scores(lists, probs)
    return np.argsort(quality, kind="stable").tolist()


def planted_errors(cfg, corpus, share: float, seed: int, folds: int) -> dict:
    """Part 1: flip labels, rank by the audit, the baseline and cleanlab; score each."""
    labels = corpus.label_names
    flipped_split, flipped = flip_labels(corpus.train, labels, share, seed)
    given = indicator(flipped_split.labels, labels)
    n = len(flipped)
    tagger = build_tagger(cfg)

    started = time.perf_counter()
    oof = out_of_fold(tagger, flipped_split, folds, cfg.seed, stratify=True)
    oof_s = time.perf_counter() - started
    assert oof.labels == labels
    issues = rank_label_issues(
        flipped_split.ids, labels, given, oof.scores, oof.thresholds, oof.multilabel
    )
    audit = top_n_scores([x.index for x in issues], flipped, n)
    confident = [x.index for x in issues if x.confident]
    audit["confident_listed"] = len(confident)
    audit["confident_precision"] = sum(i in flipped for i in confident) / max(len(confident), 1)
    audit["confident_recall"] = sum(i in flipped for i in confident) / n
    audit["flagged"] = len(issues)
    audit["seconds"] = oof_s

    started = time.perf_counter()
    final = build_tagger(cfg).fit(flipped_split.texts, flipped_split.labels)
    train_scores = final.decision_function(flipped_split.texts)
    baseline_s = time.perf_counter() - started
    assert list(final.labels_) == labels
    own = rank_label_issues(
        flipped_split.ids,
        labels,
        given,
        train_scores,
        np.broadcast_to(final.thresholds_, train_scores.shape),
        final.multilabel_,
    )
    baseline = top_n_scores([x.index for x in own], flipped, n)
    baseline["flagged"] = len(own)
    baseline["seconds"] = baseline_s
    rows = [
        {"method": "audit: out-of-fold evidence", **audit},
        {"method": "baseline: final model's errors on its training data", **baseline},
    ]
    ranked = cleanlab_ranking(oof, given)
    if ranked is not None:
        import cleanlab

        rows.append(
            {
                "method": f"cleanlab {cleanlab.__version__} label quality, same out-of-fold scores",
                **top_n_scores(ranked, flipped, n),
            }
        )
    return {
        "n_train": len(corpus.train),
        "flip_share": share,
        "flip_seed": seed,
        "flipped": n,
        "flipped_removed": sum(k == "removed" for k in flipped.values()),
        "flipped_added": sum(k == "added" for k in flipped.values()),
        "folds": folds,
        "oof_micro_f1": score_indicators(given, oof.predicted, labels, True).metrics["micro_f1"],
        "rows": rows,
        "flipped_ids": sorted(flipped_split.ids[i] for i in flipped),
    }


def test_scores(tagger, test: Split, labels: list[str]) -> dict[str, float]:
    """Micro- and macro-F1 on ``test`` over all ``labels`` (unknown to the model: F1 0)."""
    y_true = indicator(test.labels, labels)
    y_pred = indicator(tagger.predict(test.texts), labels)
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


def print_tables(result: dict) -> None:
    part = result["planted_errors"]
    print(
        f"\nplanted label errors: {part['flipped']} of {part['n_train']} training stories "
        f"({part['flipped_removed']} removed, {part['flipped_added']} added), "
        f"N = {part['flipped']}\n"
    )
    print("| method | precision at N | recall at N | recall removed | recall added | flagged |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in part["rows"]:
        print(
            f"| {r['method']} | {r['precision_at_n']:.3f} | {r['recall_at_n']:.3f} | "
            f"{r['recall_removed']:.3f} | {r['recall_added']:.3f} | {r.get('flagged', '')} |"
        )
    loop = result.get("labelling_loop")
    if not loop:
        return
    print(f"\nlabelling loop: start {loop['start']} stories, +{loop['batch']} per round\n")
    print(
        "| round | labelled | macro-F1 uncertain | macro-F1 random | gain "
        "| micro-F1 uncertain | micro-F1 random |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for u, r in zip(loop["curves"]["uncertain"], loop["curves"]["random"], strict=True):
        print(
            f"| {u['round']} | {u['labelled']} | {u['macro_f1']:.4f} | {r['macro_f1']:.4f} | "
            f"{u['macro_f1'] - r['macro_f1']:+.4f} | {u['micro_f1']:.4f} | {r['micro_f1']:.4f} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="reuters", help="config in conf/experiment/")
    parser.add_argument("--subset", default=None, help="r90 (default of the experiment), r10, all")
    parser.add_argument(
        "--from", dest="source", type=Path, default=None, help="local copy of reuters21578.tar.gz"
    )
    parser.add_argument("--raw-dir", type=Path, default=REPO / "data/raw/reuters21578")
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/audit.json")
    parser.add_argument("--flip-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0, help="seed of the flips and the loop")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--start-share", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-loop", action="store_true", help="only the planted errors")
    args = parser.parse_args(argv)

    fetch_reuters21578(args.raw_dir, source=args.source)
    overrides = [f"experiment={args.experiment}", f"data.raw_dir={args.raw_dir}"]
    if args.subset:
        overrides.append(f"data.subset={args.subset}")
    with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
        cfg = compose("audit", overrides=overrides)
    corpus = load_corpus(cfg)
    print(
        f"{corpus.name} {cfg.data.subset}: {len(corpus.train)} train / {len(corpus.test)} "
        f"test stories, {len(corpus.label_names)} labels",
        file=sys.stderr,
    )
    result = {
        "corpus": corpus.name,
        "subset": cfg.data.subset,
        "experiment": args.experiment,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "planted_errors": planted_errors(cfg, corpus, args.flip_share, args.seed, args.folds),
    }
    if not args.skip_loop:
        result["labelling_loop"] = labelling_loop(
            cfg, corpus, args.start_share, args.batch, args.rounds, args.seed
        )
    print_tables(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
