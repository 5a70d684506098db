"""OFD reports (GB/T 33190, the national format for official documents): the text objects of each page, placed
by their boundaries, through the same layout rules as a PDF's text layer (fazhi.reading.layout).

An OFD file is a ZIP package: OFD.xml names the document (DocRoot), the document lists its pages (BaseLoc),
and each page's Content.xml holds TextObject elements (Boundary "x y w h" in mm, y down the page; Size; Weight
or Bold) with TextCode runs (X, Y from the boundary; DeltaX the advances, "g n d" for n advances of d).
Read here with zipfile and lxml: the index's OFD packages (easyofd, ofdkit) render through PyMuPDF (AGPL) or
lay out for printing, and text is all fazhi needs. Elements are matched by local name, since producers use
different namespaces. A page of images only (a scanned OFD) is not read by OCR here.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from fazhi.errors import UnreadableFile
from fazhi.reading.layout import Line, drop_page_furniture, join_wrapped
from fazhi.reading.limits import check_zip_expansion

__all__ = ["ofd_to_text"]


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name: str):
    return [c for c in el.iter() if _local(c.tag) == name]


def _floats(s: str | None) -> list[float]:
    try:
        return [float(v) for v in (s or "").split()]
    except ValueError:
        return []


def _advance(delta: str | None, n_chars: int, size: float) -> float:
    """Width of a TextCode run from its DeltaX (the advances between characters) plus the last character."""
    if not delta:
        return n_chars * size
    parts = delta.split()
    total, k = 0.0, 0
    while k < len(parts):
        if parts[k] == "g" and k + 2 < len(parts):
            total += int(float(parts[k + 1])) * float(parts[k + 2])
            k += 3
        else:
            total += float(parts[k])
            k += 1
    return total + size


def _page_lines(xml: bytes, page: int) -> list[Line]:
    from lxml import etree

    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    runs: list[tuple[float, float, float, float, bool, str]] = []  # (baseline y, x, size, width, bold, text)
    for obj in _children(root, "TextObject"):
        box = _floats(obj.get("Boundary"))
        if len(box) < 4:
            continue
        size = next((float(obj.get(k)) for k in ("Size", "size") if obj.get(k)), box[3]) or box[3] or 1.0
        bold = (
            obj.get("Bold") == "true" or (obj.get("Weight") or "400").isdigit() and int(obj.get("Weight") or 400) >= 600
        )
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x = box[0] + float(code.get("X") or 0)
            y = box[1] + float(code.get("Y") or box[3])
            runs.append((y, x, size, _advance(code.get("DeltaX"), len(text), size), bold, text))
    # Runs on one baseline are one printed line (some producers write one object per character).
    runs.sort(key=lambda r: (round(r[0] / max(r[2] * 0.5, 0.01)), r[1]))
    lines: list[Line] = []
    current: list[tuple[float, float, float, float, bool, str]] = []

    def flush() -> None:
        if current:
            current.sort(key=lambda r: r[1])
            text = "".join(r[5] for r in current).strip()
            if text:
                left = current[0][1]
                right = max(r[1] + r[3] for r in current)
                sizes = sorted(r[2] for r in current)
                lines.append(
                    Line(
                        text,
                        left,
                        -current[0][0],
                        sizes[len(sizes) // 2],
                        page,
                        bold=sum(r[4] for r in current) * 2 > len(current),
                        w=right - left,
                    )
                )
            current.clear()

    for run in runs:
        if current and abs(run[0] - current[0][0]) > 0.5 * min(run[2], current[0][2]):
            flush()
        current.append(run)
    flush()
    lines.sort(key=lambda l: -l.y)
    return lines


def ofd_to_text(raw: bytes, name: str = "<ofd>", max_bytes: int | None = None) -> str:
    """The text of an OFD document, page by page, page numbers and running headers dropped, wrapped lines
    joined into paragraphs."""
    from lxml import etree

    if max_bytes is not None:
        check_zip_expansion(raw, name, max_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            names = set(z.namelist())
            if "OFD.xml" not in names:
                raise UnreadableFile(f"{name}: expected an OFD package (a ZIP with OFD.xml), found none")
            ofd = etree.fromstring(z.read("OFD.xml"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
            roots = [(e.text or "").strip().lstrip("/") for e in _children(ofd, "DocRoot")]
            if not roots or roots[0] not in names:
                raise UnreadableFile(f"{name}: the OFD package names no document (DocRoot) that it holds")
            doc_dir = posixpath.dirname(roots[0])
            document = etree.fromstring(
                z.read(roots[0]), parser=etree.XMLParser(resolve_entities=False, no_network=True)
            )
            pages: list[list[Line]] = []
            for i, page in enumerate(_children(document, "Page")):
                loc = (page.get("BaseLoc") or "").lstrip("/")
                path = (
                    posixpath.normpath(posixpath.join(doc_dir, loc))
                    if loc and not loc.startswith(doc_dir + "/")
                    else loc
                )
                if path not in names:
                    raise UnreadableFile(f"{name}: page {i + 1} of the OFD document ({loc or 'no BaseLoc'}) is missing")
                pages.append(_page_lines(z.read(path), i))
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, etree.XMLSyntaxError) as exc:
        raise UnreadableFile(f"{name}: damaged or unreadable OFD ({exc.__class__.__name__}: {exc})") from None
    lines = [l for page_lines in drop_page_furniture(pages) for l in page_lines]
    if not lines:
        raise UnreadableFile(
            f"{name}: the OFD document has no text ({len(pages)} pages; a scanned OFD is not read by OCR)"
        )
    return "\n".join(join_wrapped(lines)) + "\n"
