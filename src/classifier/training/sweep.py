"""Hydra multirun sweeps in MLflow: one parent run per sweep, one nested run per job.

:class:`SweepCallback` (registered under ``hydra.callbacks`` in ``conf/train.yaml``) opens
the parent run when a multirun starts and closes it when it ends. Jobs may run in other
processes (``hydra/launcher=joblib``), where MLflow's active run of the launching process
does not exist, so the parent's id travels in a file in the sweep directory
(:data:`SWEEP_FILE`), which every launcher that shares the file system can read. Each job
tags its run with ``mlflow.parentRunId`` (what the MLflow UI nests by) and ``sweep_id``.

A failing job must not stop the others. Hydra's sweepers raise on the first job that
raises (the basic sweeper after the batch, skipping ``on_multirun_end`` and so leaving the
parent run open), and Optuna's also on a job that returns NaN (Optuna 2.10 refuses to
record it), so a job in a multirun reports its error, its MLflow run ends FAILED, and it
returns None, which Optuna records as a failed trial before going on. The callback then
ends the parent run FAILED and exits non-zero once every job has run.
"""

from __future__ import annotations

import atexit
import json
import logging
import shlex
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from mlflow.entities import Metric, RunStatus
from mlflow.tracking import MlflowClient
from omegaconf import DictConfig, open_dict

from classifier.cli import user_error
from classifier.errors import ConfigError
from classifier.model.persistence import model_file
from classifier.tracking import naming
from classifier.tracking import runs as tracking
from classifier.tracking.tags import KIND_TAG, PARENT_TAG, SWEEP_TAG
from classifier.training.crossval import check_metric

log = logging.getLogger(__name__)

SWEEP_FILE = "mlflow_sweep.json"
# The best job's metrics with these prefixes are copied to the parent run, under the same
# names, so a collapsed sweep ranks and charts in the runs table like its best job.
HEADLINE_PREFIXES = ("cv_", "test_")


def in_multirun() -> bool:
    """True inside a job of ``python train.py -m ...`` (or a config with hydra.mode MULTIRUN)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


class SweepCallback(Callback):
    """Opens the parent MLflow run of a multirun and closes it when all jobs have run."""

    def __init__(self, metric: str = "cv_micro_f1", direction: str | None = None) -> None:
        self.metric = metric
        # Losses (cv_hamming_loss) are minimised, scores maximised.
        self.direction = direction or ("minimize" if "loss" in metric else "maximize")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Create the parent run and write its id where the jobs will look for it."""
        try:
            check_metric(self.metric)
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        experiment_id = tracking.setup(config.mlflow.tracking_uri, config.mlflow.experiment)
        sweep_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        sweep_dir = Path(config.hydra.sweep.dir)
        swept, space = swept_keys(config)
        tags = {
            SWEEP_TAG: sweep_id,
            KIND_TAG: "sweep",
            "sweep_dir": str(sweep_dir),
            "sweep_overrides": " ".join(config.hydra.overrides.task),
            "optimized_metric": self.metric,
        }
        client = MlflowClient(config.mlflow.tracking_uri)
        parent = client.create_run(experiment_id, tags=tags, run_name=parent_name(config, space))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        (sweep_dir / SWEEP_FILE).write_text(
            json.dumps(
                {
                    "parent_run_id": parent.info.run_id,
                    "sweep_id": sweep_id,
                    "experiment_id": experiment_id,
                    "swept": swept,
                }
            )
        )
        atexit.register(_end_if_running, config.mlflow.tracking_uri, parent.info.run_id)
        log.info("sweep %s: parent MLflow run %s", sweep_id, parent.info.run_id)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Tag the best child by the CV metric, end the parent run, exit 1 if a job failed."""
        info = json.loads((Path(config.hydra.sweep.dir) / SWEEP_FILE).read_text())
        client = MlflowClient(config.mlflow.tracking_uri)
        children = client.search_runs(
            [info["experiment_id"]], f"tags.`{PARENT_TAG}` = '{info['parent_run_id']}'"
        )
        failed = [r for r in children if r.info.status != RunStatus.to_string(RunStatus.FINISHED)]
        scored = [r for r in children if self.metric in r.data.metrics and r not in failed]
        parent_id = info["parent_run_id"]
        client.set_tag(parent_id, "sweep_jobs", str(len(children)))
        client.set_tag(parent_id, "sweep_failed_jobs", str(len(failed)))
        if scored:
            sign = 1 if self.direction == "maximize" else -1
            best = max(scored, key=lambda r: sign * r.data.metrics[self.metric])
            _mark_best(client, parent_id, best, self.metric)
            log.info(
                "sweep %s: best run %s (%s), %s %.4f",
                info["sweep_id"],
                best.info.run_name,
                best.info.run_id,
                self.metric,
                best.data.metrics[self.metric],
            )
            job_dir = Path(config.hydra.sweep.dir) / best.data.tags.get("sweep_job", "")
            model = model_file(job_dir / Path(config.output.model_path).name, config.output.format)
            predict = Path(sys.argv[0]).resolve().with_name("predict.py")
            print(
                f"best job: {best.info.run_name}\n"
                + tracking.next_steps(config.mlflow.tracking_uri, best.info.run_id, model, predict)
            )
        client.set_terminated(parent_id, "FAILED" if failed else "FINISHED")
        if failed:
            print(
                f"error: {len(failed)} of {len(children)} sweep jobs failed "
                f"(sweep {info['sweep_id']}; their MLflow runs are FAILED)",
                file=sys.stderr,
            )
            sys.exit(1)


def swept_keys(config: DictConfig) -> tuple[list[str], list[str]]:
    """The config keys a multirun varies, and its swept overrides as typed.

    Grid overrides (``model=a,b``, ``choice(...)``) and the sweeper's declared search space
    (``hydra.sweeper.params`` of Optuna) both count.
    """
    overrides = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    grid = [o for o in overrides if o.is_sweep_override()]
    space = dict(config.hydra.sweeper.get("params") or {})
    keys = [o.key_or_group for o in grid]
    keys += [k for k in space if k not in keys]
    shown = [o.input_line for o in grid] + [f"{k}={v}" for k, v in space.items()]
    return keys, shown


def parent_name(config: DictConfig, swept: list[str]) -> str:
    """The parent run's name: ``sweep model=linear_svc,logreg min_df=1,2``."""
    if config.hydra.sweeper.get("params"):
        keys = [naming.split_override(o)[0].rsplit(".", 1)[-1] for o in swept]
        return f"search over {', '.join(keys)}"
    return " ".join(["sweep", *naming.describe_overrides(swept)])


def _mark_best(client: MlflowClient, parent_id: str, best: Any, metric: str) -> None:
    """Say on the parent which job won, tag the winner, and copy its headline metrics."""
    now = int(time.time() * 1000)
    metrics = [
        Metric(name, value, now, 0)
        for name, value in sorted(best.data.metrics.items())
        if name.startswith(HEADLINE_PREFIXES)
    ]
    client.log_batch(parent_id, metrics=metrics)
    client.set_tag(parent_id, "best_run_id", best.info.run_id)
    client.set_tag(parent_id, "best_run_name", best.info.run_name)
    client.set_tag(parent_id, "best_job", best.data.tags.get("sweep_job", ""))
    client.set_tag(
        parent_id,
        "mlflow.note.content",
        f"Best job by {metric}: **{best.info.run_name}** (run `{best.info.run_id}`, "
        f"{metric} {best.data.metrics[metric]:.4f}). Its cv_* and test_* metrics are copied to "
        "this run under the same names, so the collapsed sweep ranks like its best job.",
    )
    client.set_tag(best.info.run_id, "sweep_best", "true")


def _end_if_running(tracking_uri: str, run_id: str) -> None:
    """At exit, end the parent run FAILED if the sweep never reached ``on_multirun_end``:
    a sweeper that raises (Optuna when no trial succeeded) skips it, and the parent run
    must not stay RUNNING."""
    try:
        client = MlflowClient(tracking_uri)
        if client.get_run(run_id).info.status == RunStatus.to_string(RunStatus.RUNNING):
            client.set_terminated(run_id, "FAILED")
    except Exception as err:  # the tracking store itself may be what failed
        log.warning("could not end the sweep's parent run %s: %s", run_id, err)


def job_tags() -> dict[str, str]:
    """Tags that nest this job's run under the sweep's parent run ({} outside a multirun)."""
    if not in_multirun():
        return {}
    hydra_cfg = HydraConfig.get()
    path = Path(hydra_cfg.sweep.dir) / SWEEP_FILE
    if not path.is_file():
        # hydra.callbacks was overridden away: the jobs still run, just not nested.
        log.warning("no %s in the sweep directory: this run is not nested", SWEEP_FILE)
        return {}
    info = json.loads(path.read_text())
    swept = set(info.get("swept", []))
    overrides = [o for o in hydra_cfg.overrides.task if naming.split_override(o)[0] in swept]
    return {
        PARENT_TAG: info["parent_run_id"],
        SWEEP_TAG: info["sweep_id"],
        "sweep_job": str(hydra_cfg.job.num),
        # What sets this job apart (its swept values); its run is named after them.
        naming.JOB_OVERRIDES_TAG: shlex.join(overrides),
    }


def run_job(cfg: DictConfig, train: Callable[[dict[str, str]], float | None]) -> float | None:
    """Run ``train(tags)`` and return the metric it reports.

    Outside a multirun errors propagate (the entry point turns them into one line and an
    exit code). In a multirun a failed job prints its error, makes sure a FAILED run
    records it in MLflow, and returns None so that the other jobs still run.
    """
    tags = job_tags()
    if not in_multirun():
        return train(tags)
    # Jobs of one sweep must not overwrite each other's model file: each keeps its own in
    # its job directory (multirun/<date>/<time>/<job number>/), and in its MLflow run.
    with open_dict(cfg):
        cfg.output.model_path = str(
            Path(HydraConfig.get().runtime.output_dir) / Path(cfg.output.model_path).name
        )
    try:
        return train(tags)
    except SystemExit as err:
        if err.code != 2:  # interrupted (130/143): stop the sweep
            raise
        # run_cli printed the user error and exited while handling it.
        error = str(user_error(err.__context__) or err.__context__ or "error")
    except Exception as err:  # a bug in one configuration must not stop the sweep
        traceback.print_exc()
        error = f"{type(err).__name__}: {err}"
    _record_failure(cfg, tags, error)
    return None


def _record_failure(cfg: DictConfig, tags: dict[str, str], error: str) -> None:
    """Tag the job's FAILED run with ``error``, or create one when the job failed before its
    run started (e.g. unreadable data), so that every job of the sweep has a run."""
    if not tags:
        return
    client = MlflowClient(cfg.mlflow.tracking_uri)
    try:
        experiment = client.get_experiment_by_name(cfg.mlflow.experiment)
        if experiment is None:
            return
        query = f"tags.`{PARENT_TAG}` = '{tags[PARENT_TAG]}'"
        existing = client.search_runs(
            [experiment.experiment_id], f"{query} and tags.sweep_job = '{tags['sweep_job']}'"
        )
        if existing:
            client.set_tag(existing[0].info.run_id, "error", error[:5000])
            return
        run = client.create_run(
            experiment.experiment_id,
            tags={**tags, "error": error[:5000]},
            run_name=naming.run_name(cfg, tags),
        )
        client.set_terminated(run.info.run_id, "FAILED")
    except Exception as err:  # the tracking store itself may be what failed
        log.warning("could not record the failed job in MLflow: %s", err)
