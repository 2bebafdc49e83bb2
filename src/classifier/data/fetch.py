"""Get Reuters-21578 the way a user would: download the public archive (or take a local
copy), check every SGML file against the sha256 sums kept in this package, and only then
move the files into place. A corrupt or incomplete archive leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from classifier.errors import DataError
from classifier.paths import data_dir

REUTERS_URL = (
    "https://archive.ics.uci.edu/ml/machine-learning-databases/reuters21578-mld/reuters21578.tar.gz"
)
REUTERS_MIRRORS = ("http://kdd.ics.uci.edu/databases/reuters21578/reuters21578.tar.gz",)
DEFAULT_DEST = data_dir() / "raw" / "reuters21578"


def reuters_sums() -> dict[str, str]:
    """File name -> sha256 of the 22 SGML files, from ``reuters21578.sha256``."""
    text = resources.files("classifier.data").joinpath("reuters21578.sha256").read_text()
    sums = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(folder: Path, sums: dict[str, str]) -> None:
    """Raise DataError naming the first file of ``sums`` missing or changed in ``folder``."""
    for name, expected in sorted(sums.items()):
        path = folder / name
        if not path.is_file():
            raise DataError(f"{folder}: {name} is missing")
        if _sha256(path) != expected:
            raise DataError(f"{path}: sha256 does not match the published sum")


def _download(url: str, target: Path) -> None:
    """Stream ``url`` into ``target``, with a progress bar on a terminal."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, disable=not sys.stderr.isatty()
            ) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except OSError as err:
        raise DataError(f"{url}: download failed ({err})") from err


def _extract(archive: Path, into: Path) -> None:
    """Extract with the "data" filter: no absolute paths, no "..", no links or devices."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as err:
        raise DataError(f"{archive}: not a complete tar.gz archive ({err})") from err


def fetch_reuters21578(
    dest: str | Path = DEFAULT_DEST,
    source: str | Path | None = None,
    url: str = REUTERS_URL,
    mirrors: tuple[str, ...] = REUTERS_MIRRORS,
    sums: dict[str, str] | None = None,
) -> Path:
    """Put the verified SGML files in ``dest`` and return it.

    ``source`` is a local ``reuters21578.tar.gz``; without it the archive is downloaded from
    ``url`` (then ``mirrors``). If ``dest`` already verifies, nothing is done.
    """
    dest = Path(dest)
    sums = sums or reuters_sums()
    if dest.is_dir():
        try:
            verify(dest, sums)
            return dest
        except DataError:
            pass  # replaced below, once a good copy is ready
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{dest.name}.", dir=dest.parent) as tmp:
        work = Path(tmp)
        if source is not None:
            archive = Path(source)
            if not archive.is_file():
                raise DataError(f"{archive}: file not found")
        else:
            archive = work / "reuters21578.tar.gz"
            errors = []
            for candidate in (url, *mirrors):
                try:
                    _download(candidate, archive)
                    break
                except DataError as err:
                    errors.append(str(err))
            else:
                raise DataError("; ".join(errors))
        extracted = work / "extracted"
        _extract(archive, extracted)
        verify(extracted, sums)
        if dest.exists():
            shutil.rmtree(dest)
        extracted.rename(dest)
    return dest
