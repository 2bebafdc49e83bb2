"""Opening the files a user names as input: regular files (or a pipe), gzip or not, with
read errors reported as the input's (a truncated download, a missing permission), and the
entries of a folder of .txt files read without ever blocking.
"""

from __future__ import annotations

import gzip
import os
import stat
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from classifier.data.formats import STDIO
from classifier.errors import DataError

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _read_error(path: str, err: BaseException) -> DataError:
    if isinstance(err, EOFError):
        why = "truncated: the compressed data ends early (an interrupted download or copy?)"
    elif isinstance(err, gzip.BadGzipFile):
        why = f"not a gzip file ({err})"
    elif isinstance(err, zlib.error):
        why = f"corrupt gzip data ({err})"
    elif isinstance(err, OSError):
        why = f"cannot read ({err.strerror or err})"
    else:
        why = str(err)
    return DataError(f"{path}: {why}")


def _check_kind(path: str) -> None:
    """Refuse what is not a regular file or a named pipe (a device would never end)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataError(f"{path}: input file not found") from None
    except OSError as err:
        raise _read_error(path, err) from err
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise DataError(f"{path}: not a regular file (a device or a socket); name a file")


@contextmanager
def open_input(path: str, text: bool = True) -> Iterator[IO[bytes]]:
    """The bytes of ``path`` (``-``: standard input), decompressed if it ends in ``.gz``.

    Errors while reading inside the block (a truncated or corrupt gzip stream, an I/O
    error) become one DataError naming ``path``. ``text`` files that start with a UTF-16
    byte order mark (PowerShell's ``>`` writes them) are refused: the readers take UTF-8.
    """
    try:
        if path == STDIO:
            yield _checked_start(path, sys.stdin.buffer, text)
            return
        _check_kind(path)
        with open(path, "rb") as raw:
            if path.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                    yield _checked_start(path, unpacked, text)
            else:
                yield _checked_start(path, raw, text)
    except (OSError, EOFError, zlib.error) as err:
        raise _read_error(path, err) from err


def _checked_start(path: str, fh: IO[bytes], text: bool) -> IO[bytes]:
    if text and fh.peek(2)[:2] in _UTF16_BOMS:  # type: ignore[attr-defined]
        raise DataError(f"{path}: the text is UTF-16; save it as UTF-8 (e.g. iconv -f UTF-16)")
    return fh


def txt_files(folder: str) -> list[Path]:
    """The ``.txt`` entries under ``folder`` (any case of the suffix), in path order.

    Symbolic links to folders are not followed (no loops); entries that are not regular
    files are listed too, so that :func:`read_txt` rejects each with a reason.
    """
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        found += [Path(root, n) for n in names if n.lower().endswith(".txt")]
    return sorted(found)


def read_txt(file: Path) -> bytes:
    """The bytes of one entry of a .txt folder; OSError (with a reason) if it cannot be an
    article: a pipe, a device or a socket (reading could block or never end), a dangling
    link, no permission."""
    if not stat.S_ISREG(os.stat(file).st_mode):
        raise OSError("not a regular file (a pipe, a device or a socket)")
    # O_NONBLOCK: should the entry become a pipe after the check, opening does not wait.
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with open(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError("not a regular file (a pipe, a device or a socket)")
        data = fh.read()
    return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
