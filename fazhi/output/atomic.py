"""Where an output goes, and writing it so that it is never half-written.

A regular file (or a new path) is written to ``PATH.partial`` and renamed onto ``PATH`` when complete. Standard
output, symbolic links (``/dev/stdout`` among them) and other non-regular files (a pipe, /dev/null, a FIFO) are
written straight through, never renamed over. `destination` is the one check of a destination; `write_output`
(a whole output at once) and fazhi.output.targets (a run's outputs, report by report) both go through it.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import time
from pathlib import Path
from typing import IO

from fazhi.errors import WriteError
from fazhi.names import printable_name

__all__ = [
    "PARTIAL_SUFFIX",
    "FIFO_WAIT_S",
    "destination",
    "same_file",
    "replace_regular",
    "open_through",
    "write_output",
]

PARTIAL_SUFFIX = ".partial"
# How long a FIFO given as an output waits for a reader before the run gives up.
FIFO_WAIT_S = 10.0


def destination(dest: str) -> tuple[Path, bool]:
    """(path, through) for an output path: through is True for a link, a device or a FIFO, written straight
    through at the path as given; else path is the regular file (or new path) beside its folder's real path,
    where the partial file and the rename live (a folder on the way may be a link).

    Raises WriteError for a directory and FileNotFoundError when the folder does not exist.
    """
    p = Path(dest)
    if p.is_dir():
        raise WriteError(f"expected an output file, found a directory: {p}")
    if p.is_symlink() or (p.exists() and not stat.S_ISREG(p.stat().st_mode)):
        return p, True
    if not p.parent.is_dir():
        raise FileNotFoundError(f"the folder for output {p} does not exist")
    return p.parent.resolve() / p.name, False


def same_file(p: Path, stream: IO[str]) -> bool:
    """True when p is the file stream writes to (/dev/stdout, /proc/self/fd/1, or the file stdout is redirected to)."""
    try:
        a, b = os.stat(p), os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def replace_regular(src: Path, dst: Path) -> None:
    """Rename src onto dst, unless dst has become a link or a non-regular file since the run began:
    then copy through it, so that nothing but a regular file is ever renamed over."""
    if dst.is_symlink() or (dst.exists() and not stat.S_ISREG(dst.stat().st_mode)):
        with open(src, "rb") as f, open(dst, "wb") as out:
            shutil.copyfileobj(f, out)
        src.unlink()
        return
    os.replace(src, dst)


def _open_fifo(target: Path, p: Path, kind: str) -> int:
    """A FIFO with no reader would block the open forever: it is opened without blocking, retried for
    FIFO_WAIT_S with a message, then refused."""
    deadline = time.monotonic() + FIFO_WAIT_S
    told = False
    while True:
        try:
            return os.open(target, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise WriteError(f"cannot write {kind} to {p}: {exc.strerror or exc}") from None
            if time.monotonic() >= deadline:
                raise WriteError(
                    f"cannot write {kind} to {p}: a FIFO with no reader for {FIFO_WAIT_S:g} s "
                    "(start the reader first, e.g. `cat FIFO`)"
                ) from None
            if not told:
                print(
                    f"fazhi: waiting up to {FIFO_WAIT_S:g} s for a reader on the FIFO {p}", file=sys.stderr, flush=True
                )
                told = True
            time.sleep(0.1)


def open_through(p: Path, kind: str) -> IO[str]:
    """Open a link, device or FIFO for writing, straight through (never renamed over)."""
    target = p.resolve()
    if target.exists() and stat.S_ISFIFO(target.stat().st_mode):
        fd = _open_fifo(target, p, kind)
        os.set_blocking(fd, True)
        return open(fd, "w", encoding="utf-8")
    try:
        return open(p, "w", encoding="utf-8")
    except OSError as exc:
        raise WriteError(f"cannot write {kind} to {p}: {exc.strerror or exc}") from None


def write_output(dest: str, data: str | bytes) -> None:
    """Write a whole output at once (a report page, a CSV, a PNG, a task file).

    '-' is standard output; a link, a device or a FIFO is written through;
    a regular file (or a new path) is written to PATH.partial and renamed onto
    PATH, so PATH is never half-written and an existing file survives a failure.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        _write_whole(dest, raw)
    except OSError as exc:  # a full disk, a read-only folder, a device that refuses: one line naming the file
        raise WriteError(f"cannot write {printable_name(dest)}: {exc.strerror or exc}") from None


def _write_whole(dest: str, raw: bytes) -> None:
    if dest == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    path, through = destination(dest)
    if through:
        with open(path, "wb") as f:
            f.write(raw)
        return
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        with open(partial, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        replace_regular(partial, path)
    finally:
        partial.unlink(missing_ok=True)
