"""Check saved models on labelled articles:
``python evaluate.py model_uri=models:/<name>@champion data=files data.test_path=new.jsonl``.

``compare='[a, b]'`` compares models with a paired bootstrap; ``promote=true`` moves the
registry alias to the challenger only when it is better (exit 1 when it is refused).
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from classifier.cli import check_choices, run_cli
from classifier.evaluation.run import run_evaluation

CONF_DIR = Path(__file__).parent / "conf"


@hydra.main(version_base="1.3", config_path="conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    """Evaluate, compare, promote; exit 1 when a promotion is refused."""
    sys.exit(run_cli(lambda: run_evaluation(cfg), debug=cfg.debug))


if __name__ == "__main__":
    check_choices(CONF_DIR)
    main()
