"""Save and load the model file: one joblib (or skops) file plus a signed manifest.

Unpickling runs code chosen by whoever wrote the file, so a joblib model is loaded only
after its bytes match the sha256 in the manifest beside it and the manifest's signature
verifies with the user's key (:mod:`classifier.model.signing`). A skops file runs no code
of its author; its bytes must match its manifest and its types an allow-list.

scikit-learn and joblib are imported by the functions that unpickle or pickle a model,
not by this module: prediction from cached scorer tables (:mod:`classifier.model.tables`)
reads and verifies a model file without them (scikit-learn takes about a second to import).
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import io
import platform
import sys
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import classifier
from classifier.atomic import atomic_path
from classifier.data.records import TextFields, model_fields
from classifier.errors import ModelFileError
from classifier.model.packing import pack_strings, unpack_strings
from classifier.model.signing import file_sha256, manifest_path, verify_model_file, write_manifest

if TYPE_CHECKING:
    from classifier.model.tagger import TopicTagger

# manifest_path and file_sha256 are part of this module's interface (used by tracking and
# out-of-core training); they live in classifier.model.signing with the manifest code.
__all__ = [
    "LoadedModel",
    "file_sha256",
    "load_model",
    "load_model_uri",
    "manifest_path",
    "model_file",
    "model_from_bytes",
    "model_path",
    "read_model_file",
    "save_model",
    "verify_model_file",
    "warn_if_other_sklearn",
]

FORMAT = "classifier-model"
FORMAT_VERSION = 2
# Versions this code reads: 2 stores vocabularies packed (_PackedVocabulary); a version 1
# file holds the same objects with plain dictionaries.
READ_VERSIONS = (1, 2)
# Model file formats, by suffix. skops stores the same objects without pickle and loads
# only types from an explicit list: scikit-learn's and NumPy's own, which skops trusts,
# plus the two classes of this package below.
SUFFIXES = {"joblib": ".joblib", "skops": ".skops"}
SKOPS_TRUSTED = [
    "classifier.model.cleaning.TextCleaner",
    "classifier.model.tagger.TopicTagger",
    # The same classes under the module paths that files saved before the subpackages use.
    "classifier.model.cleaning.TextCleaner",
    "classifier.model.tagger.TopicTagger",
]
# Where the modules that saved models name lived before the package had subpackages: a
# file records its classes' module paths, so these old paths must still import.
LEGACY_MODULES = {
    f"classifier.{name}": f"classifier.model.{name}"
    for name in ("cleaning", "features", "ngrams", "tagger", "thresholds")
}


@dataclass(frozen=True)
class LoadedModel:
    """A fitted tagger and the metadata saved with it."""

    tagger: TopicTagger
    metadata: dict[str, Any]
    path: Path

    @property
    def fields(self) -> TextFields:
        """The text fields, join and id field the model was trained with (``title`` and
        ``body``, id ``id``, for models saved before these were stored)."""
        return model_fields(self.metadata)


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickled model loads and behaves the same."""
    import joblib
    import sklearn

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


class _PackedVocabulary(dict):
    """A fitted vectorizer's ``vocabulary_`` that pickles as three arrays (the terms' UTF-8
    text, their offsets and their columns) instead of one string and one integer per term.

    Why: joblib unpickles with Python's pure-Python unpickler, which takes over a second
    for the 300,000 terms of a Reuters model term by term, against a tenth of a second for
    three arrays. It loads back as a plain ``dict``, equal to the original.
    """

    def __reduce__(self):
        text, offsets = pack_strings(list(self))
        columns = np.fromiter(self.values(), dtype=np.int64, count=len(self))
        return _unpack_vocabulary, (text.tobytes(), offsets, columns)


def _unpack_vocabulary(text: bytes, offsets: np.ndarray, columns: np.ndarray) -> dict[str, int]:
    """The vocabulary dictionary of a :class:`_PackedVocabulary` (character ``offsets``)."""
    return dict(zip(unpack_strings(text, offsets), columns.tolist(), strict=True))


def _packed(estimator: Any) -> Any:
    """A shallow copy of ``estimator`` whose fitted vocabularies pickle packed, at any depth
    of its pipelines and feature unions (the tagger's ``transformer_``, a FeatureUnion of
    word and character n-grams); the estimator itself, its arrays and the estimators
    without a vocabulary are not copied or changed."""
    from classifier.model.tagger import TopicTagger

    if isinstance(estimator, TopicTagger):
        packed = copy.copy(estimator)
        packed.transformer_ = _packed(estimator.transformer_)
        return packed
    if isinstance(getattr(estimator, "vocabulary_", None), dict):
        packed = copy.copy(estimator)
        packed.vocabulary_ = _PackedVocabulary(estimator.vocabulary_)
        return packed
    for attribute in ("steps", "transformer_list"):  # Pipeline, FeatureUnion
        parts = getattr(estimator, attribute, None)
        if isinstance(parts, list):
            packed = copy.copy(estimator)
            setattr(packed, attribute, [(name, _packed(part)) for name, part in parts])
            return packed
    return estimator


def model_file(path: str | Path, fmt: str = "joblib") -> Path:
    """``path`` with the suffix of ``fmt`` (``models/model.joblib`` -> ``models/model.skops``)."""
    if fmt not in SUFFIXES:
        raise ModelFileError(f"output.format={fmt!r} is not valid; choose one of {list(SUFFIXES)}")
    return Path(path).with_suffix(SUFFIXES[fmt])


def save_model(
    tagger: TopicTagger,
    path: str | Path,
    metadata: dict[str, Any],
    fmt: str = "joblib",
    fields: TextFields | None = None,
) -> Path:
    """Write ``tagger`` with its metadata atomically, then its manifest; return the path.

    ``fmt`` is ``joblib`` (pickle) or ``skops``; the path's suffix follows the format.
    ``fields`` (how the training articles were read: text fields, join, id field) is
    stored as ``metadata["input"]``, so prediction reads new articles the same way.
    """
    path = model_file(path, fmt)
    meta = {
        **model_summary(tagger),
        **({"input": fields.to_dict()} if fields is not None else {}),
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
            import joblib

            # LZ4 decompresses several times faster than zlib, at about the same size.
            joblib.dump({**bundle, "tagger": _packed(tagger)}, tmp, compress=("lz4", 3))
        digest = file_sha256(tmp)
    manifest = {
        "file": path.name,
        "sha256": digest,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": meta["versions"],
        "created_at": meta["created_at"],
    }
    write_manifest(path, manifest)
    return path


def _alias_legacy_modules() -> None:
    """Make the pre-subpackage module paths in older model files resolve to today's modules."""
    for old, new in LEGACY_MODULES.items():
        sys.modules.setdefault(old, importlib.import_module(new))


def _load_skops(path: Path, data: bytes) -> Any:
    """Load a skops file, refusing any type outside scikit-learn, NumPy and SKOPS_TRUSTED."""
    import skops.io

    unexpected = sorted(set(skops.io.get_untrusted_types(data=data)) - set(SKOPS_TRUSTED))
    if unexpected:
        raise ModelFileError(f"{path}: contains types that are not trusted: {unexpected}")
    return skops.io.load(io.BytesIO(data), trusted=SKOPS_TRUSTED)


def read_model_file(path: str | Path, trust: bool = False) -> tuple[bytes, str]:
    """The bytes of the model file ``path`` and their sha256; unless ``trust``, they must
    match its manifest, and for joblib (pickle) files the manifest must be signed with the
    user's key: a forged file is refused before any of it is unpickled."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    # Read once: the bytes verified are the bytes loaded, even if the file is replaced.
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelFileError(f"{path}: cannot read the model file ({err.strerror})") from err
    # Verified, the manifest's sha256 is the bytes' own: they are hashed once.
    if not trust:
        return data, verify_model_file(path, signed=path.suffix != ".skops", data=data)["sha256"]
    return data, hashlib.sha256(data).hexdigest()


def load_model(path: str | Path, trust: bool = False) -> LoadedModel:
    """Load a model file written by :func:`save_model` (``.joblib`` or ``.skops``), verified
    as :func:`read_model_file` says. A file that is not one of this project's models is
    refused."""
    return model_from_bytes(Path(path), read_model_file(path, trust=trust)[0])


def model_from_bytes(path: Path, data: bytes) -> LoadedModel:
    """The model in ``data``, the bytes of the model file ``path`` (already verified)."""
    import joblib
    import sklearn

    from classifier.model.tagger import TopicTagger

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sklearn.exceptions.InconsistentVersionWarning)
            _alias_legacy_modules()
            if path.suffix == ".skops":
                bundle = _load_skops(path, data)
            else:
                bundle = joblib.load(io.BytesIO(data))
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
    if bundle.get("format_version") not in READ_VERSIONS:
        raise ModelFileError(
            f"{path}: model format version {bundle.get('format_version')} is not supported "
            f"(this classifier reads versions {', '.join(map(str, READ_VERSIONS))})"
        )
    metadata = bundle.get("metadata", {})
    warn_if_other_sklearn(path, metadata, sklearn.__version__)
    return LoadedModel(bundle["tagger"], metadata, path)


def warn_if_other_sklearn(path: Path, metadata: dict[str, Any], installed: str) -> None:
    """Warn when the model of ``path`` was trained with a scikit-learn other than
    ``installed``: its predictions may differ."""
    trained_with = metadata.get("versions", {}).get("scikit-learn")
    if trained_with and trained_with != installed:
        warnings.warn(
            f"{path}: trained with scikit-learn {trained_with}, loaded with "
            f"{installed}; predictions may differ",
            UserWarning,
            stacklevel=3,
        )


def is_mlflow_uri(uri: str) -> bool:
    """True for ``runs:/...``, ``models:/...`` and other ``scheme:/`` URIs MLflow resolves."""
    return "://" in uri or uri.startswith(("runs:/", "models:/"))


def model_path(uri: str) -> Path:
    """The local model file of ``uri``: a joblib or skops path, or the model file among the
    artifacts of an MLflow URI (``runs:/<id>``, ``models:/<name>@alias``), downloaded."""
    if not is_mlflow_uri(uri):
        return Path(uri)
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
    return found[0]


def load_model_uri(uri: str, trust: bool = False) -> LoadedModel:
    """Load from a joblib path, or from an MLflow URI (``runs:/<id>``, ``models:/<name>@alias``).

    From MLflow, the model's artifacts are downloaded and the file inside them is verified
    like a local one (its manifest must be signed with the user's key): a shared tracking
    server is writable by many.
    """
    return load_model(model_path(uri), trust=trust)
