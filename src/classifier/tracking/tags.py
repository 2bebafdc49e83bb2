"""Names of the MLflow tags that tie runs together: sweeps and their jobs, run kinds.

Written by the sweep callback (:mod:`classifier.training.sweep`) and read by the
comparison of runs (:mod:`classifier.tracking.compare`), so they live here, below both.
"""

# MLflow's own tag: the UI nests a run under the run it names.
PARENT_TAG = "mlflow.parentRunId"
# The id of the sweep a job's run (and the sweep's parent run) belongs to.
SWEEP_TAG = "sweep_id"
# What a run that is not a training run is: "sweep" (a parent), "compare", ...
KIND_TAG = "run_kind"
