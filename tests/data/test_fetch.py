"""Fetching and verifying an archive, on synthetic tarballs served locally."""

import hashlib
import http.server
import io
import subprocess
import sys
import tarfile
import threading
from functools import partial

import pytest

from classifier.data.fetch import fetch_reuters21578, reuters_sums
from classifier.errors import DataError

FILES = {f"reut2-{i:03d}.sgm": f"<REUTERS NEWID='{i}'></REUTERS>\n".encode() for i in range(3)}
SUMS = {name: hashlib.sha256(data).hexdigest() for name, data in FILES.items()}


def make_tarball(path, files, extra_member=None):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra_member:
            info = tarfile.TarInfo(extra_member)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    return path


def test_sums_cover_the_22_sgml_files():
    sums = reuters_sums()
    assert sorted(sums) == [f"reut2-{i:03d}.sgm" for i in range(22)]
    assert all(len(v) == 64 for v in sums.values())


def test_local_copy_is_verified_and_moved_into_place(tmp_path):
    archive = make_tarball(tmp_path / "r.tar.gz", FILES)
    dest = fetch_reuters21578(tmp_path / "raw" / "reuters21578", source=archive, sums=SUMS)
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["reuters21578"]  # no temp dirs
    # Already there and verified: nothing to do.
    assert fetch_reuters21578(dest, source=tmp_path / "absent.tar.gz", sums=SUMS) == dest


def test_checksum_mismatch_leaves_nothing(tmp_path):
    changed = dict(FILES, **{"reut2-001.sgm": b"tampered"})
    archive = make_tarball(tmp_path / "r.tar.gz", changed)
    dest = tmp_path / "raw" / "reuters21578"
    with pytest.raises(DataError, match=r"reut2-001\.sgm: sha256 does not match"):
        fetch_reuters21578(dest, source=archive, sums=SUMS)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_missing_file_and_truncated_archive(tmp_path):
    partial_files = {k: v for k, v in FILES.items() if k != "reut2-002.sgm"}
    archive = make_tarball(tmp_path / "r.tar.gz", partial_files)
    with pytest.raises(DataError, match=r"reut2-002\.sgm is missing"):
        fetch_reuters21578(tmp_path / "d1", source=archive, sums=SUMS)
    full = make_tarball(tmp_path / "full.tar.gz", FILES).read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(full[: len(full) // 2])
    with pytest.raises(DataError, match=r"not a complete tar\.gz archive"):
        fetch_reuters21578(tmp_path / "d2", source=tmp_path / "cut.tar.gz", sums=SUMS)
    assert not (tmp_path / "d1").exists() and not (tmp_path / "d2").exists()


def test_path_traversal_member_is_rejected(tmp_path):
    archive = make_tarball(tmp_path / "r.tar.gz", FILES, extra_member="../escape.txt")
    with pytest.raises(DataError, match=r"not a complete tar\.gz archive"):
        fetch_reuters21578(tmp_path / "raw" / "d", source=archive, sums=SUMS)
    assert not (tmp_path / "raw" / "escape.txt").exists()


def test_download_from_a_local_http_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    make_tarball(served / "reuters21578.tar.gz", FILES)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        dest = fetch_reuters21578(
            tmp_path / "dl",
            url=f"{base}/missing.tar.gz",
            mirrors=(f"{base}/reuters21578.tar.gz",),
            sums=SUMS,
        )
        assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)
    finally:
        server.shutdown()
        thread.join()


def test_cli_gives_one_line_error_and_exit_code_2(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "classifier.data",
            "fetch",
            "reuters21578",
            "--from",
            str(tmp_path / "none.tar.gz"),
            "--dest",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'none.tar.gz'}: file not found"
