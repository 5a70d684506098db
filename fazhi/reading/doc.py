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


def _paragraphs(text: str) -> str:
    lines = []
    for line in text.replace("\r", "\n").replace("\f", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        m = _CELL_BAR.match(line)
        if m:  # antiword's table row: |cell|cell|, read as the .docx reader reads rows
            cells = [c.strip() for c in m.group(1).split("|") if c.strip()]
            line = " ".join(cells)
        lines.append(line)
    return "\n".join(lines) + "\n"
