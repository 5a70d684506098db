"""The text fazhi extracted from a report, exactly as the segmenter and every offset see it (`fazhi text`)."""

from __future__ import annotations

from pathlib import Path

from fazhi.reading import read_report, read_report_bytes
from fazhi.reading.ocr import OcrMode, Progress

__all__ = ["extracted_text"]


def extracted_text(
    path: Path | str, ocr: OcrMode = "auto", progress: Progress | None = None, stdin: bytes | None = None
) -> str:
    """The text of the report at path ('-' with stdin: those bytes, format from their content) that unit offsets
    index: ``text[unit.start:unit.end] == unit.text``."""
    if str(path) == "-":
        return read_report_bytes(stdin or b"", "<stdin>", suffix="", ocr=ocr, progress=progress)
    return read_report(Path(path), ocr=ocr, progress=progress)
