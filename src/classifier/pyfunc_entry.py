"""Entry file for MLflow's models-from-code logging of :class:`~classifier.pyfunc.TaggerPyfunc`."""

import mlflow.models

from classifier.pyfunc import TaggerPyfunc

mlflow.models.set_model(TaggerPyfunc())
