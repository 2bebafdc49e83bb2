"""Save and load the model file: one joblib file plus a manifest with its sha256.

Unpickling runs code chosen by whoever wrote the file, so a model is loaded only after its
bytes match the sha256 recorded in the manifest written beside it at training time.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

import classifier
from classifier.atomic import atomic_path
from classifier.errors import ModelFileError
from classifier.tagger import TopicTagger

FORMAT = "classifier-model"
FORMAT_VERSION = 1
# Model file formats, by suffix. skops stores the same objects without pickle and loads
# only types from an explicit list: scikit-learn's and NumPy's own, which skops trusts,
# plus the two classes of this package below.
SUFFIXES = {"joblib": ".joblib", "skops": ".skops"}
SKOPS_TRUSTED = ["classifier.cleaning.TextCleaner", "classifier.tagger.TopicTagger"]


@dataclass(frozen=True)
class LoadedModel:
    """A fitted tagger and the metadata saved with it."""

    tagger: TopicTagger
    metadata: dict[str, Any]
    path: Path


def manifest_path(model_path: str | Path) -> Path:
    """Where the manifest of ``model_path`` lives: ``model.joblib.manifest.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".manifest.json")


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickled model loads and behaves the same."""
    return {
        "python": platform.python_version(),
        "classifier": classifier.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
    }


def model_summary(tagger: TopicTagger) -> dict[str, Any]:
    """Labels, thresholds and cleaning settings of a fitted tagger, readable without it."""
    cleaner = tagger.transformer_.named_steps["clean"]
    return {
        "labels": list(tagger.labels_),
        "multilabel": bool(tagger.multilabel_),
        "score_kind": tagger.score_kind_,
        "thresholds": [float(t) for t in tagger.thresholds_],
        "at_least_one": bool(tagger.at_least_one),
        "preprocess": cleaner.get_params(),
    }


def model_file(path: str | Path, fmt: str = "joblib") -> Path:
    """``path`` with the suffix of ``fmt`` (``models/model.joblib`` -> ``models/model.skops``)."""
    if fmt not in SUFFIXES:
        raise ModelFileError(f"output.format={fmt!r} is not valid; choose one of {list(SUFFIXES)}")
    return Path(path).with_suffix(SUFFIXES[fmt])


def save_model(
    tagger: TopicTagger, path: str | Path, metadata: dict[str, Any], fmt: str = "joblib"
) -> Path:
    """Write ``tagger`` with its metadata atomically, then its manifest; return the path.

    ``fmt`` is ``joblib`` (pickle) or ``skops``; the path's suffix follows the format.
    """
    path = model_file(path, fmt)
    meta = {
        **model_summary(tagger),
        **metadata,
        "versions": library_versions(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    bundle = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tagger": tagger,
        "metadata": meta,
    }
    with atomic_path(path) as tmp:
        if fmt == "skops":
            import skops.io

            skops.io.dump(bundle, tmp, compression=zipfile.ZIP_DEFLATED)
        else:
            joblib.dump(bundle, tmp, compress=3)
        digest = file_sha256(tmp)
    manifest = {
        "file": path.name,
        "sha256": digest,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": meta["versions"],
        "created_at": meta["created_at"],
    }
    with atomic_path(manifest_path(path)) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def verify_model_file(path: str | Path) -> dict[str, Any]:
    """Check ``path`` against its manifest; return the manifest or raise ModelFileError."""
    path = Path(path)
    mpath = manifest_path(path)
    if not mpath.is_file():
        raise ModelFileError(
            f"{path}: no manifest {mpath.name} beside it, so its origin cannot be checked; "
            "refusing to unpickle it (pass trust=true only for a file you trust)"
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        expected = manifest["sha256"]
    except (ValueError, KeyError, TypeError) as err:
        raise ModelFileError(f"{mpath}: not a valid model manifest ({err})") from err
    actual = file_sha256(path)
    if actual != expected:
        raise ModelFileError(
            f"{path}: sha256 {actual[:12]}... does not match its manifest ({expected[:12]}...); "
            "the file was changed or corrupted"
        )
    return manifest


def _load_skops(path: Path) -> Any:
    """Load a skops file, refusing any type outside scikit-learn, NumPy and SKOPS_TRUSTED."""
    import skops.io

    unexpected = sorted(set(skops.io.get_untrusted_types(file=path)) - set(SKOPS_TRUSTED))
    if unexpected:
        raise ModelFileError(f"{path}: contains types that are not trusted: {unexpected}")
    return skops.io.load(path, trusted=SKOPS_TRUSTED)


def load_model(path: str | Path, trust: bool = False) -> LoadedModel:
    """Load a model file written by :func:`save_model` (``.joblib`` or ``.skops``).

    The file is verified against its manifest before it is read, unless ``trust``.
    A file that is not one of this project's models is refused.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    if not trust:
        verify_model_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sklearn.exceptions.InconsistentVersionWarning)
            bundle = _load_skops(path) if path.suffix == ".skops" else joblib.load(path)
    except ModelFileError:
        raise
    except Exception as err:
        kind = "skops" if path.suffix == ".skops" else "joblib"
        raise ModelFileError(f"{path}: not a readable {kind} model ({type(err).__name__})") from err
    if not (
        isinstance(bundle, dict)
        and bundle.get("format") == FORMAT
        and isinstance(bundle.get("tagger"), TopicTagger)
    ):
        raise ModelFileError(f"{path}: not a model written by classifier (no '{FORMAT}' header)")
    if bundle.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {bundle.get('format_version')} is not supported "
            f"(this classifier reads version {FORMAT_VERSION})"
        )
    metadata = bundle.get("metadata", {})
    trained_with = metadata.get("versions", {}).get("scikit-learn")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(
            f"{path}: trained with scikit-learn {trained_with}, loaded with "
            f"{sklearn.__version__}; predictions may differ",
            UserWarning,
            stacklevel=2,
        )
    return LoadedModel(bundle["tagger"], metadata, path)


def is_mlflow_uri(uri: str) -> bool:
    """True for ``runs:/...``, ``models:/...`` and other ``scheme:/`` URIs MLflow resolves."""
    return "://" in uri or uri.startswith(("runs:/", "models:/"))


def load_model_uri(uri: str, trust: bool = False) -> LoadedModel:
    """Load from a joblib path, or from an MLflow URI (``runs:/<id>``, ``models:/<name>@alias``).

    From MLflow, the model's artifacts are downloaded and the joblib file inside them is
    verified against its manifest like a local file.
    """
    if not is_mlflow_uri(uri):
        return load_model(uri, trust=trust)
    import mlflow.artifacts

    if uri.startswith("runs:/") and uri.rstrip("/").count("/") == 1:
        # A bare run URI means the model file every training run logs (with its manifest).
        uri = uri.rstrip("/") + "/model_file"
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as err:  # MLflow raises several types for a bad URI
        raise ModelFileError(f"{uri}: cannot download the model ({err})") from err
    found = (
        [local]
        if local.is_file()
        else sorted(p for suffix in SUFFIXES.values() for p in local.rglob(f"*{suffix}"))
    )
    if not found:
        raise ModelFileError(f"{uri}: no model file (.joblib, .skops) among its artifacts")
    return load_model(found[0], trust=trust)
