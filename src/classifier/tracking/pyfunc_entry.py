"""Entry file for MLflow's models-from-code logging of
:class:`~classifier.tracking.pyfunc.TaggerPyfunc`."""

import mlflow.models

from classifier.tracking.pyfunc import TaggerPyfunc

mlflow.models.set_model(TaggerPyfunc())
