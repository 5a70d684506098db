"""The outputs of one `fazhi tag` run, written report by report and resumable.

A file output is written to ``PATH.partial`` and renamed onto ``PATH`` only
when the run completes, so ``PATH`` is never half-written. After each report
the partial files are flushed to disk and a line naming the report and the
partial files' sizes is appended to ``PATH.progress`` (``PATH`` being the
units output, else the summary output). An interrupted run therefore leaves
complete reports plus at most one torn report; ``--resume`` cuts the partial
files back to the last recorded sizes and skips the recorded reports. Resuming
after a run that finished reads the report names from ``PATH`` itself
(fazhi.output.readback) and appends to a copy of it. Standard output, symbolic
links and other non-regular files are written straight through
(fazhi.output.atomic) and cannot be resumed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fazhi.errors import ResumeError, WriteError
from fazhi.names import printable_name
from fazhi.output.atomic import PARTIAL_SUFFIX, destination, open_through, replace_regular, same_file
from fazhi.output.formats import format_skipped
from fazhi.output.readback import check_format, docs_in, drop_skipped

__all__ = ["PROGRESS_SUFFIX", "Target", "TagOutputs"]

PROGRESS_SUFFIX = ".progress"
_PROGRESS_VERSION = 1


@dataclass
class Target:
    """One output: a regular file (atomic, resumable) or a stream (written straight through)."""

    kind: str  # "units" or "summary"
    fmt: str
    path: Path | None = None
    stream: IO[str] | None = None
    header: str = ""  # written once at the top of a fresh file (the CSV header)
    _file: IO[str] | None = field(default=None, repr=False)
    _owns_stream: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, kind: str, fmt: str, dest: str | None, default: IO[str] | None, header: str = "") -> Target | None:
        """dest None → default stream (or nothing); '-' → stdout; a link, device or FIFO → written through
        as a stream; a regular file (or a new path) → an atomic, resumable file.

        Only a regular file is ever renamed over. A symbolic link is written
        through, never replaced: `--summary-output /dev/stdout` with stdout
        redirected to a file once made the atomic rename put a regular file
        where the machine's /dev/stdout link had been.
        """
        if dest is None:
            return cls(kind, fmt, stream=default, header=header) if default is not None else None
        if dest == "-":
            return cls(kind, fmt, stream=sys.stdout, header=header)
        p, through = destination(dest)
        if through:
            if same_file(p, sys.stdout):  # -o /dev/stdout: one handle per destination, the one stdout has
                return cls(kind, fmt, stream=sys.stdout, header=header)
            return cls(kind, fmt, stream=open_through(p, kind), header=header, _owns_stream=True)
        return cls(kind, fmt, path=p, header=header)

    @property
    def is_file(self) -> bool:
        return self.path is not None

    @property
    def partial(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + PARTIAL_SUFFIX)

    def size(self) -> int:
        assert self._file is not None
        self._file.flush()
        return self._file.buffer.tell() if hasattr(self._file, "buffer") else self._file.tell()

    @property
    def name(self) -> str:
        """The destination as the user named it, for messages (a non-UTF-8 name with its bytes as \\xNN)."""
        if self.path is not None:
            return printable_name(str(self.path))
        return printable_name(str(getattr(self.stream, "name", "standard output")))

    def _failed(self, exc: OSError) -> WriteError:
        return WriteError(f"cannot write {self.kind} to {self.name}: {exc.strerror or exc}")

    def write(self, text: str) -> None:
        f = self._file if self._file is not None else self.stream
        assert f is not None
        try:
            f.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from None

    def sync(self) -> None:
        try:
            if self._file is not None:
                self._file.flush()
                os.fsync(self._file.fileno())
            elif self.stream is not None:
                self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from None

    # -- the partial file of a file output ---------------------------------------
    def open_partial(self, fresh: bool) -> None:
        """Open PATH.partial: fresh, with the header at the top (a BOM before a CSV header, for spreadsheets),
        or to append to what an earlier run left there."""
        self._file = open(self.partial, "w" if fresh else "a", encoding="utf-8", newline="")
        if fresh and self.header:
            self.write(("\ufeff" if self.fmt == "csv" else "") + self.header)

    def close_partial(self) -> None:
        """Close the partial file, keeping what it holds (for --resume)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def complete(self) -> None:
        """Close the partial file and move it onto PATH."""
        assert self._file is not None and self.path is not None
        self.close_partial()
        replace_regular(self.partial, self.path)


class TagOutputs:
    """The outputs of one `fazhi tag` run, with per-report commits and resume.

    Use: ``outs = TagOutputs(units, summaries, resume)``; ``outs.done`` holds the
    reports an earlier run finished; ``outs.commit(doc, units_text, summary_text)``
    after each report; ``outs.finish()`` at the end (renames the files into
    place); ``outs.close()`` on interruption (keeps what is committed).
    """

    def __init__(self, units: Target | None, summary: Target | None, resume: bool = False) -> None:
        self.targets = [t for t in (units, summary) if t is not None]
        self.files = [t for t in self.targets if t.is_file]
        self.done: set[str] = set()
        self.progress_path: Path | None = None
        self._progress: IO[str] | None = None
        if resume and not self.files:
            raise ResumeError("--resume needs an output file (--output FILE or --summary-output FILE) to continue")
        with self._naming_failures():
            self._open(resume)

    @contextmanager
    def _naming_failures(self):
        """An OSError from opening, writing, syncing or renaming a file output becomes one line naming the output
        (not its .partial or .progress file), for exit 2; a broken pipe stays what it is."""
        try:
            yield
        except (BrokenPipeError, WriteError):
            raise
        except OSError as exc:
            where = str(exc.filename) if exc.filename else None
            target = next((t for t in self.files if where in (str(t.path), str(t.partial))), None)
            if target is None and where is not None and where.endswith(PROGRESS_SUFFIX):
                target = self.files[0] if self.files else None
            if target is not None:
                raise WriteError(f"cannot write {target.kind} to {target.name}: {exc.strerror or exc}") from None
            named = f" {printable_name(where)}" if where else ""
            raise WriteError(f"cannot write{named}: {exc.strerror or exc}") from None

    def _open(self, resume: bool) -> None:
        for t in self.targets:
            if t.stream is not None and t.header:
                t.stream.write(t.header)
        if not self.files:
            return
        primary = self.files[0].path
        assert primary is not None
        self.progress_path = primary.with_name(primary.name + PROGRESS_SUFFIX)
        if resume and self.progress_path.exists():
            self._resume_unfinished()
        elif resume and any(t.path.exists() for t in self.files):  # type: ignore[union-attr]
            self._resume_finished()
        else:
            self._start_fresh()

    # -- starting ----------------------------------------------------------
    def _layout(self) -> dict:
        return {t.kind: {"path": t.name, "format": t.fmt} for t in self.files}

    def _open_progress(self, mode: str) -> None:
        assert self.progress_path is not None
        self._progress = open(self.progress_path, mode, encoding="utf-8")

    def _record(self, entry: dict) -> None:
        assert self._progress is not None
        self._progress.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._progress.flush()
        os.fsync(self._progress.fileno())

    def _sizes(self) -> dict[str, int]:
        return {t.kind: t.size() for t in self.files}

    def _start_fresh(self) -> None:
        for t in self.files:
            t.open_partial(fresh=True)
            t.sync()
        self._open_progress("w")
        self._record({"fazhi_tag_progress": _PROGRESS_VERSION, "outputs": self._layout(), "sizes": self._sizes()})

    def _resume_unfinished(self) -> None:
        assert self.progress_path is not None
        entries = []
        with open(self.progress_path, encoding="utf-8") as f:
            for line in f:
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a torn last line: the report it names was not committed
        if not entries or entries[0].get("fazhi_tag_progress") != _PROGRESS_VERSION:
            raise ResumeError(
                f"{printable_name(str(self.progress_path))}: not a fazhi tag progress file; remove it to start over"
            )
        layout = entries[0].get("outputs", {})
        if layout != self._layout():
            raise ResumeError(
                f"{self.progress_path}: the unfinished run wrote {layout}; resume with the same --output, "
                f"--summary-output, --format and --summary, or run without --resume to start over"
            )
        sizes = entries[-1]["sizes"]
        for t in self.files:
            if not t.partial.exists() and t.path.exists():  # type: ignore[union-attr]
                os.replace(t.path, t.partial)  # type: ignore[arg-type]  # the run stopped between its final renames
            if not t.partial.exists():
                raise ResumeError(
                    f"{printable_name(str(t.partial))}: missing, cannot resume; run without --resume to start over"
                )
            with open(t.partial, "r+b") as f:
                f.truncate(sizes[t.kind])
            t.open_partial(fresh=False)
        self.done = {e["doc"] for e in entries[1:] if "doc" in e}
        # Rewrite the progress file without any torn tail.
        self._open_progress("w")
        for e in entries:
            self._record(e)

    def _resume_finished(self) -> None:
        docs: list[str] | None = None
        for t in self.files:
            assert t.path is not None
            if t.path.exists():
                check_format(t.path, t.kind, t.fmt, t.header, t.name)
                found = docs_in(t.path, t.kind, t.fmt)
                # A report found in any output is not tagged again: nothing repeats.
                docs = found if docs is None else docs + [d for d in found if d not in set(docs)]
                shutil.copyfile(t.path, t.partial)
                if t.kind == "summary":
                    drop_skipped(t.partial, t.fmt)  # this run lists its own skipped inputs at the end
                t.open_partial(fresh=False)
            else:
                t.open_partial(fresh=True)
        self._open_progress("w")
        self._record({"fazhi_tag_progress": _PROGRESS_VERSION, "outputs": self._layout(), "sizes": self._sizes()})
        for d in docs or []:
            self._record({"doc": d, "sizes": self._sizes()})
        self.done = set(docs or [])

    # -- running -----------------------------------------------------------
    def commit(self, doc: str, units_text: str | None, summary_text: str | None) -> None:
        """Write one finished report to every output and record it as done."""
        with self._naming_failures():
            self._commit(doc, units_text, summary_text)

    def _commit(self, doc: str, units_text: str | None, summary_text: str | None) -> None:
        for t in self.targets:
            text = units_text if t.kind == "units" else summary_text
            if text:
                t.write(text)
            t.sync()
        if self._progress is not None:
            self._record({"doc": doc, "sizes": self._sizes()})
        self.done.add(doc)

    def finish(self, skipped: Sequence[tuple[str, str]] = ()) -> None:
        """Close the summary output with the inputs that were skipped, as (name, reason), if any; move the
        finished files into place (atomic renames) and drop the progress file."""
        with self._naming_failures():
            self._finish(skipped)

    def _finish(self, skipped: Sequence[tuple[str, str]]) -> None:
        for t in self.targets:
            if t.kind == "summary" and skipped:
                t.write(format_skipped(skipped, t.fmt))
            t.sync()
        for t in self.files:
            t.complete()
        if self._progress is not None:
            self._progress.close()
            self._progress = None
            assert self.progress_path is not None
            self.progress_path.unlink(missing_ok=True)
        self._close_streams()

    def close(self) -> None:
        """Stop without finishing: committed reports stay in the partial files for --resume."""
        for t in self.files:
            t.close_partial()
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        for t in self.targets:
            if t.stream is not None:
                try:
                    t.stream.flush()
                except (OSError, ValueError):  # the error that stopped the run is the one reported
                    pass
        self._close_streams()

    def _close_streams(self) -> None:
        for t in self.targets:
            if t._owns_stream and t.stream is not None:
                try:
                    t.stream.close()
                except OSError:  # a device that refused the last bytes; a failed write reported it already
                    pass
                t.stream = None
