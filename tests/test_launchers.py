"""The SLURM launcher config for sweeps on a cluster composes with the training config."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.utils import instantiate


def test_slurm_launcher_config_composes(repo: Path) -> None:
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        cfg = compose(
            "train",
            ["hydra/launcher=slurm", "hydra.launcher.partition=cpu"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert launcher.partition == "cpu"
    assert launcher.timeout_min == 60
    assert launcher.cpus_per_task == 4
    # The plugin accepts every key: building the launcher checks them (no cluster needed).
    built = instantiate(launcher)
    assert type(built).__name__ == "SlurmLauncher"
