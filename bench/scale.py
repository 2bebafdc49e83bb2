"""Scale benchmark: out-of-core training at growing sizes, and Spark scoring against the
local engine on the same file, in one run.

    python bench/scale.py                        # 250k, 500k, 1M, 2M training; 1M scored
    python bench/scale.py --sizes 2000 4000 --score-docs 5000 --out /tmp/scale.json

(a) ``features=hashing model=sgd`` training (classifier.training.streaming) on generated labelled
articles, each size in its own process so its peak RSS is its own; targets: peak RSS at
most 2 GB and time growing linearly. (b) the same 1M-article JSONL file tagged by the local
engine (classifier.prediction.local, one process) and by Spark in local[2] mode
(classifier.prediction.spark); both throughputs and Spark's time over the local engine's.

Articles are generated from sentences of the bundled demo corpus (CC0, data/demo): each
gets one or two topics and two to four sentences of single-topic demo articles per topic.
Generated files go to bench/work/ (git-ignored). Prints a markdown table and writes
bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from report import machine, write_result

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo" / "train.jsonl"
RSS_TARGET_MB = 2048


def sentence_pool() -> dict[str, list[str]]:
    """Sentences of the single-topic demo articles, by topic."""
    pool: dict[str, list[str]] = {}
    for line in DEMO.open():
        row = json.loads(line)
        if len(row["topics"]) == 1:
            parts = re.split(r"(?<=[.!?])\s+", row["body"].replace("\n", " "))
            pool.setdefault(row["topics"][0], []).extend(p for p in parts if len(p) > 20)
    return pool


def generate(path: Path, n: int, seed: int) -> None:
    """``n`` labelled articles as JSONL (id, title, body, topics)."""
    rng = random.Random(seed)
    pool = sentence_pool()
    topics = sorted(pool)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        for i in range(n):
            chosen = sorted(rng.sample(topics, rng.choice((1, 1, 2))))
            sentences = [s for t in chosen for s in rng.sample(pool[t], rng.randint(2, 4))]
            rng.shuffle(sentences)
            title = " ".join(sentences[0].split()[:8])
            record = {"id": f"g{i}", "title": title, "body": " ".join(sentences), "topics": chosen}
            fh.write(json.dumps(record) + "\n")
    tmp.rename(path)


def ensure(path: Path, n: int, seed: int) -> Path:
    if not path.exists():
        started = time.perf_counter()
        generate(path, n, seed)
        print(f"generated {path.name} ({n} rows) in {time.perf_counter() - started:.0f}s")
    return path


def train_one(path: str, chunk_size: int) -> dict:
    """Child process: one out-of-core fit of ``path``; its own time and peak RSS."""
    from sklearn.linear_model import SGDClassifier

    from classifier.data.chunks import read_chunks
    from classifier.model.features import build_hashing
    from classifier.model.tagger import TopicTagger
    from classifier.training.streaming import fit_streaming

    labels = sorted(sentence_pool())
    tagger = TopicTagger(
        SGDClassifier(loss="modified_huber", alpha=1e-6, random_state=0),
        features=build_hashing(),
    )
    fields = ["title", "body"]
    started = time.perf_counter()
    _, counts = fit_streaming(
        tagger,
        lambda: read_chunks(path, fields, "topics", None, chunk_size),
        labels,
        multilabel=True,
    )
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": counts["rows"], "seconds": seconds, "peak_rss_mb": rss_mb}


def bench_training(work: Path, sizes: list[int], chunk_size: int) -> list[dict]:
    results = []
    for n in sizes:
        path = ensure(work / f"train_{n}.jsonl", n, seed=n)
        out = subprocess.run(
            [sys.executable, __file__, "--train-one", str(path), "--chunk-size", str(chunk_size)],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["rows_per_second"] = row["rows"] / row["seconds"]
        results.append(row)
        print(f"trained {n}: {row['seconds']:.1f}s, peak RSS {row['peak_rss_mb']:.0f} MB")
    return results


def bench_scoring(work: Path, n: int) -> dict:
    """Tag one file with the local engine and with Spark local[2]; same model, same file."""
    from sklearn.svm import LinearSVC

    from classifier.model.tagger import TopicTagger
    from classifier.prediction.local import predict_file
    from classifier.prediction.options import PredictOptions
    from classifier.prediction.spark import predict_spark, spark_session

    source = ensure(work / f"score_{n}.jsonl", n, seed=1)
    fit_path = ensure(work / "fit_20000.jsonl", 20000, seed=2)
    rows = [json.loads(line) for line in fit_path.open()]
    tagger = TopicTagger(LinearSVC(), tune_thresholds=False).fit(
        [r["title"] + "\n\n" + r["body"] for r in rows], [r["topics"] for r in rows]
    )
    started = time.perf_counter()
    local = predict_file(
        tagger, str(source), str(work / "local.parquet"), PredictOptions(progress=False)
    )
    local_seconds = time.perf_counter() - started
    print(f"local engine: {local.tagged} in {local_seconds:.1f}s")

    started = time.perf_counter()
    spark = spark_session("local[2]", "classifier-bench")
    spark.sparkContext.setLogLevel("ERROR")
    startup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    summary = predict_spark(tagger, str(source), str(work / "spark.parquet"))
    spark_seconds = time.perf_counter() - started
    spark.stop()
    print(f"spark local[2]: {summary.tagged} in {spark_seconds:.1f}s (+{startup_seconds:.1f}s)")
    if summary.tagged != local.tagged or summary.label_counts != local.label_counts:
        raise SystemExit("error: Spark and local engine disagree on the bench file")
    return {
        "articles": n,
        "local_seconds": local_seconds,
        "local_articles_per_second": n / local_seconds,
        "spark_master": "local[2]",
        "spark_startup_seconds": startup_seconds,
        "spark_seconds": spark_seconds,
        "spark_articles_per_second": n / spark_seconds,
        "spark_over_local_time": spark_seconds / local_seconds,
        "same_label_counts": summary.label_counts == local.label_counts,
    }


def table(training: list[dict], scoring: dict | None) -> str:
    base = training[0]
    lines = [
        "| rows | train s | rows/s | s per row vs smallest | peak RSS MB | RSS <= 2 GB |",
        "| ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for r in training:
        per_row = (r["seconds"] / r["rows"]) / (base["seconds"] / base["rows"])
        ok = "yes" if r["peak_rss_mb"] <= RSS_TARGET_MB else "NOT REACHED"
        lines.append(
            f"| {r['rows']:,} | {r['seconds']:.1f} | {r['rows_per_second']:,.0f} | "
            f"{per_row:.2f} | {r['peak_rss_mb']:.0f} | {ok} |"
        )
    if scoring:
        lines += [
            "",
            "| engine | articles | seconds | articles/s |",
            "| --- | ---: | ---: | ---: |",
            f"| local (1 process) | {scoring['articles']:,} | {scoring['local_seconds']:.1f} | "
            f"{scoring['local_articles_per_second']:,.0f} |",
            f"| Spark local[2] | {scoring['articles']:,} | {scoring['spark_seconds']:.1f} | "
            f"{scoring['spark_articles_per_second']:,.0f} |",
            "",
            f"Spark time / local time: {scoring['spark_over_local_time']:.2f} "
            f"(session start-up {scoring['spark_startup_seconds']:.1f}s not included)",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000, 2_000_000]
    )
    parser.add_argument("--score-docs", type=int, default=1_000_000, help="0: skip Spark part")
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "scale.json")
    parser.add_argument("--train-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.train_one:
        print(json.dumps(train_one(args.train_one, args.chunk_size)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "machine": machine(),
        "chunk_size": args.chunk_size,
        "peak_rss_target_mb": RSS_TARGET_MB,
        "sizes_requested": args.sizes,
        "scoring": None,
        "training": [],
    }

    def save() -> None:
        # Written after every step, so an interrupted run keeps what it measured.
        write_result(args.out, result)

    if args.score_docs:
        result["scoring"] = bench_scoring(args.work, args.score_docs)
        save()
    for n in args.sizes:
        result["training"] += bench_training(args.work, [n], args.chunk_size)
        training = result["training"]
        first, last = training[0], training[-1]
        result["training_time_growth_vs_linear"] = (last["seconds"] / first["seconds"]) / (
            last["rows"] / first["rows"]
        )
        result["peak_rss_target_reached"] = all(r["peak_rss_mb"] <= RSS_TARGET_MB for r in training)
        save()
    print(table(result["training"], result["scoring"]))
    growth = result["training_time_growth_vs_linear"]
    print(f"\ntime per row, largest / smallest size: {growth:.2f} (1.00 = linear)")


if __name__ == "__main__":
    main()
