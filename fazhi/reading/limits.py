"""Limits on what one report may cost to read: its size on disk, what a .docx expands to, and how long a pipe
may stay silent.

Every reader gets the limit in bytes; a file over it is refused before it is parsed, with a message that names
the limit and the flag that raises it. Without limits a 678 KB zip-bomb .docx took 5.7 GB and nearly five
minutes to fail, and a .txt link to /dev/zero read until memory ran out.
"""

from __future__ import annotations

import io
import os
import select
import stat
import time
import zipfile
from pathlib import Path

from fazhi.errors import UnreadableFile, UsageError

__all__ = ["DEFAULT_MAX_FILE_MB", "MAX_FILE_FLAG", "PIPE_WAIT_S", "mb_to_bytes", "too_large", "read_limited",
           "check_zip_expansion"]

DEFAULT_MAX_FILE_MB = 50.0
MAX_FILE_FLAG = "--max-file-mb"
# How long a FIFO or pipe named as an input may stay silent (no writer, or a writer that sends nothing)
# before it is given up: a FIFO with no writer once hung a run forever, past an interrupt.
PIPE_WAIT_S = 30.0
_CHUNK = 1 << 20


def mb_to_bytes(mb: float) -> int:
    if not mb > 0:
        raise UsageError(f"expected {MAX_FILE_FLAG} above 0, found {mb:g}")
    return int(mb * 1024 * 1024)


def _mb(n: int) -> str:
    if n < 100 * 1024:
        return f"{n} bytes" if n < 10 * 1024 else f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB" if n < 10 * 1024 * 1024 else f"{n / (1024 * 1024):.0f} MB"


def too_large(name: str, what: str, limit: int) -> UnreadableFile:
    """The refusal of a report over the limit: what was found, the limit, and the flag that raises it."""
    return UnreadableFile(f"{name}: {what}, over the {_mb(limit)} limit on one report "
                          f"(raise it with {MAX_FILE_FLAG} if the file is a real report)")


def read_limited(path: Path, limit: int, wait_s: float | None = None) -> bytes:
    """The bytes of path, at most limit of them; a larger file is refused without being read whole.

    A regular file is refused on its size before a byte is read. Anything else (a FIFO, a pipe from
    `<(…)`, a device such as /dev/zero) is read without blocking: it is refused once it passes the limit,
    and given up when it stays silent for wait_s seconds (default PIPE_WAIT_S).
    """
    wait = PIPE_WAIT_S if wait_s is None else wait_s
    st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        if st.st_size > limit:
            raise too_large(str(path), f"the file is {_mb(st.st_size)}", limit)
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    else:
        raw = _read_stream(path, limit, wait)
    if len(raw) > limit:
        raise too_large(str(path), f"the file is more than {_mb(limit)}", limit)
    return raw


def _read_stream(path: Path, limit: int, wait: float) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    parts: list[bytes] = []
    size = 0
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        last = time.monotonic()
        while size <= limit:
            left = wait - (time.monotonic() - last)
            if left <= 0:
                raise UnreadableFile(f"{path}: nothing was written to it for {wait:g} s (a FIFO or pipe with no "
                                     "writer?); start the writer first")
            if not poller.poll(left * 1000):
                continue
            try:
                chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                # End of input, or (a FIFO nobody has opened yet) no writer: Linux reports neither as
                # readable until a writer has come, so an empty read here means the writer is done.
                break
            parts.append(chunk)
            size += len(chunk)
            last = time.monotonic()
    finally:
        os.close(fd)
    return b"".join(parts)


def check_zip_expansion(raw: bytes, name: str, limit: int) -> None:
    """Refuse a .docx (a ZIP package) whose parts would expand past limit, from the sizes its directory
    declares, before anything is decompressed. zipfile never returns more than a member's declared size, so
    a directory that lies makes the reader fail on its checksum, not run out of memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            total = sum(info.file_size for info in z.infolist())
            count = len(z.infolist())
    except zipfile.BadZipFile:
        return  # the reader says it is damaged
    if total > limit:
        raise too_large(name, f"its {count} parts expand to {_mb(total)}", limit)
