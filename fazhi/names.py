"""File names as fazhi writes them: a name that is not valid UTF-8 still goes into every output and message."""

from __future__ import annotations

__all__ = ["printable_name"]


def printable_name(name: str) -> str:
    """name with the bytes of a non-UTF-8 file name (lone surrogates) written as \\xNN, so it encodes as UTF-8."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
