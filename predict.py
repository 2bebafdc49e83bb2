"""Tag a file of articles: ``python predict.py input=new.jsonl output=tagged.csv``.

``model_uri`` (not ``model``, which names the training config group) selects the model.
"""

from classifier.cli import quiet_interrupts

# Before the slow imports below: a Ctrl-C while they run prints "interrupted", exits 130.
quiet_interrupts()

import sys

import hydra
from omegaconf import DictConfig

from classifier.cli import run_cli
from classifier.prediction.engines import run_prediction
from classifier.prediction.options import PredictOptions


@hydra.main(version_base="1.3", config_path="conf", config_name="predict")
def main(cfg: DictConfig) -> None:
    """Load the model, tag the input, print a one-line summary to standard error."""
    summary = run_cli(
        lambda: run_prediction(
            cfg.model_uri,
            cfg.input,
            cfg.output,
            PredictOptions.from_config(cfg),
            trust=cfg.trust,
            tracking_uri=cfg.mlflow.tracking_uri,
            cache=cfg.cache,
        ),
        debug=cfg.debug,
    )
    print(summary.line(), file=sys.stderr)
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)


if __name__ == "__main__":
    main()
