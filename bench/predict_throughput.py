"""End-to-end batch prediction throughput: ``predict.py`` against fastText, same articles.

    python bench/predict_throughput.py [--docs 1000000] [--out bench/results/predict.json]
        [--workers threads|processes]

1. Generates ``--docs`` news-like JSONL articles (``{"id", "title", "body"}``, about 800
   characters on average, like a Reuters story) from sentences sampled from the
   Reuters-21578 corpus in data/raw/ into bench/work/ (git-ignored: the corpus text is
   never committed).
2. Times, file to file, each in its own process:
   - classifier: ``predict.py`` with models/reuters.joblib (``python train.py
     experiment=reuters``), all cores (``--workers``: ``threads``, predict.py's default,
     or ``processes``), JSONL in, JSONL out (id, labels, 90 scores, OOV rate);
   - fasttext: a fastText model trained on the ModApte training split as in
     bench/reuters.py, predicting the same file through its Python API (read JSONL,
     clean as in training, ``predict`` in batches, write id, labels and all label
     probabilities as JSONL). Training is not timed; loading the model is, as for
     predict.py.
3. Start-up: ``predict.py`` on a file of one article (imports, signature check, model
   load or cached tables, writing), wall time of the process. The predict.py runs use a
   cache folder of their own (bench/work/cache, ``CLASSIFIER_CACHE_DIR``), emptied first:
   the first run of the model unpickles it and writes its scorer tables (``first run``),
   the next three read them (``start-up``: their median), and one run with
   ``cache=false`` loads the model as every run did before the cache.
4. On one core and in memory, the first ``--reference-docs`` articles: where the time of
   the file-to-file path goes, per stage and per article, in this thread's CPU time
   (less sensitive than wall time to the other processes of a shared machine): reading
   (JSONL blocks to rows), tokenizing, looking up (vocabulary and word pairs, TF-IDF
   weights), multiplying (scores, thresholds, labels), formatting and writing the output;
   beside it the float64 CSR product of the previous version, the scikit-learn pipeline
   itself (``TfidfVectorizer.transform`` and the one-vs-rest ``decision_function``), and
   the agreement of the scorer (float32 coefficients) with that float64 pipeline: the
   largest score difference, label cells that differ, and label cells whose score lies
   within 1e-5 of the threshold (where a label may flip).
5. Peak memory: the summed resident set size (VmRSS from /proc) of the timed process and
   all its descendants, sampled every 50 ms. With ``--workers processes``, worker
   processes forked from predict.py share the model's pages, which RSS counts once per
   process, so the sum overstates the real footprint; the summed PSS (proportional set
   size: a page shared by n processes counts 1/n in each), sampled once a second because
   it is costlier to read, is reported beside it.

Prints a markdown table and writes ``--out`` as ``{"rows": [{"system", "docs",
"docs_per_s", "peak_rss_mb", ...}]}``. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from predict_stages import STAGES, stage_profile
from report import write_result

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench/work"
TARGETS = {
    "docs_per_s": 30_000,
    "docs_per_s_aim": 40_000,
    "ratio_to_fasttext": 1.2,
    "peak_rss_mb": 1536,
    "startup_s": 3.0,
}


# ---------------------------------------------------------------- articles


def reuters_sentences(raw_dir: Path) -> tuple[list[str], list[str]]:
    """Titles and body sentences of every Reuters-21578 story."""
    from classifier.data.reuters import parse_sgml, sgml_files

    titles, sentences = [], []
    for path in sgml_files(raw_dir):
        for story in parse_sgml(path):
            if story.title:
                titles.append(story.title)
            body = " ".join(story.body.split()).removesuffix(" Reuter").removesuffix(" REUTER")
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", body) if len(s) > 20]
    return titles, sentences


def generate(path: Path, docs: int, raw_dir: Path, seed: int = 0) -> float:
    """Write ``docs`` articles to ``path``; return their mean title + body length."""
    titles, sentences = reuters_sentences(raw_dir)
    rng = random.Random(seed)
    total = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(docs):
            title = rng.choice(titles)
            target = rng.randint(250, 1250)  # a mean close to 800 characters with the title
            body: list[str] = []
            size = 0
            while size < target:
                sentence = rng.choice(sentences)
                body.append(sentence)
                size += len(sentence) + 1
            text = " ".join(body)
            total += len(title) + len(text)
            fh.write(json.dumps({"id": f"doc-{i}", "title": title, "body": text}) + "\n")
    return total / max(docs, 1)


# ---------------------------------------------------------------- measuring


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def _status_kb(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mb(pid: int, pss: bool) -> tuple[float, float]:
    """Summed VmRSS and (if ``pss``) summed Pss (shared pages split between the processes
    sharing them) of ``pid`` and its descendants, in MB."""
    rss_kb = pss_kb = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        rss_kb += _status_kb(current, "status", "VmRSS:")
        if pss:
            pss_kb += _status_kb(current, "smaps_rollup", "Pss:")
        todo += _children(current)
    return rss_kb / 1024, pss_kb / 1024


def timed_process(command: list[str]) -> tuple[float, float, float]:
    """Run ``command``; return its wall time (s) and the peak summed RSS and PSS of its
    process tree (MB)."""
    peak = peak_pss = 0.0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        tick = 0
        while not done.is_set():
            # Pss walks the page tables (costly): every 20th sample, i.e. once a second.
            rss, pss = tree_memory_mb(process.pid, pss=tick % 20 == 0)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            tick += 1
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"error: {' '.join(command)} exited with {code}")
    return elapsed, peak, peak_pss


# ---------------------------------------------------------------- fastText


def fasttext_predict(model_path: str, source: str, target: str, batch: int = 4096) -> None:
    """The timed fastText run: load, read JSONL, clean, predict, write JSONL."""
    import fasttext

    sys.path.insert(0, str(REPO / "bench"))
    from reuters import fasttext_line

    model = fasttext.load_model(model_path)
    names = [n.removeprefix("__label__") for n in model.get_labels()]

    def flush(ids: list[str], lines: list[str], out) -> None:
        labels, probs = model.predict(lines, k=-1, threshold=0.0)
        rows = []
        for row_id, row_labels, row_probs in zip(ids, labels, probs, strict=True):
            found = {
                n.removeprefix("__label__"): float(p)
                for n, p in zip(row_labels, row_probs, strict=True)
            }
            chosen = [n for n in names if found.get(n, 0.0) >= 0.5]
            best = row_labels[0].removeprefix("__label__")
            record = {"id": row_id, "labels": chosen or [best]}
            record.update({f"score_{n}": round(found.get(n, 0.0), 6) for n in names})
            rows.append(json.dumps(record))
        out.write("\n".join(rows) + "\n")

    with open(source, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
        ids: list[str] = []
        lines: list[str] = []
        for raw in src:
            obj = json.loads(raw)
            ids.append(obj["id"])
            lines.append(fasttext_line(f"{obj['title']}\n\n{obj['body']}"))
            if len(lines) >= batch:
                flush(ids, lines, out)
                ids, lines = [], []
        if lines:
            flush(ids, lines, out)


def train_fasttext_model(raw_dir: Path, path: Path) -> None:
    """fastText on the ModApte training split (r90), as bench/reuters.py trains it."""
    sys.path.insert(0, str(REPO / "bench"))
    from reuters import train_fasttext

    from classifier.data.reuters import load_reuters

    corpus = load_reuters(raw_dir, subset="r90")
    model = train_fasttext(corpus.train.texts, corpus.train.labels, threads=os.cpu_count() or 1)
    model.save_model(str(path))


# ---------------------------------------------------------------- main


def predict_command(model: Path, source: Path, output: Path, workers: str, *extra: str):
    return [
        sys.executable,
        "predict.py",
        f"model_uri={model}",
        f"input={source}",
        f"output={output}",
        "n_jobs=-1",
        f"workers={workers}",
        "progress=false",
        *extra,
    ]


def timed_rows(runs: dict[str, list[str]], docs: int) -> list[dict]:
    """One row per timed command: seconds, articles/s, peak RSS and PSS."""
    rows = []
    for system, command in runs.items():
        elapsed, peak, peak_pss = timed_process(command)
        rows.append(
            {
                "system": system,
                "docs": docs,
                "seconds": round(elapsed, 2),
                "docs_per_s": round(docs / elapsed, 1),
                "peak_rss_mb": round(peak, 1),
                "peak_pss_mb": round(peak_pss, 1),
            }
        )
        print(f"{system}: {elapsed:.1f} s", file=sys.stderr)
    return rows


def print_report(rows: list[dict], ratio: float, startups: dict, profile: dict) -> None:
    print("| system | docs | seconds | docs/s | peak RSS MB | peak PSS MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['system']} | {r['docs']:,} | {r['seconds']:.1f} | {r['docs_per_s']:,.0f} | "
            f"{r['peak_rss_mb']:,.0f} | {r['peak_pss_mb']:,.0f} |"
        )
    print(
        f"\nclassifier / fastText throughput: {ratio:.2f}x; start-up (one article): "
        f"{startups['startup_s']:.2f} s from cached tables, "
        f"{startups['startup_first_run_s']:.2f} s on the model's first run, "
        f"{startups['startup_cache_false_s']:.2f} s with cache=false"
    )
    stages = profile["us_per_article"]
    print(f"\none core, in memory, {profile['docs']:,} articles, µs per article (thread CPU time):")
    print("| " + " | ".join(STAGES) + " | total |")
    print("| " + " | ".join("---" for _ in range(len(STAGES) + 1)) + " |")
    print(
        "| "
        + " | ".join(f"{stages[s]:.1f}" for s in STAGES)
        + f" | {profile['us_per_article_total']:.1f} |"
    )
    agree = profile["agreement_with_float64_pipeline"]
    print(
        f"\none core: {profile['one_core_docs_per_s']:,.0f} articles/s; previous float64 CSR "
        f"product {profile['previous_float64_csr_product_us']:.1f} µs per article; scikit-learn "
        f"pipeline {profile['sklearn_pipeline_docs_per_s']:,.0f} articles/s. Against the float64 "
        f"pipeline: scores within {agree['max_abs_score_difference']:.1e}, "
        f"{agree['label_cells_differing']} of {agree['label_cells']:,} label cells differ "
        f"({agree['label_cells_differing_away_from_threshold']} away from a threshold), "
        f"{agree['label_cells_within_1e-5_of_threshold']} lie within 1e-5 of one"
    )


def measure_startup(model: Path, one: Path) -> dict[str, float]:
    """Wall times (s) of predict.py on one article: the first run of ``model`` with an empty
    tables cache, the median of the next three, and one run with ``cache=false``."""
    cache = WORK / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["CLASSIFIER_CACHE_DIR"] = str(cache)  # inherited by every predict.py run
    command = predict_command(model, one, WORK / "one.jsonl", "threads")
    first = timed_process(command)[0]
    warm = sorted(timed_process(command)[0] for _ in range(3))
    no_cache = timed_process([*command, "cache=false"])[0]
    return {
        "startup_s": round(warm[1], 2),
        "startup_first_run_s": round(first, 2),
        "startup_cache_false_s": round(no_cache, 2),
        "startup_runs_s": [round(t, 2) for t in warm],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/predict.json")
    parser.add_argument("--model", type=Path, default=REPO / "models/reuters.joblib")
    parser.add_argument("--raw-dir", type=Path, default=REPO / "data/raw/reuters21578")
    parser.add_argument("--workers", choices=["threads", "processes"], default="threads")
    parser.add_argument("--reference-docs", type=int, default=20_000)
    parser.add_argument("--fasttext-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fasttext_child:
        fasttext_predict(*args.fasttext_child)
        return 0
    if not args.model.exists():
        raise SystemExit(f"error: {args.model} not found; run `python train.py experiment=reuters`")

    source = WORK / f"articles-{args.docs}.jsonl"
    mean_chars = generate(source, args.docs, args.raw_dir)
    print(f"{args.docs} articles, {mean_chars:.0f} characters on average", file=sys.stderr)
    ft_model = WORK / "fasttext-reuters.bin"
    train_fasttext_model(args.raw_dir, ft_model)
    one = WORK / "one-article.jsonl"
    with open(source, "rb") as fh:
        one.write_bytes(fh.readline())
    startups = measure_startup(args.model, one)
    startup = startups["startup_s"]

    model, workers = args.model, args.workers
    runs = {
        "classifier": predict_command(model, source, WORK / "classifier.jsonl", workers),
        "fasttext": [
            sys.executable,
            __file__,
            "--fasttext-child",
            *(str(ft_model), str(source), str(WORK / "fasttext.jsonl")),
        ],
        "classifier scores=predicted": predict_command(
            model, source, WORK / "classifier-predicted.jsonl", workers, "scores=predicted"
        ),
    }
    rows = timed_rows(runs, args.docs)
    ratio = rows[0]["docs_per_s"] / rows[1]["docs_per_s"]
    profile = stage_profile(args.model, source, min(args.reference_docs, args.docs))
    print_report(rows, ratio, startups, profile)
    result = {
        "rows": rows,
        "mean_chars": round(mean_chars, 1),
        "ratio_to_fasttext": round(ratio, 3),
        **startups,
        "targets": TARGETS,
        "targets_met": {
            "docs_per_s": rows[0]["docs_per_s"] >= TARGETS["docs_per_s"],
            "docs_per_s_aim": rows[0]["docs_per_s"] >= TARGETS["docs_per_s_aim"],
            "ratio_to_fasttext": ratio >= TARGETS["ratio_to_fasttext"],
            "peak_rss_mb": rows[0]["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
            "startup_s": startup < TARGETS["startup_s"],
        },
        "memory": "peaks of the summed VmRSS (peak_rss_mb, sampled every 50 ms) and Pss "
        "(peak_pss_mb, sampled every second) of the timed process and its descendants",
        "workers": args.workers,
        "one_core_in_memory": profile,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_after": os.getloadavg(),
        },
    }
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
