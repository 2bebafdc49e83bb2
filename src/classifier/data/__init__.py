"""Loading labelled articles: the demo corpus, a user's files, the HuggingFace hub, Reuters;
label maps and the label-indicator matrix (``labels``); labelled rows a chunk at a time
(``chunks``); and the rows, readers and formats of articles to tag. May import only the
shared helpers (``errors``, ``atomic``, ``paths``); every other subpackage may import it.

The loaders are imported on first use: they import HuggingFace ``datasets`` (about half a
second), which prediction, reading only ``classifier.data.readers``, never needs.
"""

from importlib import import_module
from typing import Any

from classifier.data.corpus import Corpus, Split
from classifier.data.labels import apply_label_map

__all__ = ["Corpus", "Split", "apply_label_map", "load_demo", "load_files", "load_hub"]
_LOADERS = ("load_demo", "load_files", "load_hub")


def __getattr__(name: str) -> Any:
    if name in _LOADERS:
        return getattr(import_module("classifier.data.loaders"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
