"""The model: text cleaning, features, thresholds, the tagger estimator, fast scoring and its
cached tables, metrics and the model file (save, verify, load). Imports only
classifier.errors, classifier.atomic and classifier.data (for the corpus type)."""
