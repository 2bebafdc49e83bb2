"""Every option of every config group composes, and every object it describes builds.

In lightning-hydra-template's habit: each primary config (``conf/*.yaml``) is composed
with each option of each group it uses, then every ``_target_`` node is instantiated, or,
for data loaders (which read their files when called), checked against the loader's
signature, so a config key the code does not take fails here rather than in a run.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import get_method, instantiate
from omegaconf import DictConfig, OmegaConf

import classifier  # noqa: F401  (registers the configs' project_root resolver)
from classifier.evaluation.labelled import FROM_MODEL

CONF = Path(__file__).resolve().parents[1] / "conf"
PRIMARY = sorted(p.stem for p in CONF.glob("*.yaml"))
# Groups whose objects do work when built (loading a data set): only their signature is
# checked. Hydra's own groups are Hydra's business (tests/test_launchers.py runs them).
CALL_CHECKED = {"data"}
SKIPPED = {"hydra"}


def _compose(primary: str, overrides: list[str]) -> DictConfig:
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONF), version_base="1.3"):
        return compose(primary, overrides=overrides, return_hydra_config=True)


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for primary in PRIMARY:
        choices = _compose(primary, []).hydra.runtime.choices
        for group in sorted(choices):
            if group.split("/")[0] in SKIPPED or not (CONF / group).is_dir():
                continue
            for option in sorted(p.stem for p in (CONF / group).glob("*.yaml")):
                cases.append((primary, group, option))
    return cases


def _targets(node, path: str = ""):
    """(path, node) of every ``_target_`` node in the config."""
    if isinstance(node, DictConfig):
        if "_target_" in node:
            yield path, node
            return
        for key in node:
            if not OmegaConf.is_missing(node, key):  # ??? values are the user's to give
                yield from _targets(node[key], f"{path}.{key}" if path else str(key))


@pytest.mark.parametrize(("primary", "group", "option"), _cases())
def test_every_option_composes_and_builds(primary: str, group: str, option: str) -> None:
    cfg = _compose(primary, [f"{group}={option}"])
    assert cfg.hydra.runtime.choices[group] == option
    del cfg.hydra
    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
    for path, node in _targets(cfg):
        top = path.split(".")[0]
        if top in CALL_CHECKED:
            target = get_method(node._target_)
            values = OmegaConf.to_container(node, resolve=True, throw_on_missing=False)
            kwargs = {k: v for k, v in values.items() if k != "_target_"}
            if primary == "evaluate":  # null: filled from each evaluated model, when taken
                kwargs = {k: v for k, v in kwargs.items() if k not in FROM_MODEL or v is not None}
            inspect.signature(target).bind(**kwargs)
        else:
            built = instantiate(node, _convert_="all")
            assert built is not None, path
