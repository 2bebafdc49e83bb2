"""Everything shown in MLflow: run logging, plots, the model card, the served pyfunc model
and the comparison of runs. May import data and model."""
