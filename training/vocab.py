"""A character-level BERT vocabulary for Chinese report text.

Every CJK character is its own token (BERT's basic tokenizer already splits
them), and ASCII letters and digits get a ``##`` continuation form so that a
number such as 2023 becomes 2 ##0 ##2 ##3 instead of [UNK]. The character
inventory is our corpus plus jieba's dictionary, so characters that never
appear in our reports seldom become [UNK].
"""

from __future__ import annotations

import string
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def jieba_characters() -> set[str]:
    """Characters of jieba's bundled dictionary (read as a file; jieba itself is not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "expected the 'jieba' package (its dictionary supplies the character inventory); pip install jieba"
        )
    chars: set[str] = set()
    with open(Path(spec.origin).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            word = line.split(" ", 1)[0]
            chars.update(word)
    return chars


def build_vocab(texts: Iterable[str], extra_chars: Iterable[str] = ()) -> list[str]:
    """Tokens for vocab.txt: specials, ASCII with ## forms, then characters by corpus frequency."""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(unicodedata.normalize("NFKC", t).lower())
    ascii_alnum = string.digits + string.ascii_lowercase
    ascii_punct = string.punctuation
    tokens = list(SPECIAL_TOKENS) + list(ascii_alnum) + ["##" + c for c in ascii_alnum] + list(ascii_punct)
    seen = set(tokens)
    inventory = {unicodedata.normalize("NFKC", c).lower() for c in extra_chars}
    ordered = [c for c, _ in counts.most_common()] + sorted(inventory)
    for c in ordered:
        if len(c) != 1 or c in seen or c.isspace() or unicodedata.category(c).startswith("C"):
            continue
        tokens.append(c)
        seen.add(c)
    return tokens


def make_tokenizer(tokens: list[str], directory: Path):
    """A BertTokenizer over these tokens, saved to directory (tokenizer.json and vocab.txt)."""
    from transformers import BertTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizer(
        vocab={t: i for i, t in enumerate(tokens)}, do_lower_case=True, tokenize_chinese_chars=True, strip_accents=False
    )
    tokenizer.save_pretrained(directory)
    # vocab.txt too, so the directory also loads with the slow tokenizer and older transformers
    (directory / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return tokenizer
