"""Choose the articles to label next: ``python label_next.py input=unlabelled.jsonl k=500``.

Writes them (``output``, JSONL) in the schema training reads, with the label field empty.
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from classifier.audit.label_next import run_label_next
from classifier.cli import check_choices, run_cli

CONF_DIR = Path(__file__).parent / "conf"


@hydra.main(version_base="1.3", config_path="conf", config_name="label_next")
def main(cfg: DictConfig) -> None:
    """Score the input, choose ``k`` articles, write them; one summary line on stderr."""
    print(run_cli(lambda: run_label_next(cfg), debug=cfg.debug), file=sys.stderr)


if __name__ == "__main__":
    check_choices(CONF_DIR)
    main()
