"""Audit a labelled data set: ``python audit.py [experiment=reuters] [audit.folds=5] ...``.

Writes likely label errors, duplicates and confused label pairs to ``audit.output_dir``
and logs them to an MLflow run tagged ``run_kind=audit``.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from classifier.audit.run import run_audit
from classifier.cli import check_choices, run_cli

CONF_DIR = Path(__file__).parent / "conf"


@hydra.main(version_base="1.3", config_path="conf", config_name="audit")
def main(cfg: DictConfig) -> None:
    """Run the audit; errors in the data or config are one line and exit code 2."""
    run_cli(lambda: run_audit(cfg), debug=cfg.debug)


if __name__ == "__main__":
    check_choices(CONF_DIR)
    main()
