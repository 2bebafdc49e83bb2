"""News topic classification: TF-IDF features, linear models, MLflow tracking."""

__version__ = "0.1.0"
