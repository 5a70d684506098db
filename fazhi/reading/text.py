"""Plain-text reports: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""

from __future__ import annotations

import re

from fazhi.errors import UnreadableFile

# Control characters other than tab, newline, carriage return and form feed
# do not occur in report text; many of them mean the bytes were not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(raw: bytes, name: str = "<bytes>") -> str:
    """Decode report bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile(f"{name}: starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
        return _check_text(text.lstrip("\ufeff"), name)
    if not raw.strip():
        raise UnreadableFile(f"{name}: file is empty")
    if b"\x00" in raw[:8192]:
        raise UnreadableFile(f"{name}: looks binary (NUL bytes), expected text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _check_text(text, name)
    raise UnreadableFile(f"{name}: expected UTF-8 or GB18030/GBK text, could not decode")


def _check_text(text: str, name: str) -> str:
    if not text.strip():
        raise UnreadableFile(f"{name}: file is empty")
    sample = text[:20000]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise UnreadableFile(f"{name}: looks binary (control characters), expected text")
    return text
