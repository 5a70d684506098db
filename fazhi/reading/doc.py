"""Old binary Word .doc reports (and WPS Office .wps files saved in the same Word 97 format): read by antiword,
or catdoc where antiword is missing (Debian packages antiword, catdoc).

antiword -w 0 prints one paragraph per line (no wrapping) and table rows with their cells split by '|'. On a
.doc LibreOffice saved from a .docx of our text (tests/data/formats/) antiword gave the .docx's 57 units exactly;
catdoc gave 52, four paragraphs partly as mojibake and the page footer as text: antiword first, catdoc only
where antiword is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from fazhi.errors import UnreadableFile
from fazhi.reading.tables import is_figure, table_lines

INSTALL_HINT = "apt-get install antiword (or catdoc), or save it as .docx"
TIMEOUT_S = 120
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _commands(path: str) -> list[list[str]]:
    cmds = []
    if shutil.which("antiword"):
        cmds.append(["antiword", "-m", "UTF-8.txt", "-w", "0", path])
    if shutil.which("catdoc"):
        cmds.append(["catdoc", "-d", "utf-8", "-w", path])
    return cmds


def doc_to_text(raw: bytes, name: str = "<doc>", kind: str = ".doc") -> str:
    """The paragraphs of a Word 97 document, one per line. kind names the file type in messages ('.doc', '.wps')."""
    what = "a WPS document" if kind == ".wps" else "an old binary Word .doc file"
    if not raw.startswith(_OLE):
        raise UnreadableFile(f"{name}: {what} is expected to be an OLE compound file (Word 97 format), found other bytes; "
                             "save it as .docx")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.doc")
        with open(path, "wb") as f:
            f.write(raw)
        cmds = _commands(path)
        if not cmds:
            raise UnreadableFile(f"{name}: {what} needs antiword or catdoc to be read, and neither is installed ({INSTALL_HINT})")
        errors = []
        for cmd in cmds:
            try:
                out = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
            except (OSError, subprocess.SubprocessError) as exc:
                errors.append(f"{cmd[0]}: {exc}")
                continue
            text = out.stdout.decode("utf-8", "replace")
            if out.returncode == 0 and text.strip():
                return _paragraphs(text)
            msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
            errors.append(f"{cmd[0]}: {msg[-1] if msg else f'exit {out.returncode}'}")
    raise UnreadableFile(f"{name}: {what} that {' and '.join(c[0] for c in cmds)} cannot read ({'; '.join(errors)}); save it as .docx")


_CELL_BAR = re.compile(r"^\|(.*)\|$")


def _fill_merged(rows: list[list[str]]) -> list[list[str]]:
    """antiword leaves a cell merged down its rows empty below its first row; the .docx reader repeats it. An
    empty label cell (left of every figure in its row) takes the label above it, as the .docx gives it."""
    out: list[list[str]] = []
    for row in rows:
        row = list(row)
        if out:
            above = out[-1]
            for j, cell in enumerate(row):
                if any(is_figure(c) for c in row[:j]):
                    break
                if not cell and j < len(above) and above[j] and not is_figure(above[j]):
                    row[j] = above[j]
        out.append(row)
    return out


def _paragraphs(text: str) -> str:
    """One paragraph a line; a run of antiword's table rows (|cell|cell|) read as the .docx reader reads a table:
    figures after their column headers (fazhi.reading.tables)."""
    lines: list[str] = []
    rows: list[list[str]] = []

    def end_table() -> None:
        if rows:
            lines.extend(table_lines(_fill_merged(rows)))
            rows.clear()

    for line in text.replace("\r", "\n").replace("\f", "\n").splitlines():
        line = line.strip()
        if not line:
            continue  # antiword prints a blank line inside a table too; a table ends at the next paragraph
        m = _CELL_BAR.match(line)
        if m:
            rows.append([c.strip() for c in m.group(1).split("|")])
            continue
        end_table()
        lines.append(line)
    end_table()
    return "\n".join(lines) + "\n"
