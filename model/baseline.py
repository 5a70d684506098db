"""Character n-gram TF-IDF with linear classifiers: the baseline model.

Saved without pickle: the vocabulary as JSON, the IDF weights and linear
coefficients as a NumPy .npz read with allow_pickle=False, and a config.json
carrying the label map and the problem threshold.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from fazhi.labels import CATEGORIES
from fazhi.model.config import KIND, NAME, read_config, write_config
from fazhi.model.configs import BaselineConfig
from fazhi.model.prediction import Scores

WEIGHTS_FILE = "weights.npz"
VOCAB_FILE = "vocab.json"
CONTEXT_VOCAB_FILE = "context_vocab.json"
_CONFIG_KEYS = ("id2label", "problem_threshold", "problem_intercept")
_ARRAYS = ("idf", "cat_coef", "cat_intercept", "prob_coef")


def normalize(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation into half-width,
    so a report saved with either punctuation style gives the same n-grams."""
    return unicodedata.normalize("NFKC", text)


def _char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    s = normalize(text)
    return [s[i : i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)]


class BaselineModel:
    """TF-IDF features shared by a softmax category classifier and a logistic problem classifier."""

    name = "baseline"
    max_chars = None  # n-gram counts have no length limit

    def __init__(
        self,
        vocab: dict[str, int],
        idf: np.ndarray,
        cat_coef: np.ndarray,
        cat_intercept: np.ndarray,
        prob_coef: np.ndarray,
        prob_intercept: float,
        threshold: float = 0.5,
        labels: tuple[str, ...] = CATEGORIES,
        config: BaselineConfig | None = None,
        metadata: dict | None = None,
        context_vocab: dict[str, int] | None = None,
        context_idf: np.ndarray | None = None,
    ) -> None:
        self.vocab = vocab
        self.idf = idf
        self.context_vocab = context_vocab or {}
        self.context_idf = context_idf if context_idf is not None else np.zeros(0)
        self.int8 = False
        self.reads_context = bool(self.context_vocab)  # a context block of its own n-grams
        self.cat_coef = cat_coef
        self.cat_intercept = cat_intercept
        self.prob_coef = prob_coef
        self.prob_intercept = float(prob_intercept)
        self.threshold = float(threshold)
        self.labels = tuple(labels)
        self.config = config or BaselineConfig()
        self.metadata = metadata or {}

    # -- features --------------------------------------------------------
    def transform(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> sp.csr_matrix:
        """Sublinear TF × IDF, L2-normalised rows (the same formula as scikit-learn's TfidfVectorizer),
        then the context's own block at context_weight when the model has one."""
        return features(texts, contexts, self.vocab, self.idf, self.context_vocab, self.context_idf, self.config)

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        x = self.transform(texts, contexts)
        logits = x @ self.cat_coef.T + self.cat_intercept
        logits -= logits.max(axis=1, keepdims=True) if len(texts) else 0
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True) if len(texts) else 1
        z = np.asarray(x @ self.prob_coef).ravel() + self.prob_intercept
        return Scores(self.labels, np.asarray(probs), 1.0 / (1.0 + np.exp(-z)), self.threshold)

    # -- persistence -------------------------------------------------------
    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / WEIGHTS_FILE,
            idf=self.idf.astype(np.float32),
            cat_coef=self.cat_coef.astype(np.float32),
            cat_intercept=self.cat_intercept.astype(np.float32),
            prob_coef=self.prob_coef.astype(np.float32),
            context_idf=self.context_idf.astype(np.float32),
        )
        (directory / VOCAB_FILE).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        (directory / CONTEXT_VOCAB_FILE).write_text(
            json.dumps(self.context_vocab, ensure_ascii=False), encoding="utf-8"
        )
        config = {
            KIND: "baseline",
            NAME: self.name,
            "id2label": {str(i): l for i, l in enumerate(self.labels)},
            "label2id": {l: i for i, l in enumerate(self.labels)},
            "problem_threshold": self.threshold,
            "problem_intercept": self.prob_intercept,
            "baseline_config": asdict(self.config),
            "metadata": self.metadata,
        }
        write_config(directory, config)
        return directory

    @classmethod
    def load(cls, directory: Path) -> BaselineModel:
        config = read_config(directory)
        vocab = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
        context_file = directory / CONTEXT_VOCAB_FILE
        context_vocab = json.loads(context_file.read_text(encoding="utf-8")) if context_file.is_file() else {}
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as w:
            arrays = {k: w[k].astype(np.float64) for k in w.files}
        # A KeyError would say only the key ("'problem_threshold'"): name the file and what it should hold.
        for source, held, needed in (("config.json", config, _CONFIG_KEYS), (WEIGHTS_FILE, arrays, _ARRAYS)):
            missing = [k for k in needed if k not in held]
            if missing:
                raise ValueError(
                    f"{source} lacks {', '.join(repr(k) for k in missing)}: expected {', '.join(needed)} as "
                    f"`fazhi train` writes them, found {', '.join(sorted(held)) or 'nothing'}"
                )
        labels = tuple(config["id2label"][str(i)] for i in range(len(config["id2label"])))
        bc = config.get("baseline_config", {})
        bc["c_grid"] = tuple(bc.get("c_grid", BaselineConfig.c_grid))
        return cls(
            vocab,
            arrays["idf"],
            arrays["cat_coef"],
            arrays["cat_intercept"],
            arrays["prob_coef"],
            config["problem_intercept"],
            config["problem_threshold"],
            labels,
            BaselineConfig(**bc),
            config.get("metadata", {}),
            context_vocab,
            arrays.get("context_idf"),
        )


def featurize(texts: Sequence[str], vocab: dict[str, int], idf: np.ndarray, lo: int, hi: int) -> sp.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for text in texts:
        counts: dict[int, int] = {}
        for g in _char_ngrams(text, lo, hi):
            j = vocab.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        indices.extend(counts.keys())
        data.extend(counts.values())
        indptr.append(len(indices))
    x = sp.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(texts), len(idf)),
    )
    x.data = 1.0 + np.log(x.data)
    x = x.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(x.multiply(1.0 / norms[:, None]))


def features(
    texts: Sequence[str],
    contexts: Sequence[str] | None,
    vocab: dict[str, int],
    idf: np.ndarray,
    context_vocab: dict[str, int],
    context_idf: np.ndarray,
    config: BaselineConfig,
) -> sp.csr_matrix:
    """The model's feature rows: the sentence's n-grams, then (if the model has a context block) the context's."""
    x = featurize(texts, vocab, idf, config.ngram_min, config.ngram_max)
    if not context_vocab:
        return x
    ctx = featurize(
        contexts if contexts is not None else [""] * len(texts),
        context_vocab,
        context_idf,
        config.ngram_min,
        config.ngram_max,
    )
    return sp.hstack([x, ctx * config.context_weight], format="csr")


def fit_vocabulary(texts: Sequence[str], config: BaselineConfig) -> tuple[dict[str, int], np.ndarray]:
    """Choose the n-gram vocabulary and IDF weights from training texts (smooth IDF, as scikit-learn)."""
    df: dict[str, int] = {}
    total: dict[str, int] = {}
    for text in texts:
        grams = _char_ngrams(text, config.ngram_min, config.ngram_max)
        for g in set(grams):
            df[g] = df.get(g, 0) + 1
        for g in grams:
            total[g] = total.get(g, 0) + 1
    kept = [g for g, d in df.items() if d >= config.min_df]
    kept.sort(key=lambda g: (-total[g], g))
    kept = sorted(kept[: config.max_features])
    vocab = {g: i for i, g in enumerate(kept)}
    n = len(texts)
    idf = np.array([np.log((1 + n) / (1 + df[g])) + 1.0 for g in kept])
    return vocab, idf
