"""Tag a file of articles: ``python predict.py input=new.jsonl output=tagged.csv``.

``model_uri`` (not ``model``, which names the training config group) selects the model.
"""

from classifier.cli import quiet_interrupts

# Before the slow imports below: a Ctrl-C while they run prints "interrupted", exits 130.
quiet_interrupts()

import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from classifier.cli import run_cli
from classifier.prediction.engines import run_prediction


@hydra.main(version_base="1.3", config_path="conf", config_name="predict")
def main(cfg: DictConfig) -> None:
    """Load the model, tag the input, print a one-line summary to standard error."""
    summary = run_cli(
        lambda: run_prediction(
            model=cfg.model_uri,
            input=cfg.input,
            output=cfg.output,
            text_fields=list(cfg.text_fields),
            id_field=cfg.id_field,
            batch_size=cfg.batch_size,
            on_error=cfg.on_error,
            rejects_path=cfg.rejects,
            progress=cfg.progress,
            trust=cfg.trust,
            tracking_uri=cfg.mlflow.tracking_uri,
            n_jobs=cfg.n_jobs,
            workers=cfg.workers,
            top_k=cfg.top_k,
            threshold=OmegaConf.to_container(cfg.threshold)
            if OmegaConf.is_config(cfg.threshold)
            else cfg.threshold,
            explain=cfg.explain,
            oov=cfg.oov,
            oov_warning=cfg.oov_warning,
            scores=cfg.scores,
            engine=cfg.engine,
            spark=dict(cfg.spark),
        ),
        debug=cfg.debug,
    )
    print(summary.line(), file=sys.stderr)
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)


if __name__ == "__main__":
    main()
