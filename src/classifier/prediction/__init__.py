"""Batch prediction: the tagging job, the local and Spark engines, workers and output
writers. May import data, model and (to load models by MLflow URI) tracking."""
