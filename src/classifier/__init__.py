"""News topic classification: TF-IDF features, linear models, MLflow tracking."""

__version__ = "0.1.0"

# Registers the ``project_root`` resolver of conf/paths/, which every config composes with.
from classifier import paths  # noqa: F401
