"""Reading report files into text."""

from __future__ import annotations

from pathlib import Path


class UnreadableFile(ValueError):
    """A report file that cannot be turned into text; the message says why."""


def decode_text(raw: bytes, name: str = "<bytes>") -> str:
    """Decode report bytes: UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    if not raw.strip():
        raise UnreadableFile(f"{name}: file is empty")
    if b"\x00" in raw[:4096]:
        raise UnreadableFile(f"{name}: looks binary (NUL bytes), expected text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"{name}: expected UTF-8 or GB18030/GBK text, could not decode")


def read_report(path: Path) -> str:
    """The text of a .txt report file."""
    if path.suffix.lower() not in (".txt", ""):
        raise UnreadableFile(f"{path}: expected a .txt file, found {path.suffix!r}")
    return decode_text(path.read_bytes(), str(path))
