"""The package's dependency rules ([tool.importlinter] in pyproject.toml) hold: layers point
one way and no modules import each other in a cycle."""

import subprocess
import sys
from pathlib import Path


def test_import_contracts_are_kept(repo: Path) -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
