"""Image files of report pages (.png, .jpg, .tif with one page per frame): read by OCR like a scanned PDF."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from fazhi.errors import UnreadableFile
from fazhi.reading.layout import Line, drop_page_furniture, join_wrapped
from fazhi.reading.ocr import OCR_MODES, OcrMode, Progress, check_ocr, ocr_page, repair_markers

if TYPE_CHECKING:
    from PIL import Image

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
        prepare_page(frame).save(buf, "PNG")
        pages.append(ocr_page(buf.getvalue(), dpi, name, i))
        if progress is not None:
            progress(i + 1, len(frames))
    lines = [l for page in drop_page_furniture(pages) for l in page]
    if not lines:
        raise UnreadableFile(
            f"{name}: OCR found no text in the image ({len(frames)} page{'s' if len(frames) != 1 else ''})"
        )
    return "\n".join(repair_markers(join_wrapped(lines))) + "\n"


# A pixel darker than this is ink.
_INK = 160
# A page with more than this share of its pixels ink with no ink beside them is speckled: a clean page, however
# dense, has none (its strokes are joined), a page speckled by a scanner about 0.08%.
SPECKLED = 2e-4


def speck_share(image: Image.Image) -> float:
    """The share of a page image's pixels that are ink with none of their eight neighbours ink."""
    import numpy as np

    ink = (np.asarray(image.convert("L")) < _INK).astype(np.uint8)
    if not ink.size:
        return 0.0
    padded = np.pad(ink, 1)
    rows = padded[:-2] + padded[1:-1] + padded[2:]
    box = rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]  # ink pixels in each 3 x 3 square
    return float(((ink == 1) & (box == 1)).mean())


def prepare_page(image: Image.Image) -> Image.Image:
    """A page image in grey as Tesseract is to read it: median-filtered (3 x 3) if speckled (see SPECKLED).

    On the 39 pages of the seeds and three written reports scanned at 150 dpi, turned 0.6°, blurred, speckled
    and saved as JPEG 50 (benchmarks/reading.py scan-degraded), the filter took the units found from 92.2% to
    97.6%, the headings from 125 to 143 of 146 and the character error rate from 1.57% to 1.24%, for 0.1 s/page.
    On clean scans (their first two pages) it cost 2.6 points of units (98.2% to 95.6%), so it is not applied
    there. Tried beside it and left out: 300 dpi (LANCZOS x2; 51% of the degraded units alone, and worse on clean
    pages even after the filter), deskew by projection profiles (character errors 1.21% to 0.82% on the first
    two pages, but two headings fewer and 1 s/page more), --oem 1 (the same text: chi_sim here is LSTM only)."""
    from PIL import ImageFilter

    grey = image.convert("L")
    if speck_share(grey) > SPECKLED:
        grey = grey.filter(ImageFilter.MedianFilter(3))
    return grey
