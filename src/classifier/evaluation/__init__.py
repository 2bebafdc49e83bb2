"""Evaluation of saved models on newly labelled articles (``evaluate.py``).

Owns reading the labelled articles (``labelled``), scoring one model on them (``evaluate``),
finding a model's MLflow identity (``models``), the paired bootstrap and significance test
between models (``bootstrap``), the gated move of a registry alias (``promotion``), the
printed tables (``report``), plots (``plots``), what is logged to MLflow (``tracking``) and
the run from config (``run``).

It may import ``classifier.data`` (readers, loaders, label maps), ``classifier.model``
(metrics, persistence), ``classifier.tracking`` (runs, plots), the audit's label confusion
counts and the shared helpers (``errors``); nothing else in the package imports it.
"""
