"""Where predict.py's time goes: per stage and per article, on one core, in memory (used by
bench/predict_throughput.py; see its docstring)."""

from __future__ import annotations

import time
from pathlib import Path

WORK = Path(__file__).resolve().parents[1] / "bench/work"

STAGES = ("reading", "tokenizing", "looking up", "multiplying", "formatting", "writing")


def _cpu(clock: dict[str, float], stage: str, fn, *args):
    """``fn(*args)``, its thread CPU time added to ``clock[stage]``."""
    started = time.thread_time()
    out = fn(*args)
    clock[stage] = clock.get(stage, 0.0) + time.thread_time() - started
    return out


def stage_profile(model_path: Path, source: Path, docs: int, batch_size: int = 4096) -> dict:
    """Per-article thread CPU time (µs) of each stage of predict.py's path, on one core, in
    memory, for the first ``docs`` articles of ``source``; with the float64 CSR product of
    the previous version and the scikit-learn pipeline for reference, and the agreement of
    the scorer's scores and labels with that float64 pipeline."""
    import numpy as np
    import scipy.sparse as sp

    from classifier.data.readers import block_lines, parse_jsonl_lines, read_jsonl_blocks
    from classifier.data.records import DEFAULT_FIELDS
    from classifier.model.persistence import load_model
    from classifier.prediction.job import make_job
    from classifier.prediction.options import PredictOptions

    started = time.perf_counter()
    tagger = load_model(model_path).tagger
    loaded = time.perf_counter()
    job = make_job(tagger, "jsonl", PredictOptions(batch_size=batch_size), DEFAULT_FIELDS)
    built = time.perf_counter()
    scorer = job.scorer
    sample = WORK / "stage-profile-input.jsonl"
    with open(source, "rb") as src, open(sample, "wb") as fh:
        fh.writelines(line for line, _ in zip(src, range(docs), strict=False))

    def read(block: bytes) -> list:
        return list(parse_jsonl_lines(1, block_lines(block), job.fields))

    clock: dict[str, float] = {}
    rows = []
    blocks = read_jsonl_blocks(str(sample), block_bytes=batch_size * 1024)
    while (block := _cpu(clock, "reading", next, blocks, None)) is not None:
        rows += _cpu(clock, "reading", read, block[1])
    texts, ids = [r.text for r in rows], [r.id for r in rows]
    scores, payloads, old = [], [], 0.0
    stacked64 = np.ascontiguousarray(scorer.coef, dtype=np.float64)
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        tokens = _cpu(clock, "tokenizing", scorer.ngrams.tokenize, batch)
        counted = _cpu(clock, "looking up", scorer.ngrams.lookup, tokens)
        X = _cpu(clock, "looking up", scorer.weigh, counted[0], counted[1], len(batch))
        tagged = _cpu(clock, "multiplying", job.decide, X, counted[2])
        scores.append(tagged.scores)
        batch_ids = ids[start : start + batch_size]
        payloads.append(_cpu(clock, "formatting", job.format, batch_ids, tagged))
        csr = sp.csr_matrix(X)
        t0 = time.thread_time()
        np.asarray(csr @ stacked64)
        old += time.thread_time() - t0
    out_path = WORK / "stage-profile.jsonl"
    with open(out_path, "wb") as fh:
        for payload in payloads:
            _cpu(clock, "writing", fh.write, payload)
        _cpu(clock, "writing", fh.flush)
    n = len(texts)
    t0 = time.thread_time()
    expected = tagger.model_.decision_function(tagger.transformer_.transform(texts))
    sklearn_s = time.thread_time() - t0
    per_article = {stage: round(clock.get(stage, 0.0) / n * 1e6, 2) for stage in STAGES}
    total = sum(per_article.values())
    return {
        "docs": n,
        "us_per_article": per_article,
        "us_per_article_total": round(total, 2),
        "one_core_docs_per_s": round(1e6 / total, 1),
        "previous_float64_csr_product_us": round(old / n * 1e6, 2),
        "sklearn_pipeline_docs_per_s": round(n / sklearn_s, 1),
        "load_model_s": round(loaded - started, 2),
        "build_scorer_s": round(built - loaded, 2),
        "agreement_with_float64_pipeline": agreement(tagger, np.concatenate(scores), expected),
    }


def agreement(tagger, ours, expected) -> dict:
    """How the scorer's scores and labels agree with the float64 pipeline's ``expected``."""
    import numpy as np

    from classifier.model.decisions import near_threshold

    near = near_threshold(tagger.label_rules(), expected, 1e-5)
    differ = tagger.indicator_from_scores(ours) != tagger.indicator_from_scores(expected)
    return {
        "max_abs_score_difference": float(np.abs(ours - expected).max()),
        "label_cells_differing": int(differ.sum()),
        "label_cells_differing_away_from_threshold": int((differ & ~near).sum()),
        "label_cells_within_1e-5_of_threshold": int(near.sum()),
        "label_cells": int(differ.size),
    }
