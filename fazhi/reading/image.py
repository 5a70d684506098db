"""Image files of report pages (.png, .jpg, .tif with one page per frame): read by OCR like a scanned PDF."""

from __future__ import annotations

import io

from fazhi.errors import UnreadableFile
from fazhi.reading.layout import Line, drop_page_furniture, join_wrapped
from fazhi.reading.ocr import OCR_MODES, OcrMode, Progress, check_ocr, ocr_page, repair_markers

# The resolution assumed for an image that does not say its own.
DEFAULT_DPI = 150


def image_to_text(raw: bytes, name: str = "<image>", ocr: OcrMode = "auto", progress: Progress | None = None) -> str:
    """The text of page images by OCR, one page per frame, wrapped lines joined into paragraphs."""
    if ocr not in OCR_MODES:
        raise ValueError(f"ocr: expected one of {', '.join(OCR_MODES)}, found {ocr!r}")
    if ocr == "never":
        raise UnreadableFile(f"{name}: an image of a page has no text without OCR (drop --ocr never)")
    check_ocr(name, "an image of a page needs OCR")
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        frames = [f.convert("L") for f in ImageSequence.Iterator(image)]
        dpi = int(round(float(image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0]))) or DEFAULT_DPI
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnreadableFile(f"{name}: not a readable image ({exc.__class__.__name__}: {exc})") from None
    if dpi < 50:  # a wrong dpi note (1 or 72 for a 300 dpi scan) would make Tesseract misjudge the text size
        dpi = DEFAULT_DPI
    pages: list[list[Line]] = []
    for i, frame in enumerate(frames):
        buf = io.BytesIO()
        frame.save(buf, "PNG")
        pages.append(ocr_page(buf.getvalue(), dpi, name, i))
        if progress is not None:
            progress(i + 1, len(frames))
    lines = [l for page in drop_page_furniture(pages) for l in page]
    if not lines:
        raise UnreadableFile(
            f"{name}: OCR found no text in the image ({len(frames)} page{'s' if len(frames) != 1 else ''})"
        )
    return "\n".join(repair_markers(join_wrapped(lines))) + "\n"
