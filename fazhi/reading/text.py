"""Plain-text reports: UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one, told from its bytes),
GB18030/GBK, or Big5, chosen by how much of the decoded text is common Chinese.

Without a BOM the bytes do not say their encoding: GB18030 accepts most Big5 bytes (as mojibake) and UTF-16
accepts any even number of bytes. Each candidate decoding is scored by the share of its Chinese characters
that are among the most common ones (simplified or traditional); mojibake scores near zero, a real report
above one half. A pick with a low score, or Big5 (traditional characters, which the model was not trained
on), is reported with a ReadingWarning.
"""

from __future__ import annotations

import re
import warnings

from fazhi.errors import UnreadableFile

__all__ = ["ReadingWarning", "decode_text", "common_share", "to_simplified"]


class ReadingWarning(UserWarning):
    """Something about how a report was read that its reader should know (an uncertain encoding…)."""


# Control characters other than tab, newline, carriage return and form feed
# do not occur in report text; many of them mean the bytes were not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# ... and the private-use characters a wrong decoding of Chinese bytes lands on, which count against it.
_CJK_OR_PRIVATE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\ue000-\uf8ff]")
# The most frequent characters of Chinese prose, simplified and their traditional forms (a scoring set only).
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多"
    "定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由"
    "其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意"
    "建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统"
    "接知较将组见计别手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶思术极交受联认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议报完"
    "类八离华名确才科张信马节话米整空元况今集传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容须际商非"
    "验连断深难近千周委素技备半办青省列习响约支般史感劳便团往历市克何除消构府称太准精值号率族维划选标写存候亲快效院查"
    "江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该价严督执监司案纪依审罚诉讼复议"
    "這個為們來時說會對發動過產種後學現實體當從業應開還點進經機關於與兩間樣數問題將見計別頭長邊無總區強給處隊規導壓"
    "證轉場車務門東報類離華確張資國際斷難約團歷構稱準調滿縣參紅細聽該價嚴執監審訴訟議條權組織實施設關係幹級據質"
)
_SAMPLE = 20000
# Traditional-only forms of common characters: a text with none of them has nothing for OpenCC to convert.
_TRADITIONAL = re.compile(
    "[這個為們來時說會對發動過產種後學現實體當從業應開還點進經機關於與兩間樣數問題將見計別頭長邊無總區強給處隊規導"
    "壓證轉場車務門東報類離華確張資國際斷難約團歷構稱準調滿縣參紅細聽該價嚴執監審訴訟議條權組織實設關係幹級據質辦復職結"
    "衛財稅農業領導幹範圍優營環聯絡監檢執綜務處罰許決訟]"
)


def to_simplified(text: str) -> str:
    """text with traditional characters made simplified (OpenCC t2s), for the model only: the model was trained on
    simplified text; the output keeps the report's own characters. Text without traditional forms comes back as is."""
    if not _TRADITIONAL.search(text):
        return text
    return _t2s().convert(text)


_CONVERTER = None


def _t2s():
    global _CONVERTER
    if _CONVERTER is None:
        from opencc import OpenCC  # opencc-python-reimplemented: pure Python, 3.5 µs a character

        _CONVERTER = OpenCC("t2s")
    return _CONVERTER


def common_share(text: str) -> float:
    """Share of the Chinese characters of text (its first 20,000 characters) that are common ones; 0 without any."""
    cjk = _CJK_OR_PRIVATE.findall(text[:_SAMPLE])
    return sum(c in _COMMON for c in cjk) / len(cjk) if cjk else 0.0


def _candidates(raw: bytes) -> list[tuple[str, str]]:
    """(encoding, decoded text) for each encoding the bytes are valid in, the more likely first."""
    out = []
    nuls = raw[:_SAMPLE].count(0)
    if nuls == 0:
        encodings = ["utf-8", "gb18030", "big5"]
    else:  # NUL bytes: UTF-16 (ASCII characters have a zero byte) or not text at all
        encodings = ["utf-16-le", "utf-16-be"]
    if len(raw) % 2 == 0 and nuls == 0 and len(raw) >= 4:
        encodings += ["utf-16-le", "utf-16-be"]  # all-Chinese UTF-16 has no zero byte
    for enc in encodings:
        try:
            out.append((enc, raw.decode(enc)))
        except UnicodeDecodeError:
            continue
    return out


def decode_text(raw: bytes, name: str = "<bytes>") -> str:
    """Decode report bytes (see the module doc); warns (ReadingWarning) when the encoding is uncertain or Big5."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return _check_text(raw[3:].decode("utf-8"), name)
        except UnicodeDecodeError:
            raise UnreadableFile(f"{name}: starts with a UTF-8 byte-order mark but is not valid UTF-8") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile(f"{name}: starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
        return _check_text(text.lstrip("\ufeff"), name)
    if not raw.strip():
        raise UnreadableFile(f"{name}: file is empty")
    candidates = _candidates(raw)
    if candidates and candidates[0][0] == "utf-8" and not _CONTROL.search(candidates[0][1][:_SAMPLE]):
        return _check_text(candidates[0][1], name)  # valid UTF-8 with Chinese in it is never anything else
    textual = [
        (enc, text)
        for enc, text in candidates
        if len(_CONTROL.findall(text[:_SAMPLE])) <= max(2, len(text[:_SAMPLE]) // 200)
    ]
    # UTF-16 without a BOM decodes almost any bytes: only a decoding that reads as Chinese counts.
    scored = [
        (common_share(text), -k, enc, text)
        for k, (enc, text) in enumerate(textual)
        if not enc.startswith("utf-16") or (common_share(text) >= 0.35 and len(_CJK.findall(text[:_SAMPLE])) >= 10)
    ]
    if not scored:
        if b"\x00" in raw[:8192]:
            raise UnreadableFile(f"{name}: looks binary (NUL bytes), expected text")
        if any(not enc.startswith("utf-16") for enc, _ in candidates):
            raise UnreadableFile(f"{name}: looks binary (control characters), expected text")
        raise UnreadableFile(f"{name}: expected UTF-8, UTF-16, GB18030/GBK or Big5 text, could not decode")
    share, _, enc, text = max(scored)
    cjk = len(_CJK.findall(text[:_SAMPLE]))
    if cjk >= 20 and share < 0.35:
        warnings.warn(
            ReadingWarning(f"{name}: encoding uncertain, read as {enc} ({share:.0%} common Chinese characters)"),
            stacklevel=2,
        )
    elif enc == "big5":
        warnings.warn(
            ReadingWarning(f"{name}: read as Big5 (traditional Chinese); the model was trained on simplified text"),
            stacklevel=2,
        )
    return _check_text(text, name)


def _check_text(text: str, name: str) -> str:
    if not text.strip():
        raise UnreadableFile(f"{name}: file is empty")
    sample = text[:_SAMPLE]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise UnreadableFile(f"{name}: looks binary (control characters), expected text")
    return text
