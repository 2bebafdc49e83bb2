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
from mlflow.exceptions import MlflowException
from mlflow.types import ColSpec, Schema

from classifier.data.records import (
    DEFAULT_FIELDS,
    FALLBACK_FIELD,
    FieldCheck,
    Reject,
    TextFields,
    make_record,
)
from classifier.model.persistence import load_model
from classifier.model.tagger import TopicTagger

# How a served model reads records when it does not know its own fields.
SERVED_FIELDS = DEFAULT_FIELDS.with_fallback()

TEXT_COLUMN = FALLBACK_FIELD


def input_schema(fields: TextFields) -> Schema:
    """The served model's input: the model's text fields and ``text``, each optional, so a
    request may send either shape (the id field and other columns are ignored)."""
    names = dict.fromkeys([*fields.fields, TEXT_COLUMN])
    return Schema([ColSpec("string", name, required=False) for name in names])


def texts_from_input(model_input: Any, fields: TextFields = SERVED_FIELDS) -> list[str]:
    """The articles of a request, read as ``predict.py`` reads rows
    (:func:`~classifier.data.records.make_record`): records (a DataFrame, a list of dicts
    or a dict of columns) with the model's text fields or ``text``, or a list of strings.

    Raises MLflow's invalid-parameter error (HTTP 400) naming the first record without
    text, or, when no record has a text field, the fields expected and those sent.
    """
    if isinstance(model_input, pd.DataFrame):
        if len(model_input.columns) == 0:  # the served schema kept none of the request's fields
            raise MlflowException.invalid_parameter_value(
                f"no record has a text field the model reads ({fields.describe()}); "
                "other fields are not read"
            )
        records = model_input.to_dict("records")
    elif isinstance(model_input, dict):
        columns = all(isinstance(v, list | tuple) for v in model_input.values())
        records = pd.DataFrame(model_input).to_dict("records") if columns else [model_input]
    else:
        items = list(model_input)
        records = [item if isinstance(item, dict) else {TEXT_COLUMN: item} for item in items]
    if not records:
        raise MlflowException.invalid_parameter_value("the request has no records")
    rows = [make_record(i, dict(record), fields) for i, record in enumerate(records, start=1)]
    check = FieldCheck(fields)
    if check.update(rows):
        raise MlflowException.invalid_parameter_value(check.error("request"))
    bad = next((row for row in rows if isinstance(row, Reject)), None)
    if bad is not None:
        raise MlflowException.invalid_parameter_value(f"record {bad.line}: {bad.reason}")
    return [row.text for row in rows]


def tag_frame(tagger: TopicTagger, texts: list[str]) -> pd.DataFrame:
    """One row per text: ``labels`` (list of names) and ``score_<label>`` per label."""
    scores = tagger.decision_function(texts)
    labels = tagger.labels_from_indicator(tagger.indicator_from_scores(scores))
    frame = pd.DataFrame({f"score_{name}": scores[:, j] for j, name in enumerate(tagger.labels_)})
    frame.insert(0, "labels", labels)
    return frame


class TaggerPyfunc(mlflow.pyfunc.PythonModel):
    """Loads the verified joblib model and tags records read the way it was trained."""

    # The model's schema is its logged signature. MLflow reads predict()'s type hints as a
    # schema, so predict() has none, and this flag stops MLflow warning about that.
    _skip_type_hint_validation = True

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        """Load and verify the joblib model shipped as an artifact."""
        loaded = load_model(context.artifacts["model"])
        self.tagger = loaded.tagger
        self.fields = loaded.fields.with_fallback()

    def predict(self, context, model_input, params=None):
        """Tag the records of ``model_input``: labels and one score per label."""
        return tag_frame(self.tagger, texts_from_input(model_input, self.fields))
