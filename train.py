"""Train a topic tagger: ``python train.py [model=logreg] [features.word.min_df=2] ...``."""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from classifier.cli import check_choices, run_cli
from classifier.training import train

CONF_DIR = Path(__file__).parent / "conf"


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> None:
    """Train, evaluate and log one run as the config describes it."""
    run_cli(lambda: train(cfg), debug=cfg.debug)


if __name__ == "__main__":
    check_choices(CONF_DIR)
    main()
