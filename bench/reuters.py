"""Reuters-21578 (ModApte) benchmark: this project's shipped configuration against a plain
TF-IDF + linear SVM baseline and fastText, trained and evaluated in the same run.

    python bench/reuters.py [--subset r90] [--from ../shared/data/reuters21578.tar.gz]

Prints a markdown table and writes bench/results/reuters.json. The corpus is fetched into
data/raw/ first if it is not there (from --from, or from its public URL).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from report import machine, print_table, write_result
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from classifier.data.corpus import Corpus
from classifier.data.fetch import fetch_reuters21578
from classifier.model.cleaning_rules import clean_text
from classifier.training.trainer import build_tagger, load_corpus

REPO = Path(__file__).resolve().parents[1]


def scores(binarizer: MultiLabelBinarizer, truth: list[list[str]], pred) -> dict[str, float]:
    """Micro and macro F1 over the training labels."""
    y_true = binarizer.transform(truth)
    y_pred = pred if isinstance(pred, np.ndarray) else binarizer.transform(pred)
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def run_classifier(cfg, corpus: Corpus, binarizer: MultiLabelBinarizer) -> dict:
    tagger = build_tagger(cfg)
    _, train_s = timed(lambda: tagger.fit(corpus.train.texts, corpus.train.labels))
    pred, predict_s = timed(lambda: tagger.predict(corpus.test.texts))
    return {
        "system": "classifier",
        **scores(binarizer, corpus.test.labels, pred),
        "train_s": train_s,
        "predict_s": predict_s,
    }


def run_baseline(corpus: Corpus, binarizer: MultiLabelBinarizer) -> dict:
    model = make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LinearSVC()))
    y = binarizer.transform(corpus.train.labels)
    _, train_s = timed(lambda: model.fit(corpus.train.texts, y))
    pred, predict_s = timed(lambda: model.predict(corpus.test.texts))
    return {
        "system": "baseline",
        **scores(binarizer, corpus.test.labels, pred),
        "train_s": train_s,
        "predict_s": predict_s,
    }


def fasttext_line(text: str) -> str:
    """fastText reads one example per line and splits on whitespace."""
    return clean_text(text)


FASTTEXT_PARAMS = dict(
    loss="ova",
    epoch=25,
    lr=0.5,
    wordNgrams=2,
    dim=100,
    minCount=1,
    bucket=2_000_000,
    verbose=0,
    seed=0,
)


def train_fasttext(texts: list[str], labels: list[list[str]], threads: int):
    """A fastText one-vs-all model on cleaned texts (also used by predict_throughput.py)."""
    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        for text, item in zip(texts, labels, strict=True):
            tags = " ".join(f"__label__{lab}" for lab in item)
            fh.write(f"{tags} {fasttext_line(text)}\n")
    try:
        return fasttext.train_supervised(input=fh.name, thread=threads, **FASTTEXT_PARAMS)
    finally:
        Path(fh.name).unlink()


def run_fasttext(corpus: Corpus, binarizer: MultiLabelBinarizer, threads: int) -> dict:
    params = {**FASTTEXT_PARAMS, "thread": threads}

    def train():
        return train_fasttext(corpus.train.texts, corpus.train.labels, threads)

    model, train_s = timed(train)

    def predict():
        lines = [fasttext_line(t) for t in corpus.test.texts]
        labels, probs = model.predict(lines, k=-1, threshold=0.0)
        out = []
        for names, p in zip(labels, probs, strict=True):
            chosen = [
                n.removeprefix("__label__") for n, q in zip(names, p, strict=True) if q >= 0.5
            ]
            # Same rule as the project's tagger: an article gets at least its best label.
            out.append(chosen or [names[0].removeprefix("__label__")])
        return out

    pred, predict_s = timed(predict)
    return {
        "system": "fasttext",
        **scores(binarizer, corpus.test.labels, pred),
        "train_s": train_s,
        "predict_s": predict_s,
        "params": params,
    }


def add_corpus_args(parser: argparse.ArgumentParser, out: Path) -> None:
    """The options of every Reuters benchmark: experiment, subset, archive, folder, output."""
    parser.add_argument("--experiment", default="reuters", help="config in conf/experiment/")
    parser.add_argument("--subset", default=None, help="r90 (default of the experiment), r10, all")
    parser.add_argument(
        "--from", dest="source", type=Path, default=None, help="local copy of reuters21578.tar.gz"
    )
    parser.add_argument("--raw-dir", type=Path, default=REPO / "data/raw/reuters21578")
    parser.add_argument("--out", type=Path, default=out)


def config_and_corpus(args: argparse.Namespace, config: str) -> tuple[DictConfig, Corpus]:
    """Fetch the corpus if it is not there, compose ``conf/<config>.yaml`` with the
    experiment of ``args`` and load the corpus it names."""
    fetch_reuters21578(args.raw_dir, source=args.source)
    overrides = [f"experiment={args.experiment}", f"data.raw_dir={args.raw_dir}"]
    if args.subset:
        overrides.append(f"data.subset={args.subset}")
    with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
        cfg = compose(config, overrides=overrides)
    corpus = load_corpus(cfg)
    print(
        f"{corpus.name} {cfg.data.subset}: {len(corpus.train)} train / {len(corpus.test)} "
        f"test stories, {len(corpus.label_names)} labels",
        file=sys.stderr,
    )
    return cfg, corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_args(parser, REPO / "bench/results/reuters.json")
    parser.add_argument("--threads", type=int, default=2, help="fastText threads")
    args = parser.parse_args(argv)

    cfg, corpus = config_and_corpus(args, "train")
    binarizer = MultiLabelBinarizer(classes=corpus.label_names).fit([corpus.label_names])

    rows = [
        run_classifier(cfg, corpus, binarizer),
        run_baseline(corpus, binarizer),
        run_fasttext(corpus, binarizer, args.threads),
    ]
    for row in rows:
        row["docs_per_s"] = len(corpus.test) / row["predict_s"]

    print_table(
        ["system", "micro-F1", "macro-F1", "train s", "predict s", "docs/s"],
        (
            [
                r["system"],
                f"{r['micro_f1']:.4f}",
                f"{r['macro_f1']:.4f}",
                f"{r['train_s']:.1f}",
                f"{r['predict_s']:.2f}",
                f"{r['docs_per_s']:,.0f}",
            ]
            for r in rows
        ),
    )
    result = {
        "corpus": corpus.name,
        "subset": cfg.data.subset,
        "n_train": len(corpus.train),
        "n_test": len(corpus.test),
        "n_labels": len(corpus.label_names),
        "machine": machine(),
        "rows": rows,
    }
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
