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
        raise UnreadableFile(
            f"{name}: {what} is expected to be an OLE compound file (Word 97 format), found other bytes; "
            "save it as .docx"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.doc")
        with open(path, "wb") as f:
            f.write(raw)
        cmds = _commands(path)
        if not cmds:
            raise UnreadableFile(
                f"{name}: {what} needs antiword or catdoc to be read, and neither is installed ({INSTALL_HINT})"
            )
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
    raise UnreadableFile(
        f"{name}: {what} that {' and '.join(c[0] for c in cmds)} cannot read ({'; '.join(errors)}); save it as .docx"
    )


_CELL_BAR = re.compile(r"^\|(.*)\|$")
# A table too wide for antiword's line comes as one line: cells ended by " |", rows by " | |", and the paragraph
# after the table glued on ("项目 |数量 |数量2 | |规章 |0 |0 | |三、本年度办理结果").
_WIDE_ROW_END = " | |"


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


def _new_header(row: list[str], above: list[str]) -> bool:
    """Two tables with no paragraph between them come from antiword as one: a row of labels only, every cell
    filled, below a row of figures is the next table's header row."""
    return all(c and not is_figure(c) for c in row) and any(is_figure(c) for c in above)


def _continues(cells: list[str], above: list[str]) -> bool:
    """antiword wraps a cell too long for its column onto a row of its own, the other cells empty: a row whose
    text stands only under cells of the row above that filled their columns (the padding gone) goes on them."""
    filled = [bool(a.strip()) and len(a) - len(a.rstrip()) <= 1 for a in above]
    return len(cells) == len(above) and any(cells) and all(not c or f for c, f in zip(cells, filled, strict=True))


def _paragraphs(text: str) -> str:
    """One paragraph a line; a run of antiword's table rows (|cell|cell|) read as the .docx reader reads a table:
    figures after their column headers (fazhi.reading.tables)."""
    lines: list[str] = []
    rows: list[list[str]] = []
    last_raw: list[str] = []

    def end_table() -> None:
        start = 0
        for k in range(1, len(rows) + 1):
            if k == len(rows) or _new_header(rows[k], rows[k - 1]):
                lines.extend(table_lines(_fill_merged(rows[start:k])))
                start = k
        rows.clear()

    for line in text.replace("\r", "\n").replace("\f", "\n").splitlines():
        line = line.strip()
        if not line:
            continue  # antiword prints a blank line inside a table too; a table ends at the next paragraph
        m = _CELL_BAR.match(line)
        if m:
            raw = m.group(1).split("|")
            cells = [c.strip() for c in raw]
            if rows and _continues(cells, last_raw):
                rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=False)] + rows[-1][len(cells) :]
            else:
                rows.append(cells)
            last_raw = raw
            continue
        if _WIDE_ROW_END in line:
            *table, after = line.split(_WIDE_ROW_END)
            rows.extend([c.strip() for c in row.split("|")] for row in table)
            if "|" in after:
                rows.append([c.strip() for c in after.split("|")])
                continue
            end_table()
            if after.strip():
                lines.append(after.strip())
            continue
        end_table()
        lines.append(line)
    end_table()
    return "\n".join(lines) + "\n"
