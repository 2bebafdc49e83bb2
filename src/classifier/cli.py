"""Shared behaviour of the command-line entry points: one-line errors, exit code 2.

Only the standard library is imported at module level, so that an entry point can call
:func:`quiet_interrupts` before its slow imports (Hydra, scikit-learn, pyarrow...).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from classifier.errors import ClassifierError, Terminated

T = TypeVar("T")
log = logging.getLogger("classifier")


def user_error(err: BaseException) -> ClassifierError | None:
    """The ClassifierError behind ``err`` (Hydra wraps errors raised while instantiating)."""
    while err is not None:
        if isinstance(err, ClassifierError):
            return err
        err = err.__cause__ or err.__context__
    return None


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _interrupted_hook(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    # Every block between the interrupted line and here has already cleaned up; exit
    # with Ctrl-C's code instead of Python's traceback and death by SIGINT.
    print("interrupted", file=sys.stderr)
    sys.stderr.flush()
    os._exit(130)


_interrupted = False


def _raise_interrupted(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def quiet_interrupts() -> None:
    """Make a Ctrl-C outside :func:`run_cli` (while the entry point imports its libraries,
    or while Hydra composes the config) print ``interrupted`` and exit 130, as inside it.

    The Ctrl-C is also remembered: Python swallows a KeyboardInterrupt raised inside a
    finalizer or a library's catch-all, and :func:`run_cli` must not start the job then.
    """
    global _interrupted
    _interrupted = False
    sys.excepthook = _interrupted_hook
    signal.signal(signal.SIGINT, _raise_interrupted)


def _os_error_line(err: OSError) -> str:
    """``path: reason`` for an OSError no code of the project turned into a clear error."""
    reason = err.strerror or str(err)
    return f"{err.filename}: {reason}" if err.filename else reason


def run_cli(main: Callable[[], T], debug: bool = False) -> T:
    """Call ``main``; turn user errors into ``error: ...`` on stderr and exit code 2.

    Tracebacks are shown only with ``debug`` or ``HYDRA_FULL_ERROR=1``: a user who passes a
    bad path needs the path, not the stack. SIGTERM unwinds like Ctrl-C, so temporary
    files are removed and the MLflow run is ended KILLED.
    """
    from hydra.errors import InstantiationException

    debug = debug or os.environ.get("HYDRA_FULL_ERROR") == "1"
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if _interrupted:  # a Ctrl-C during start-up that a library swallowed
            raise KeyboardInterrupt
        return main()
    except (ClassifierError, InstantiationException) as err:
        found = user_error(err)
        if debug or found is None:
            raise
        print(f"error: {found}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:
        # The file system refused something (permissions, a full disk...): the user's
        # problem to fix, so one line naming the file, not a traceback.
        if debug:
            raise
        print(f"error: {_os_error_line(err)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Terminated:
        print("terminated", file=sys.stderr)
        sys.exit(143)


# Config keys that moved: old prefix -> new prefix (the out-of-core settings became the
# streaming trainer's own, conf/trainer/streaming.yaml).
RENAMED = {"outofcore.": "trainer."}


def unknown_choice(overrides: list[str], conf_dir: Path) -> str | None:
    """A one-line message for the first ``group=option`` naming no file in ``conf/group/``,
    or for a key that was renamed (:data:`RENAMED`).

    Hydra reports such mistakes over several lines with exit code 1; users get one line
    with the valid choices instead. Sweeps (``model=a,b``) are checked option by option.
    """
    for override in overrides:
        key, sep, value = override.partition("=")
        for old, new in RENAMED.items():
            if sep and key.lstrip("+~").startswith(old):
                return f"{key} is now {new}{key.lstrip('+~').removeprefix(old)}"
        if not sep or key.startswith(("+", "~", "hydra")) or "." in key:
            continue
        group = conf_dir / key
        if not group.is_dir():
            continue
        choices = sorted(p.stem for p in group.glob("*.yaml"))
        for option in value.split(","):
            option = option.strip()
            if option and option != "null" and option not in choices:
                return f"unknown {key} {option!r}; choose one of: {', '.join(choices)}"
    return None


def check_choices(conf_dir: Path, argv: list[str] | None = None) -> None:
    """Exit with code 2 and one line if the command line names a config option that
    does not exist."""
    message = unknown_choice(sys.argv[1:] if argv is None else argv, conf_dir)
    if message:
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
