"""Loading labelled articles: the demo corpus, a user's files, the HuggingFace hub, Reuters."""

from classifier.data.corpus import Corpus, Split
from classifier.data.labels import apply_label_map
from classifier.data.loaders import load_demo, load_files, load_hub

__all__ = ["Corpus", "Split", "apply_label_map", "load_demo", "load_files", "load_hub"]
