"""The size limits of the project's rules hold in the whole package: modules of at most
about 350 lines, functions of at most about 60 lines and at most 8 parameters, unless a
``# sizes: <why>`` comment above the function says why; the functions so explained are
listed here too (:data:`ALLOWED`), so a new exception is a visible change.

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

# The justified exceptions, each with its ``# sizes:`` comment in the code.
ALLOWED = {
    # A scikit-learn estimator: its hyper-parameters must be constructor arguments.
    "classifier.model.tagger:TopicTagger.__init__",
    # Data loaders: one parameter per key of their conf/data YAML, passed by Hydra.
    "classifier.data.loaders:load_files",
    "classifier.data.loaders:load_hub",
}


def _checked(module: str) -> bool:
    return module == "classifier" or module.startswith("classifier.")


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


def test_the_explained_exceptions_are_the_allowed_ones() -> None:
    explained = {f"{f.module}:{f.name}" for f in sizes.all_functions() if f.explained}
    assert explained == ALLOWED


def test_the_listing_finds_functions_and_their_explanations() -> None:
    found = {f"{f.module}:{f.name}": f for f in sizes.all_functions()}
    init = found["classifier.model.tagger:TopicTagger.__init__"]
    assert init.parameters == 13 and init.explained
    assert not found["classifier.training.trainer:train"].explained
