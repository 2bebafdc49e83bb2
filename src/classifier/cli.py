"""Shared behaviour of the command-line entry points: one-line errors, exit code 2."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TypeVar

from hydra.errors import InstantiationException

from classifier.errors import ClassifierError

T = TypeVar("T")
log = logging.getLogger("classifier")


def _user_error(err: BaseException) -> ClassifierError | None:
    """The ClassifierError behind ``err`` (Hydra wraps errors raised while instantiating)."""
    while err is not None:
        if isinstance(err, ClassifierError):
            return err
        err = err.__cause__ or err.__context__
    return None


def run_cli(main: Callable[[], T], debug: bool = False) -> T:
    """Call ``main``; turn user errors into ``error: ...`` on stderr and exit code 2.

    Tracebacks are shown only with ``debug`` or ``HYDRA_FULL_ERROR=1``: a user who passes a
    bad path needs the path, not the stack.
    """
    debug = debug or os.environ.get("HYDRA_FULL_ERROR") == "1"
    try:
        return main()
    except (ClassifierError, InstantiationException) as err:
        user_error = _user_error(err)
        if debug or user_error is None:
            raise
        print(f"error: {user_error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
