"""Hostile files and careless writes against `fazhi tag` (issue 17 items 9–14): time, peak memory, outcome.

Each case builds its file in a temporary folder and runs `python -m fazhi tag` on it in a child process with
a time limit; the child's peak resident memory comes from wait4(), so nothing is sampled and nothing leaves
the machine (no network, no loopback). Targets: every hostile file refused or read within 10 s and 1 GB, and
no run that hangs.

    .venv/bin/python benchmarks/hostile.py            # every case, a Markdown table on stdout
    .venv/bin/python benchmarks/hostile.py --only docx # the cases whose name holds 'docx'
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAZHI = [sys.executable, "-m", "fazhi", "tag", "--no-progress"]
LIMIT_S = 60.0  # a run still going after this is killed and counted as a hang
TARGET_S, TARGET_MB = 10.0, 1024
SENTENCE = "全面推行行政执法公示制度，严格落实重大执法决定法制审核制度。"
MB = 1024 * 1024


@dataclass
class Case:
    name: str
    build: Callable[[Path], list[str]]  # → the arguments after `fazhi tag`
    env: dict[str, str] | None = None
    # A case that waits for the other end of a FIFO by design (announced at once, then given up): its target
    # is this wait plus TARGET_S.
    waits_s: float = 0.0


def _html(path: Path, inner: str) -> list[str]:
    path.write_text(f"<html><body>{inner}</body></html>", encoding="utf-8")
    return [str(path), "-o", str(path.with_suffix(".jsonl"))]


def nested(tag: str, n: int, close: bool = True) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        inner = f"<{tag}>" * n + f"<p>{SENTENCE}</p>" + (f"</{tag}>" * n if close else "")
        return _html(d / f"nested_{tag}.html", inner)

    return build


def nested_tables(n: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        return _html(d / "tables.html", "<table><tr><td>" * n + SENTENCE + "</td></tr></table>" * n)

    return build


def _write_docx(path: Path, document_xml_chunks) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
            'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
            'main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            for chunk in document_xml_chunks:
                f.write(chunk)


def docx_bomb(expand_mb: int, varied: bool = False) -> Callable[[Path], list[str]]:
    """A .docx whose document.xml expands to expand_mb (valid XML); varied: less compressible (a larger file)."""

    def build(d: Path) -> list[str]:
        head = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
            b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        )

        def chunks():
            yield head
            para = f"<w:p><w:r><w:t>{SENTENCE}</w:t></w:r></w:p>".encode()
            block = para * (MB // len(para))
            for k in range(expand_mb):
                yield block if not varied else block.replace(b"<w:t>", f"<w:t>{k:07d}".encode(), 200)
            yield b"</w:body></w:document>"

        path = d / f"bomb_{expand_mb}mb.docx"
        _write_docx(path, chunks())
        return [str(path), "-o", str(d / "out.jsonl")]

    return build


def big_text(mb: int, per_line: int = 1) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        path = d / f"big_{mb}mb.txt"
        line = ((SENTENCE + "\n") if per_line == 1 else "。".join(["执法公示"] * per_line) + "。\n").encode()
        with open(path, "wb") as f:
            block = line * (MB // len(line))
            for _ in range(mb):
                f.write(block)
        return [str(path), "-o", str(d / "out.jsonl")]

    return build


def big_html(mb: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        para = f"<p>{SENTENCE}</p>\n"
        return _html(d / f"big_{mb}mb.html", para * (mb * MB // len(para.encode())))

    return build


def many_sentences(n: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        path = d / "sentences.txt"
        path.write_text("。".join(["依法行政"] * n) + "。\n", encoding="utf-8")
        return [str(path), "-o", str(d / "out.jsonl")]

    return build


def pdf_bomb(expand_mb: int) -> Callable[[Path], list[str]]:
    """A one-page PDF whose content stream inflates to expand_mb of text-drawing operators."""

    def build(d: Path) -> list[str]:
        import zlib

        op = b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n"
        z = zlib.compressobj(1)
        data = b"".join(z.compress(op * (MB // len(op))) for _ in range(expand_mb)) + z.flush()
        objs = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 "
            b"R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        out = io.BytesIO()
        out.write(b"%PDF-1.4\n")
        offsets = []
        for i, body in enumerate(objs, 1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
        for off in offsets:
            out.write(b"%010d 00000 n \n" % off)
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
        path = d / f"pdf_bomb_{expand_mb}mb.pdf"
        path.write_bytes(out.getvalue())
        return [str(path), "-o", str(d / "out.jsonl")]

    return build


def many_pages(n: int) -> Callable[[Path], list[str]]:
    """A PDF of n pages with one short line each (drawn in Helvetica: ASCII, so nothing needs a CJK font)."""

    def build(d: Path) -> list[str]:
        from reportlab.pdfgen import canvas

        path = d / f"pages_{n}.pdf"
        c = canvas.Canvas(str(path))
        for k in range(n):
            c.drawString(72, 720, f"Page {k}: the rule of law.")
            c.showPage()
        c.save()
        return [str(path), "-o", str(d / "out.jsonl")]

    return build


def folder_with(kind: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        folder = d / "in"
        folder.mkdir()
        (folder / "a.txt").write_text(SENTENCE + "\n", encoding="utf-8")
        if kind == "fifo":
            os.mkfifo(folder / "x.txt")
        else:
            os.symlink("/dev/zero", folder / "zero.txt")
        return [str(folder), "-o", str(d / "out.jsonl")]

    return build


def explicit(kind: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        path = d / "x.txt"
        if kind == "fifo":
            os.mkfifo(path)
        else:
            os.symlink("/dev/zero", path)
        return [str(path), "-o", str(d / "out.jsonl")]

    return build


def lying_charset(d: Path) -> list[str]:
    path = d / "lying.html"
    path.write_bytes(
        f'<html><head><meta charset="iso-8859-1"></head><body><p>{SENTENCE}</p></body></html>'.encode("gbk")
    )
    return [str(path), "-o", str(d / "out.jsonl")]


def no_text_pdf(d: Path) -> list[str]:
    path = d / "glyphs.txt"  # what a PDF whose fonts map to no Unicode gives
    path.write_text("\ue000\ue001\ue002\n" * 50, encoding="utf-8")
    return [str(path), "-o", str(d / "out.jsonl")]


def _report(d: Path) -> Path:
    path = d / "r.txt"
    path.write_text((SENTENCE + "\n") * 50, encoding="utf-8")
    return path


def output_to(dest: str) -> Callable[[Path], list[str]]:
    return lambda d: [str(_report(d)), "-o", dest]


def output_fifo(d: Path) -> list[str]:
    os.mkfifo(d / "out.fifo")
    return [str(_report(d)), "-o", str(d / "out.fifo")]


def non_utf8_name(d: Path) -> list[str]:
    src = Path(os.fsdecode(bytes(d) + b"/r\xff.txt"))
    src.write_text((SENTENCE + "\n") * 5, encoding="utf-8")
    return [str(d), "-o", os.fsdecode(bytes(d) + b"/u\xfe.jsonl")]


def newline_name(d: Path) -> list[str]:
    folder = d / "in"
    folder.mkdir()
    (folder / "a\n# injected.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    return [str(folder), "-o", str(d / "u.jsonl"), "--summary-output", str(d / "s.md"), "--summary", "md"]


def onto_input(d: Path) -> list[str]:
    path = _report(d)
    return [str(path), "-o", str(path)]


def one_sentence(d: Path) -> list[str]:
    path = d / "one.txt"
    path.write_text(SENTENCE + "\n", encoding="utf-8")
    return [str(path), "-o", str(d / "out.jsonl")]


CASES = [
    Case("one-sentence report (the cost of starting fazhi and loading the model)", one_sentence),
    Case("100,000 nested <div>", nested("div", 100_000)),
    Case("100,000 nested <b>", nested("b", 100_000)),
    Case("100,000 unclosed <div>", nested("div", 100_000, close=False)),
    Case("20,000 nested tables", nested_tables(20_000)),
    Case("zip-bomb .docx expanding to 1 GB", docx_bomb(1024)),
    Case(".docx expanding to 300 MB, less compressible", docx_bomb(300, varied=True)),
    Case(".docx expanding to 45 MB (under the limit)", docx_bomb(45)),
    Case("PDF whose page stream inflates to 500 MB", pdf_bomb(500)),
    Case("PDF of 20,000 pages", many_pages(20_000)),
    Case("200 MB .txt", big_text(200)),
    Case("49 MB .txt", big_text(49)),
    Case("49 MB HTML", big_html(49)),
    Case(
        "HTML of 250,000 tags (within the budget of 50 MB)",
        lambda d: _html(d / "tags.html", "<p>" + f"<span>{SENTENCE[:4]}</span>" * 125_000 + "</p>"),
    ),
    Case("6 MB of 1 M sentences on one line", many_sentences(1_000_000)),
    Case("50,000 sentences (within the budget of 50 MB)", many_sentences(50_000)),
    Case("folder with a FIFO named x.txt", folder_with("fifo")),
    Case("folder with x.txt → /dev/zero", folder_with("zero")),
    Case("x.txt → /dev/zero named", explicit("zero")),
    Case("FIFO named, no writer", explicit("fifo"), waits_s=10.0),
    Case("HTML whose charset lies", lying_charset),
    Case("report with no extractable text", no_text_pdf),
    Case("-o /dev/full", output_to("/dev/full")),
    Case("-o in a folder that refuses files (/proc)", output_to("/proc/fazhi-hostile.jsonl")),
    Case("-o FIFO with no reader", output_fifo, waits_s=10.0),
    Case("non-UTF-8 input and output names", non_utf8_name),
    Case("newline in a file name, Markdown summary", newline_name),
    Case("-o equal to the input", onto_input),
]


def run_case(case: Case, limit_s: float) -> tuple[float, float, str, bool]:
    """(seconds, peak MB, outcome, hung) of one case in a fresh temporary folder."""
    with tempfile.TemporaryDirectory(prefix="fazhi-hostile-") as tmp:
        d = Path(tmp)
        args = case.build(d)
        start = time.perf_counter()
        proc = subprocess.Popen(
            FAZHI + args,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **(case.env or {})},
            start_new_session=True,
        )
        hung = threading.Event()

        def kill() -> None:
            hung.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(limit_s, kill)
        timer.start()
        assert proc.stderr is not None
        err_chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))  # type: ignore[union-attr]
        reader.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        timer.cancel()
        reader.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_mb = usage.ru_maxrss / 1024
        lines = [line for line in b"".join(err_chunks).decode("utf-8", "replace").splitlines() if line.strip()]
        if hung.is_set():
            outcome = f"HUNG, killed after {limit_s:g} s"
        else:
            said = [line for line in lines if "skipped" in line or line.startswith("error") or "Traceback" in line]
            last = said[0] if said else (lines[-1] if lines else "")
            if any("Traceback" in line for line in lines):
                last = "TRACEBACK: " + lines[-1]
            outcome = f"exit {proc.returncode}: {_short(last, d)}"
        return seconds, peak_mb, outcome, hung.is_set()


def _short(line: str, d: Path) -> str:
    line = line.replace(str(d) + "/", "").replace(str(d), "TMP").replace("|", "\\|")
    return line if len(line) <= 150 else line[:147] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="run only the cases whose name holds this text")
    parser.add_argument(
        "--limit", type=float, default=LIMIT_S, help="seconds before a run is killed as a hang (default: %(default)s)"
    )
    args = parser.parse_args()
    cases = [c for c in CASES if args.only is None or args.only.lower() in c.name.lower()]
    print("| file | time | peak memory | outcome |")
    print("|---|---:|---:|---|")
    missed = 0
    for case in cases:
        seconds, peak, outcome, hung = run_case(case, args.limit)
        ok = not hung and seconds <= TARGET_S + case.waits_s and peak <= TARGET_MB and "TRACEBACK" not in outcome
        if case.waits_s:
            outcome += f" (after the {case.waits_s:g} s wait for the other end, announced at once)"
        missed += not ok
        print(
            f"| {case.name} | {seconds:.1f} s | {peak:.0f} MB | {outcome}{'' if ok else ' **(misses the target)**'} |",
            flush=True,
        )
    print(
        f"\n{len(cases) - missed} of {len(cases)} within {TARGET_S:g} s (beyond a designed wait) and {TARGET_MB} MB "
        "with no hang or traceback; times include starting Python and loading the model (the first row)"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
