"""The tagger as an MLflow pyfunc model, so ``mlflow models serve`` and ``pyfunc.load_model``
can use it.

The model file is shipped as an artifact and read with
:func:`classifier.model.persistence.load_model`, which checks its sha256 before unpickling.
The model is logged "from code"
(:mod:`classifier.tracking.pyfunc_entry`), so MLflow itself unpickles nothing.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd

from classifier.model.persistence import load_model
from classifier.model.tagger import TopicTagger

TEXT_COLUMN = "text"


def texts_from_input(model_input: Any) -> list[str]:
    """Accept a DataFrame with a ``text`` column (or ``title``/``body``), or a list of strings."""
    if isinstance(model_input, pd.DataFrame):
        if TEXT_COLUMN in model_input.columns:
            return [str(t) for t in model_input[TEXT_COLUMN]]
        parts = [c for c in ("title", "body") if c in model_input.columns]
        if parts:
            frame = model_input[parts].fillna("").astype(str)
            return ["\n\n".join(p for p in row if p.strip()) for row in frame.itertuples(False)]
        raise ValueError(
            f"input needs a '{TEXT_COLUMN}' column; got columns {list(model_input.columns)}"
        )
    if isinstance(model_input, dict) and TEXT_COLUMN in model_input:
        return [str(t) for t in model_input[TEXT_COLUMN]]
    return [str(t) for t in model_input]


def tag_frame(tagger: TopicTagger, texts: list[str]) -> pd.DataFrame:
    """One row per text: ``labels`` (list of names) and ``score_<label>`` per label."""
    scores = tagger.decision_function(texts)
    labels = tagger.labels_from_indicator(tagger.indicator_from_scores(scores))
    frame = pd.DataFrame({f"score_{name}": scores[:, j] for j, name in enumerate(tagger.labels_)})
    frame.insert(0, "labels", labels)
    return frame


class TaggerPyfunc(mlflow.pyfunc.PythonModel):
    """Loads the verified joblib model and tags a DataFrame of texts."""

    # The model's schema is its logged signature. MLflow reads predict()'s type hints as a
    # schema, so predict() has none, and this flag stops MLflow warning about that.
    _skip_type_hint_validation = True

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        """Load and verify the joblib model shipped as an artifact."""
        self.tagger = load_model(context.artifacts["model"]).tagger

    def predict(self, context, model_input, params=None):
        """Tag the texts of ``model_input``: labels and one score per label."""
        return tag_frame(self.tagger, texts_from_input(model_input))
