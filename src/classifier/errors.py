"""Errors the command-line entry points turn into one clear line and exit code 2."""


class ClassifierError(Exception):
    """Base class for errors caused by the user's input, config or files (not by a bug)."""


class ConfigError(ClassifierError):
    """A config value is missing, unknown or impossible."""


class DataError(ClassifierError):
    """Input data is missing, unreadable or does not have the expected fields."""


class ModelFileError(ClassifierError):
    """A model file is missing, corrupt, untrusted or not one of this project's models."""


class OutputError(ClassifierError):
    """An output file or folder cannot be written."""


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that cleanup code runs as for Ctrl-C.

    A BaseException, like KeyboardInterrupt: ``except Exception`` must not swallow it.
    """
