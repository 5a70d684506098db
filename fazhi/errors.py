"""The errors fazhi raises for what a user gave it, with the exit code the command line maps each to.

`fazhi.cli.main` turns a `FazhiError` into one line on stderr and its `exit_code`; anything else is a bug and
keeps its traceback. Each subclass also derives from ValueError, so callers that caught ValueError keep working.
"""

from __future__ import annotations

__all__ = [
    "FazhiError",
    "UsageError",
    "UnreadableFile",
    "LabelDataError",
    "ResumeError",
    "WriteError",
    "ModelLoadError",
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "EXIT_MODEL",
    "EXIT_INTERRUPTED",
]

EXIT_OK = 0
EXIT_FAILED = 1  # some input could not be processed; the rest was
EXIT_USAGE = 2  # bad arguments or input: nothing was done
EXIT_MODEL = 3  # the model could not be loaded, or answered wrongly
EXIT_INTERRUPTED = 130


class FazhiError(Exception):
    """An error in what the user gave fazhi; the message says what was expected and what was found."""

    exit_code = EXIT_USAGE


class UsageError(FazhiError, ValueError):
    """Arguments that cannot work together, or a value out of range."""


class UnreadableFile(FazhiError, ValueError):
    """A report file that cannot be turned into text; the message says why."""


class LabelDataError(FazhiError, ValueError):
    """Labelled data that does not follow the row schema."""


class ResumeError(FazhiError, ValueError):
    """--resume against output that this run cannot continue."""


class WriteError(FazhiError, ValueError):
    """An output that cannot be written (a directory, a device, a full disk…)."""


class ModelLoadError(FazhiError):
    """A model directory that cannot be loaded, or whose model fails its load-time check."""

    exit_code = EXIT_MODEL
