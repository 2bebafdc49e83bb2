"""Write files so that readers see the old file or the whole new one, never a part.

The content goes to a temporary file in the destination folder, is flushed to disk, and is
renamed over the final name only once complete; on any error or interruption the
temporary file is removed. The file gets the permissions a plain ``open(path, "w")``
would give it: those of the file it replaces, else 0666 less the user's umask (the
temporary file itself is created 0600, so nobody reads a half-written file).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from classifier.errors import OutputError


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``os.umask`` sets
    it, which would briefly affect files that other threads create)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


@contextmanager
def atomic_path(path: str | Path, block_writes_only: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    With ``block_writes_only`` (the block does nothing but write this file) an OSError in
    the block, a full disk say, is reported as ``path: cannot write``. A block that also
    reads an input or writes other files passes False, and reports its errors itself
    (:func:`output_errors` around each file's writes), so that each names the right file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from err
    tmp = Path(tmp_name)
    try:
        with output_errors(path) if block_writes_only else nullcontext():
            yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), _final_mode(path))
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from err


@contextmanager
def output_errors(path: str | Path) -> Iterator[None]:
    """Report an OSError of the block (a full disk, say) as ``path: cannot write (...)``.

    For blocks that only write ``path``: the error is then this file's, whatever call in
    the block raised it (a write on an open file names no file).
    """
    try:
        yield
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from err
