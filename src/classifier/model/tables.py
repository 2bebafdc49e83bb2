"""Cached scorer tables: what batch prediction needs from a model, as plain arrays, so that
a run starts without unpickling the model or importing scikit-learn.

Why: a prediction run spends most of its start-up importing scikit-learn (about a second)
and unpickling the model and building its scorer (about another second). The scorer's
tables (:meth:`~classifier.model.scoring.Scorer.tables`: coefficients, idf weights, the
n-gram lookup's arrays, labels and thresholds) are data. The first run of a model writes
them to the cache folder; later runs of the same model file read them with NumPy (the
coefficients memory-mapped, ``allow_pickle=False``: a cache file cannot run code).

An entry is named by the sha256 of the model file's bytes, checked against the signed
manifest first as for any load, so the tables always belong to the verified file; it
also records the table layout and the classifier and scikit-learn versions, and any
other entry is rebuilt. The cache folder is ``$CLASSIFIER_CACHE_DIR``, else
``$XDG_CACHE_HOME/classifier`` (``~/.cache/classifier``); it keeps the
:data:`KEEP_ENTRIES` most recently used models. An entry that cannot be read is rebuilt,
and one that cannot be written is skipped: the cache never fails a run.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

import classifier
from classifier.model.persistence import (
    model_from_bytes,
    model_path,
    read_model_file,
    warn_if_other_sklearn,
)
from classifier.model.scoring import TABLES_VERSION, Scorer

CACHE_ENV = "CLASSIFIER_CACHE_DIR"
FORMAT = "classifier-scorer-tables"
KEEP_ENTRIES = 4
# Arrays read memory-mapped: the large ones, whose pages are then shared with the page
# cache and read as the product needs them.
MAPPED = ("coef",)


def cache_dir() -> Path:
    """The folder of cached scorer tables."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "classifier" / "scorer-tables"


@functools.cache
def _sklearn_version() -> str:
    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return "not installed"


def _stamp(sha256: str) -> dict[str, Any]:
    """What an entry must record to be used: its model and the code that wrote it."""
    return {
        "format": FORMAT,
        "tables_version": TABLES_VERSION,
        "classifier": classifier.__version__,
        "scikit-learn": _sklearn_version(),
        "model_sha256": sha256,
    }


def write_tables(entry: Path, scorer: Scorer, metadata: dict[str, Any], sha256: str) -> bool:
    """Write ``scorer``'s tables as the cache entry ``entry`` (a folder, replaced whole);
    False if the scorer has none (see :meth:`Scorer.tables`)."""
    tables = scorer.tables()
    if tables is None:
        return False
    header, arrays = tables
    kept = {k: metadata[k] for k in ("input", "versions") if k in metadata}
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.asarray(array), allow_pickle=False)
        stamp = {**_stamp(sha256), "scorer": header, "metadata": kept}
        (tmp / "header.json").write_text(json.dumps(stamp), encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(tmp, entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def read_tables(entry: Path, sha256: str) -> tuple[Scorer, dict[str, Any]]:
    """The scorer and model metadata of the cache entry ``entry``; ValueError (or OSError)
    if it is not an entry for the model ``sha256`` written by this code."""
    stamp = json.loads((entry / "header.json").read_text(encoding="utf-8"))
    if any(stamp.get(key) != value for key, value in _stamp(sha256).items()):
        raise ValueError(f"{entry}: written for another model or version")
    arrays = {
        path.stem: np.load(path, mmap_mode="r" if path.stem in MAPPED else None)
        for path in entry.glob("*.npy")
    }
    _check_arrays(arrays, len(stamp["scorer"]["labels"]))
    return Scorer.from_tables(stamp["scorer"], arrays), stamp["metadata"]


def _check_arrays(arrays: dict[str, np.ndarray], n_labels: int) -> None:
    """Raise ValueError unless the arrays have the lengths and index ranges that
    :meth:`Scorer.tables` gives them: a damaged entry is rebuilt, never used."""
    n_features = int(arrays["ngrams.n_features"])
    n_words = len(arrays["ngrams.unigram_cols"])
    lengths = {
        "coef": (n_features, n_labels),
        "intercept": (n_labels,),
        "thresholds": (n_labels,),
        "terms_offsets": (n_features + 1,),
        "ngrams.known": (n_words,),
        "ngrams.words_offsets": (n_words + 1,),
        "ngrams.bigram_cols": arrays["ngrams.bigram_keys"].shape,
        "ngrams.short_ids": arrays["ngrams.short_keys"].shape,
        **({"idf": (n_features,)} if "idf" in arrays else {}),
    }
    for name, shape in lengths.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{name}: shape {arrays[name].shape}, expected {shape}")
    columns = ("ngrams.unigram_cols", "ngrams.bigram_cols")
    ranges = {**dict.fromkeys(columns, n_features), "ngrams.short_ids": n_words}
    for name, limit in ranges.items():
        values = arrays[name]
        if len(values) and (values.max() >= limit or values.min() < -1):
            raise ValueError(f"{name}: index out of range")


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used entries of ``folder``."""
    entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def load_scorer(uri: str, trust: bool = False, cache: bool = True) -> tuple[Scorer, dict]:
    """The scorer and metadata of the model at ``uri`` (a file or an MLflow URI), verified
    as :func:`~classifier.model.persistence.load_model` does; from its cached tables if
    ``cache`` and they exist, else from the model, then cached."""
    path = model_path(uri)
    data, sha256 = read_model_file(path, trust=trust)
    entry = cache_dir() / sha256
    if cache and entry.is_dir():
        try:
            scorer, metadata = read_tables(entry, sha256)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable, or from other code: rebuilt below
        else:
            os.utime(entry)  # recently used: kept by _prune
            warn_if_other_sklearn(path, metadata, _sklearn_version())
            return scorer, metadata
    loaded = model_from_bytes(path, data)
    scorer = Scorer(loaded.tagger)
    if cache:
        try:
            if write_tables(entry, scorer, loaded.metadata, sha256):
                _prune(entry.parent, KEEP_ENTRIES)
        except OSError:
            pass  # a read-only or full cache folder: this run goes on without it
    return scorer, loaded.metadata
