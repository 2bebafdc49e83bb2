"""``python -m classifier.data fetch reuters21578 [--from PATH] [--dest DIR]``."""

from __future__ import annotations

import argparse
import sys

from classifier.data.fetch import DEFAULT_DEST, REUTERS_URL, fetch_reuters21578
from classifier.errors import ClassifierError


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and fetch the named data set."""
    parser = argparse.ArgumentParser(prog="python -m classifier.data")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="download (or copy) and verify a data set")
    fetch.add_argument("dataset", choices=["reuters21578"])
    fetch.add_argument("--from", dest="source", help="a local reuters21578.tar.gz")
    fetch.add_argument("--dest", default=str(DEFAULT_DEST), help="where the files go")
    fetch.add_argument("--url", default=REUTERS_URL, help="download address")
    args = parser.parse_args(argv)
    try:
        path = fetch_reuters21578(args.dest, source=args.source, url=args.url)
    except ClassifierError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Reuters-21578 verified in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
