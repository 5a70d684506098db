"""Writing `fazhi tag` results: formats, atomic output files and resumable runs.

Formats
- per-sentence units as JSON Lines (one object per unit) or CSV (one column
  per field; ``scores`` becomes one ``scores.<label>`` column per label);
- per-report summaries as JSON Lines (one object per report) or Markdown;
  when some inputs were not tagged, the summary output ends with them and
  their reasons (JSON: one ``{"skipped": name, "reason": why}`` line each;
  Markdown: a closing ``# Skipped files`` section). A resumed run lists the
  inputs skipped this time, at the end again.

Files
A file output is written to ``PATH.partial`` and renamed onto ``PATH`` only
when the run completes, so ``PATH`` is never half-written. After each report
the partial files are flushed to disk and a line naming the report and the
partial files' sizes is appended to ``PATH.progress`` (``PATH`` being the
units output, else the summary output). An interrupted run therefore leaves
complete reports plus at most one torn report; ``--resume`` cuts the partial
files back to the last recorded sizes and skips the recorded reports. Resuming
after a run that finished reads the report names from ``PATH`` itself and
appends to a copy of it. Standard output, symbolic links (``/dev/stdout``
among them) and other non-regular files (a pipe, /dev/null) are written
straight through, never renamed over, and cannot be resumed.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fazhi.errors import ResumeError, WriteError
from fazhi.names import printable_name
from fazhi.output.review_markdown import review_markdown
from fazhi.pipeline.aggregate import md_name, md_text, summary_markdown
from fazhi.schema import BOOL_FIELDS, UNIT_FIELDS

__all__ = [
    "UNIT_FORMATS",
    "SUMMARY_FORMATS",
    "ResumeError",
    "Target",
    "TagOutputs",
    "csv_header",
    "format_units",
    "format_summary",
    "format_skipped",
    "WriteError",
    "write_output",
]

UNIT_FORMATS = ("jsonl", "csv")
SUMMARY_FORMATS = ("json", "md", "short")
PARTIAL_SUFFIX = ".partial"
PROGRESS_SUFFIX = ".progress"
_PROGRESS_VERSION = 1


# --- formatting -------------------------------------------------------------
def csv_header(labels: Iterable[str]) -> list[str]:
    cols: list[str] = []
    for f in UNIT_FIELDS:
        cols.extend(f"scores.{label}" for label in labels) if f == "scores" else cols.append(f)
    return cols


def _csv_line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def format_units(rows: Sequence[Mapping], fmt: str, labels: Iterable[str]) -> str:
    """The text for a report's unit rows in fmt ('jsonl' or 'csv', no header)."""
    if fmt == "jsonl":
        return "".join(json.dumps({k: row[k] for k in UNIT_FIELDS}, ensure_ascii=False) + "\n" for row in rows)
    if fmt == "csv":
        labels = list(labels)
        out = []
        for row in rows:
            values: list = []
            for f in UNIT_FIELDS:
                if f == "scores":
                    values.extend(row["scores"][label] for label in labels)
                elif f in BOOL_FIELDS:
                    values.append("true" if row[f] else "false")
                else:
                    values.append(row[f])
            out.append(_csv_line(values))
        return "".join(out)
    raise ValueError(f"expected a unit format among {', '.join(UNIT_FORMATS)}, found {fmt!r}")


def format_summary(summary: dict, fmt: str) -> str:
    """The text for one report summary in fmt ('json': one line; 'md': a Markdown section; 'short': a few Markdown lines)."""
    if fmt == "json":
        return json.dumps(summary, ensure_ascii=False) + "\n"
    if fmt in ("md", "short"):
        review = [] if fmt == "short" else review_markdown(summary)  # issue 20's outline, figures, shared text
        return summary_markdown(summary, short=fmt == "short") + ("\n".join(review) + "\n" if review else "") + "\n"
    raise ValueError(f"expected a summary format among {', '.join(SUMMARY_FORMATS)}, found {fmt!r}")


SKIPPED_HEADING = "# Skipped files"


def format_skipped(skipped: Sequence[tuple[str, str]], fmt: str) -> str:
    """The closing part of the summary output: each input that was not tagged, as (name, reason), in fmt."""
    def reason(doc: str, why: str) -> str:
        return why[len(doc) + 2:] if why.startswith(doc + ": ") else why

    if fmt == "json":
        return "".join(json.dumps({"skipped": doc, "reason": reason(doc, why)}, ensure_ascii=False) + "\n" for doc, why in skipped)
    if fmt in ("md", "short"):
        lines = [SKIPPED_HEADING, "", f"{len(skipped)} input{'s were' if len(skipped) != 1 else ' was'} not tagged:", ""]
        lines += [f"- `{md_text(doc)}`: {reason(doc, why)}" for doc, why in skipped]
        return "\n".join(lines) + "\n\n"
    raise ValueError(f"expected a summary format among {', '.join(SUMMARY_FORMATS)}, found {fmt!r}")


# --- reading finished outputs back (for --resume) ---------------------------
_MD_DOC = re.compile(r"^# (.+)$")


def _docs_in(path: Path, kind: str, fmt: str) -> list[str]:
    """Report names found in a finished output file, in order of first appearance."""
    seen: dict[str, None] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        if kind == "units" and fmt == "csv":
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return []
            if not header or header[0] != "doc":
                raise ResumeError(f"{printable_name(str(path))}: expected a CSV file of fazhi tag units (first column 'doc'), found {header[:3]}")
            for row in reader:
                if row:
                    seen.setdefault(row[0], None)
        elif fmt in ("jsonl", "json"):
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    if kind == "summary" and "skipped" in entry:  # an input the run could not tag
                        continue
                    seen.setdefault(entry["doc"], None)
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise ResumeError(f"{printable_name(str(path))}:{n}: expected a JSON object with 'doc' per line (is the file in another format?)") from None
        else:  # Markdown summaries: each report's section starts with "# doc"; the skipped inputs come last
            for line in f:
                if line.rstrip("\n") == SKIPPED_HEADING:
                    break
                m = _MD_DOC.match(line.rstrip("\n"))
                if m:
                    seen.setdefault(md_name(m.group(1)), None)
    return list(seen)


def _drop_skipped(path: Path, fmt: str) -> None:
    """Remove the skipped-inputs part from a copy of a finished summary file, before reports are appended."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if fmt == "json":
        kept = [line for line in lines if not (line.startswith('{"skipped"') and "skipped" in json.loads(line))]
    else:
        ends = [i for i, line in enumerate(lines) if line.rstrip("\n") == SKIPPED_HEADING]
        kept = lines[: ends[0]] if ends else lines
    path.write_text("".join(kept), encoding="utf-8")


def _same_file(p: Path, stream: IO[str]) -> bool:
    """True when p is the file stream writes to (/dev/stdout, /proc/self/fd/1, or the file stdout is redirected to)."""
    try:
        a, b = os.stat(p), os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _replace_regular(src: Path, dst: Path) -> None:
    """Rename src onto dst, unless dst has become a link or a non-regular file since the run began:
    then copy through it, so that nothing but a regular file is ever renamed over."""
    if dst.is_symlink() or (dst.exists() and not stat.S_ISREG(dst.stat().st_mode)):
        with open(src, "rb") as f, open(dst, "wb") as out:
            shutil.copyfileobj(f, out)
        src.unlink()
        return
    os.replace(src, dst)


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
    p = Path(dest)
    if p.is_dir():
        raise WriteError(f"expected an output file, found a directory: {p}")
    if p.is_symlink() or (p.exists() and not stat.S_ISREG(p.stat().st_mode)):
        with open(p, "wb") as f:
            f.write(raw)
        return
    if not p.parent.is_dir():
        raise FileNotFoundError(f"the folder for output {p} does not exist")
    path = p.parent.resolve() / p.name
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        with open(partial, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        _replace_regular(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# --- output targets -----------------------------------------------------------
# How long a FIFO given as an output waits for a reader before the run gives up.
FIFO_WAIT_S = 10.0


def _open_through(p: Path, kind: str) -> IO[str]:
    """Open a link, device or FIFO for writing, straight through (never renamed over).

    A FIFO with no reader would block the open forever: it is opened without
    blocking, retried for FIFO_WAIT_S with a message, then refused.
    """
    import time

    target = p.resolve()
    if target.exists() and stat.S_ISFIFO(target.stat().st_mode):
        deadline = time.monotonic() + FIFO_WAIT_S
        told = False
        while True:
            try:
                fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise WriteError(f"cannot write {kind} to {p}: {exc.strerror or exc}") from None
                if time.monotonic() >= deadline:
                    raise WriteError(f"cannot write {kind} to {p}: a FIFO with no reader for {FIFO_WAIT_S:g} s "
                                     "(start the reader first, e.g. `cat FIFO`)") from None
                if not told:
                    print(f"fazhi: waiting up to {FIFO_WAIT_S:g} s for a reader on the FIFO {p}", file=sys.stderr, flush=True)
                    told = True
                time.sleep(0.1)
        os.set_blocking(fd, True)
        return open(fd, "w", encoding="utf-8")
    try:
        return open(p, "w", encoding="utf-8")
    except OSError as exc:
        raise WriteError(f"cannot write {kind} to {p}: {exc.strerror or exc}") from None


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
        p = Path(dest)
        if p.is_dir():
            raise WriteError(f"expected an output file, found a directory: {p}")
        if p.is_symlink() or (p.exists() and not stat.S_ISREG(p.stat().st_mode)):
            if _same_file(p, sys.stdout):  # -o /dev/stdout: one handle per destination, the one stdout has
                return cls(kind, fmt, stream=sys.stdout, header=header)
            return cls(kind, fmt, stream=_open_through(p, kind), header=header, _owns_stream=True)
        if not p.parent.is_dir():
            raise FileNotFoundError(f"the folder for output {p} does not exist")
        # A folder on the way may be a link: the partial file and the rename live beside the real path.
        return cls(kind, fmt, path=p.parent.resolve() / p.name, header=header)

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
            t._file = open(t.partial, "w", encoding="utf-8", newline="")
            if t.header:
                t.write(("\ufeff" if t.fmt == "csv" else "") + t.header)
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
            raise ResumeError(f"{printable_name(str(self.progress_path))}: not a fazhi tag progress file; remove it to start over")
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
                raise ResumeError(f"{printable_name(str(t.partial))}: missing, cannot resume; run without --resume to start over")
            with open(t.partial, "r+b") as f:
                f.truncate(sizes[t.kind])
            t._file = open(t.partial, "a", encoding="utf-8", newline="")
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
                self._check_format(t)
                found = _docs_in(t.path, t.kind, t.fmt)
                # A report found in any output is not tagged again: nothing repeats.
                docs = found if docs is None else docs + [d for d in found if d not in set(docs)]
                shutil.copyfile(t.path, t.partial)
                if t.kind == "summary":
                    _drop_skipped(t.partial, t.fmt)  # this run lists its own skipped inputs at the end
                t._file = open(t.partial, "a", encoding="utf-8", newline="")
            else:
                t._file = open(t.partial, "w", encoding="utf-8", newline="")
                if t.header:
                    t.write(("\ufeff" if t.fmt == "csv" else "") + t.header)
        self._open_progress("w")
        self._record({"fazhi_tag_progress": _PROGRESS_VERSION, "outputs": self._layout(), "sizes": self._sizes()})
        for d in docs or []:
            self._record({"doc": d, "sizes": self._sizes()})
        self.done = set(docs or [])

    @staticmethod
    def _check_format(t: Target) -> None:
        assert t.path is not None
        with open(t.path, encoding="utf-8-sig") as f:
            head = f.read(4096)
        if not head.strip():
            return
        if t.kind == "units":
            found = "jsonl" if head.lstrip().startswith("{") else "csv"
            if found == "csv" and t.header and head.splitlines()[0] != t.header.rstrip("\n"):
                raise ResumeError(f"{t.name}: its CSV columns differ from this run's ({t.header.strip()[:60]}…); cannot resume")
        else:
            found = "json" if head.lstrip().startswith("{") else "md"
        if found != ("md" if t.fmt == "short" else t.fmt):
            raise ResumeError(f"{t.name}: holds {found} {t.kind}, but this run writes {t.fmt}; resume with the same format")

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
            assert t._file is not None and t.path is not None
            t._file.close()
            t._file = None
            _replace_regular(t.partial, t.path)
        if self._progress is not None:
            self._progress.close()
            self._progress = None
            assert self.progress_path is not None
            self.progress_path.unlink(missing_ok=True)
        self._close_streams()

    def close(self) -> None:
        """Stop without finishing: committed reports stay in the partial files for --resume."""
        for t in self.files:
            if t._file is not None:
                t._file.close()
                t._file = None
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
