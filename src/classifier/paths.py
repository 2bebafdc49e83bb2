"""Where the project's own files are, whatever the current folder.

The project folder (``paths.root_dir`` in ``conf/paths/default.yaml``) is ``$PROJECT_ROOT``
when set, else the checkout this package runs from (the folder holding ``conf/`` above
``src/classifier``), else the current folder (an installed package has no checkout). The
bundled demo corpus and fetched data sets live under it, so ``cd /tmp && python
/path/to/train.py`` reads the same files as a run started in the project folder.

Importing this module registers the ``project_root`` resolver that the configs use.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import OmegaConf

_CHECKOUT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The project folder: ``$PROJECT_ROOT``, the source checkout, or the current folder."""
    if os.environ.get("PROJECT_ROOT"):
        return Path(os.environ["PROJECT_ROOT"]).resolve()
    if (_CHECKOUT / "conf").is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT
    return Path.cwd()


def data_dir() -> Path:
    """The project's data folder (``data/demo``, ``data/raw/...``)."""
    return project_root() / "data"


OmegaConf.register_new_resolver("project_root", lambda: str(project_root()), replace=True)
