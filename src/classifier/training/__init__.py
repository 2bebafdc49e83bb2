"""Training: which trainer runs (``trainer``: the entry point, the tagger and corpus from
config), the in-memory and streaming trainers (``memory``, ``streaming``), the MLflow
record both use (``record``), cross-validation (``crossval``), data checks (``checks``)
and sweeps (``sweep``).

May import ``classifier.data``, ``classifier.model``, ``classifier.tracking`` and the shared
helpers (``errors``, ``atomic``, ``cli``, ``paths``); never ``prediction``, ``evaluation``
or ``audit``, which may import it.
"""
