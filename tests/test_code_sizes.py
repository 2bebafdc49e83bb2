"""The size limits of the project's rules hold in the model, training and shared code:
modules of at most about 350 lines, functions of at most about 60 lines and at most 8
parameters, unless a ``# sizes: <why>`` comment above the function says why.

``python tools/code_sizes.py`` lists the largest modules and functions of the package.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("code_sizes", REPO / "tools" / "code_sizes.py")
sizes = importlib.util.module_from_spec(_spec)
sys.modules["code_sizes"] = sizes  # dataclasses look their module up there
_spec.loader.exec_module(sizes)

CHECKED = ("classifier.model", "classifier.training", "classifier.errors", "classifier.atomic",
           "classifier.cli", "classifier.paths")  # fmt: skip


def _checked(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in CHECKED)


def test_modules_are_at_most_350_lines() -> None:
    big = [(m, n) for m, n in sizes.modules() if _checked(m) and n > sizes.MAX_MODULE_LINES]
    assert not big


@pytest.mark.parametrize("limit", ["lines", "parameters"])
def test_functions_are_short_with_few_parameters(limit: str) -> None:
    most = {"lines": sizes.MAX_FUNCTION_LINES, "parameters": sizes.MAX_PARAMETERS}[limit]
    over = [
        f"{f.module}:{f.name} ({getattr(f, limit)} {limit})"
        for f in sizes.all_functions()
        if _checked(f.module) and getattr(f, limit) > most and not f.explained
    ]
    assert not over


def test_the_listing_finds_functions_and_their_explanations() -> None:
    found = {f"{f.module}:{f.name}": f for f in sizes.all_functions()}
    init = found["classifier.model.tagger:TopicTagger.__init__"]
    assert init.parameters == 13 and init.explained
    assert not found["classifier.training.trainer:train"].explained
