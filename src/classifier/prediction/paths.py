"""Which files a prediction run writes, and the rule that it never writes over what it reads.

The output and the rejects file must not be an input, nor inside an input folder of .txt
files, nor each other. Paths are compared after resolving ``..`` and symbolic links, and
by inode for existing files (hard links), before anything is read.
"""

from __future__ import annotations

import os
from pathlib import Path

from classifier.data.formats import STDIO
from classifier.errors import ConfigError

# Suffixes of outputs, longest first: what the rejects name drops from the output name.
_OUTPUT_SUFFIXES = (".jsonl.gz", ".json.gz", ".csv.gz", ".jsonl", ".json", ".csv", ".parquet")


def output_stem(output: str) -> Path:
    """The output path without its format suffix: ``run.v2.jsonl.gz`` -> ``run.v2``."""
    p = Path(output)
    name = p.name
    for suffix in _OUTPUT_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return p.with_name(name[: -len(suffix)])
    return p


def default_rejects_path(output: str) -> str | None:
    """``out.csv`` -> ``out.rejects.jsonl``, ``run.v2.jsonl`` -> ``run.v2.rejects.jsonl``;
    None for standard output."""
    if output == STDIO:
        return None
    stem = output_stem(output)
    return str(stem.with_name(stem.name + ".rejects.jsonl"))


def _is_local(path: str) -> bool:
    return path != STDIO and "://" not in path


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def _inside(path: Path, folder: Path) -> bool:
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return top in real.parents


def check_paths(inputs: list[str], written: dict[str, str | None]) -> None:
    """Raise ConfigError, naming both paths, when a file to write (``{role: path}``, e.g.
    ``{"output": ..., "rejects": ...}``) is an input, lies inside an input folder, or is
    another file to write."""
    files = [(role, Path(p)) for role, p in written.items() if p and _is_local(p)]
    for source in (Path(p) for p in inputs if _is_local(p)):
        for role, path in files:
            if _same_file(path, source):
                raise ConfigError(
                    f"{role} {path} is also the input {source}; name another {role} "
                    "(a run never writes over its input)"
                )
            if source.is_dir() and _inside(path, source):
                raise ConfigError(
                    f"{role} {path} is inside the input folder {source}; write it elsewhere"
                )
    for i, (role, path) in enumerate(files):
        for other, other_path in files[i + 1 :]:
            if _same_file(path, other_path):
                raise ConfigError(
                    f"{role} {path} and {other} {other_path} are the same file; "
                    f"name another {other}"
                )
