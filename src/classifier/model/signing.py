"""Sign model manifests with the user's key, and check signatures before a model is unpickled.

A sha256 beside a model proves only that the two files agree: whoever can put a model
there can put a matching manifest there. So every manifest also carries an HMAC-SHA256,
made with a secret key the user holds, over the file's sha256 and the manifest's other
fields. A joblib file is unpickled only when that HMAC verifies with the user's key.

The key is the environment variable ``CLASSIFIER_SIGNING_KEY`` when set (a team, or CI,
shares one that way), else the file ``signing.key`` in the user's config folder
(``$XDG_CONFIG_HOME/classifier/``, default ``~/.config/classifier/``), created with mode
0600 the first time a model is signed.

Command line (``python -m classifier.model.signing ...``):

- ``sign PATH...``: sign model files you trust (e.g. ones written before models were
  signed, or by a colleague with another key) with your key;
- ``verify PATH...``: check files without loading them;
- ``key``: where your key comes from and its id; ``new-key``: print a fresh random key
  (to share as ``CLASSIFIER_SIGNING_KEY``).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from classifier.atomic import atomic_path
from classifier.errors import ConfigError, ModelFileError

KEY_ENV = "CLASSIFIER_SIGNING_KEY"
KEY_FILE_NAME = "signing.key"
ALGORITHM = "HMAC-SHA256"
MIN_KEY_CHARS = 16
SIGN_COMMAND = "python -m classifier.model.signing sign"


def manifest_path(model_path: str | Path) -> Path:
    """Where the manifest of ``model_path`` lives: ``model.joblib.manifest.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".manifest.json")


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def key_file() -> Path:
    """The user's key file: ``$XDG_CONFIG_HOME/classifier/signing.key`` (or ``~/.config/...``)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "classifier" / KEY_FILE_NAME


def _create_key_file(path: Path) -> None:
    """Write a new random key to ``path`` with mode 0600, unless another process won the race."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # fails if the key exists: a key is never replaced
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def user_key(create: bool = False) -> tuple[bytes, str] | None:
    """The user's key and where it comes from; None when there is none and not ``create``."""
    value = os.environ.get(KEY_ENV)
    if value is not None:
        if len(value.strip()) < MIN_KEY_CHARS:
            raise ConfigError(
                f"{KEY_ENV} is shorter than {MIN_KEY_CHARS} characters; "
                "make one with: python -m classifier.model.signing new-key"
            )
        return value.strip().encode("utf-8"), f"${KEY_ENV}"
    path = key_file()
    try:
        if not path.exists():
            if not create:
                return None
            _create_key_file(path)
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read or create the signing key ({err})") from err
    if len(value) < MIN_KEY_CHARS:
        raise ConfigError(f"{path}: signing key is shorter than {MIN_KEY_CHARS} characters")
    return value.encode("utf-8"), str(path)


def key_id(key: bytes) -> str:
    """A short public name of a key (not the key), so messages can say which key signed."""
    return hashlib.sha256(b"classifier-signing-key-id\0" + key).hexdigest()[:16]


def _signed_bytes(manifest: dict[str, Any]) -> bytes:
    """What the HMAC covers: every manifest field but the signature and the file name (so a
    renamed model still verifies), as canonical JSON."""
    fields = {k: v for k, v in manifest.items() if k not in ("signature", "file")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with a ``signature`` made with the user's key (created on first use)."""
    key, _ = user_key(create=True)
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    unsigned["key_id"] = key_id(key)
    mac = hmac.new(key, _signed_bytes(unsigned), hashlib.sha256).hexdigest()
    return {**unsigned, "signature": {"algorithm": ALGORITHM, "hmac": mac}}


def write_manifest(model_path: Path, manifest: dict[str, Any]) -> Path:
    """Sign ``manifest`` and write it atomically beside ``model_path``."""
    path = manifest_path(model_path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(sign_manifest(manifest), indent=2) + "\n", encoding="utf-8")
    return path


def _retry_hint(path: Path) -> str:
    return f"if you trust this file, sign it with your key: {SIGN_COMMAND} {path}"


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest beside ``path``, checked to be one; ModelFileError if missing or invalid."""
    mpath = manifest_path(path)
    if not mpath.is_file():
        raise ModelFileError(
            f"{path}: no manifest {mpath.name} beside it, so its origin cannot be checked; "
            f"refusing to load it ({_retry_hint(path)}, or pass trust=true)"
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest["sha256"], str):
            raise TypeError("sha256 is not text")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelFileError(f"{mpath}: not a valid model manifest ({err})") from err
    return manifest


def check_sha256(path: Path, manifest: dict[str, Any], data: bytes | None = None) -> None:
    """Raise ModelFileError unless the bytes of ``path`` (``data``, when already read) have
    the manifest's sha256."""
    actual = file_sha256(path) if data is None else hashlib.sha256(data).hexdigest()
    expected = manifest["sha256"]
    if not hmac.compare_digest(actual, expected):
        raise ModelFileError(
            f"{path}: sha256 {actual[:12]}... does not match its manifest ({expected[:12]}...); "
            "the file was changed or corrupted"
        )


def check_signature(path: Path, manifest: dict[str, Any]) -> None:
    """Raise ModelFileError unless ``manifest`` is signed with the user's key."""
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or "hmac" not in signature:
        raise ModelFileError(
            f"{path}: its manifest is not signed (written before models were signed, or not "
            f"by classifier); refusing to unpickle it; {_retry_hint(path)}"
        )
    found = user_key()
    if found is None:
        raise ModelFileError(
            f"{path}: cannot check its signature: no signing key ({KEY_ENV} is not set and "
            f"{key_file()} does not exist); set {KEY_ENV} to the key it was signed with"
        )
    key, source = found
    expected = hmac.new(key, _signed_bytes(manifest), hashlib.sha256).hexdigest()
    if signature.get("algorithm") != ALGORITHM or not hmac.compare_digest(
        expected, str(signature["hmac"])
    ):
        mine, signer = key_id(key), manifest.get("key_id", "?")
        why = (
            "the manifest was changed after it was signed"
            if signer == mine
            else f"signed with key id {signer}, by someone else, or forged"
        )
        raise ModelFileError(
            f"{path}: signature does not verify with your key ({source}, id {mine}): {why}; "
            f"refusing to unpickle it; {_retry_hint(path)}"
        )


def verify_model_file(
    path: str | Path, signed: bool = True, data: bytes | None = None
) -> dict[str, Any]:
    """Check ``path`` (or its bytes ``data``, read once so that the bytes checked are the
    bytes loaded) against its manifest and, if ``signed``, the manifest's signature;
    return the manifest or raise ModelFileError."""
    path = Path(path)
    manifest = read_manifest(path)
    check_sha256(path, manifest, data)
    if signed:
        check_signature(path, manifest)
    return manifest


def sign_file(path: str | Path) -> Path:
    """Sign ``path`` (a model file the user trusts) with the user's key: keep its manifest's
    fields when it has a valid one for these bytes, else write a new manifest."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    digest = file_sha256(path)
    try:
        manifest = read_manifest(path)
    except ModelFileError:
        manifest = {}
    if manifest.get("sha256") != digest:
        manifest = {"file": path.name, "sha256": digest}
    return write_manifest(path, manifest)


def main(argv: list[str] | None = None) -> None:
    """``python -m classifier.model.signing sign|verify|key|new-key``."""
    from classifier.cli import run_cli

    parser = argparse.ArgumentParser(prog="python -m classifier.model.signing")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sign", help="sign model files you trust with your key").add_argument(
        "paths", nargs="+", type=Path
    )
    sub.add_parser("verify", help="check files against their signed manifests").add_argument(
        "paths", nargs="+", type=Path
    )
    sub.add_parser("key", help="where your key comes from, and its id")
    sub.add_parser("new-key", help="print a new random key (for CLASSIFIER_SIGNING_KEY)")
    args = parser.parse_args(argv)

    def run() -> None:
        if args.command == "new-key":
            print(secrets.token_hex(32))
        elif args.command == "key":
            key, source = user_key(create=True)
            print(f"key id {key_id(key)} from {source}")
        else:
            for path in args.paths:
                if args.command == "sign":
                    print(f"signed {path} -> {sign_file(path)}")
                else:
                    verify_model_file(path)
                    print(f"ok {path}")

    run_cli(run)


if __name__ == "__main__":
    main()
