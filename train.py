"""Train a topic tagger: ``python train.py [model=logreg] [features.word.min_df=2] ...``.

Sweeps: ``python train.py -m model=linear_svc,logreg`` or ``python train.py hparams_search=optuna``.
"""

from classifier.cli import quiet_interrupts

# Before the slow imports below: a Ctrl-C while they run prints "interrupted", exits 130.
quiet_interrupts()

from pathlib import Path

import hydra
from omegaconf import DictConfig

from classifier.cli import check_choices, run_cli
from classifier.tracking.runs import next_steps
from classifier.training.sweep import in_multirun, run_job
from classifier.training.trainer import optimized_value, train

CONF_DIR = Path(__file__).parent / "conf"
PREDICT = Path(__file__).with_name("predict.py")


def train_and_report(cfg: DictConfig, tags: dict[str, str]) -> float | None:
    """Train; outside a sweep print the next steps (a sweep prints its best job's)."""
    result = train(cfg, tags)
    if not in_multirun():
        print(next_steps(cfg.mlflow.tracking_uri, result.run_id, result.model_path, PREDICT))
    return optimized_value(cfg, result)


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train, evaluate and log one run; return the cross-validation metric sweeps optimise."""
    return run_job(cfg, lambda tags: run_cli(lambda: train_and_report(cfg, tags), debug=cfg.debug))


if __name__ == "__main__":
    check_choices(CONF_DIR)
    main()
