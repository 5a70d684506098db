"""The BERT tagger: one encoder, a six-way category head and a problem-flag head.

The model directory is written by ``save_pretrained`` (safetensors) with its
tokenizer; ``config.json`` carries ``id2label``, the problem threshold and the
training metadata, so a directory decodes its own predictions. Any BERT
checkpoint (a local directory or a Hugging Face name such as
``bert-base-chinese``) can be the starting point: its encoder weights load
into ``bert`` and the two heads start fresh.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import BertConfig, BertModel, BertPreTrainedModel, BertTokenizer

from fazhi.errors import ModelLoadError
from fazhi.labels import CATEGORIES
from fazhi.model.config import CONTEXT, DEFAULT_MAX_LENGTH, INT8, KIND, MAX_LENGTH, NAME
from fazhi.model.prediction import BATCH_SIZE, Scores

# Every Chinese vocabulary covers this sentence: a tokenizer that makes [UNK] of
# it does not belong to the model (transformers builds a 5-token tokenizer when
# the files are missing, and the model then answers confidently and wrongly).
CHECK_SENTENCE = "全面推进依法行政，建设法治政府。"


def normalize(text: str) -> str:
    """NFKC folds full-width digits, letters and punctuation, so both widths share one vocabulary entry."""
    return unicodedata.normalize("NFKC", text)


def encode_inputs(
    tokenizer, texts: Sequence[str], contexts: Sequence[str] | None, max_length: int
) -> dict[str, torch.Tensor]:
    """Token ids for texts, with their contexts as the second segment when given.

    Training and prediction both encode here, so they cannot drift apart. A
    pair over max_length loses tokens from its longer part first.
    """
    texts = [normalize(t) for t in texts]
    if contexts is None:
        return tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    return tokenizer(
        texts,
        [normalize(c) for c in contexts],
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )


class FazhiBertModel(BertPreTrainedModel):
    """BERT encoder with a category softmax head and a problem sigmoid head, trained jointly."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        dropout = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.category_head = nn.Linear(config.hidden_size, len(CATEGORIES))
        self.problem_head = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Category logits (batch, num_labels) and problem logits (batch,)."""
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        cls = self.dropout(hidden[:, 0])
        return self.category_head(cls), self.problem_head(cls).squeeze(-1)


def fazhi_config(base: BertConfig, threshold: float = 0.5, **extra) -> BertConfig:
    """Put fazhi's label maps and threshold into a BERT config."""
    base.num_labels = len(CATEGORIES)
    base.id2label = {i: l for i, l in enumerate(CATEGORIES)}
    base.label2id = {l: i for i, l in enumerate(CATEGORIES)}
    setattr(base, KIND, "bert")
    base.problem_threshold = threshold
    base.architectures = ["FazhiBertModel"]
    for k, v in extra.items():
        setattr(base, k, v)
    return base


def quantized(model: nn.Module) -> nn.Module:
    """Dynamic int8 version: Linear weights int8, activations quantised per call."""
    import warnings

    with warnings.catch_warnings():
        # torch marks torch.ao.quantization deprecated in favour of torchao, but torchao's CPU int8 path does not
        # speed this model up: a 4x256 BERT, 64 sentences of 64 characters on one thread, takes 331 ms in fp32,
        # 123 ms here and 343 ms with torchao 0.18's Int8DynamicActivationInt8WeightConfig (issue 15 item 11g).
        # So this stays while torch ships it; the warnings (User- and DeprecationWarning) say nothing a user can act on.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def check_tokenizer(tokenizer, vocab_size: int, directory: Path) -> None:
    """Refuse a tokenizer that does not fit the model: another vocabulary size, or [UNK] in CHECK_SENTENCE."""
    if len(tokenizer) != vocab_size:
        raise ModelLoadError(
            f"{directory}: the tokenizer has {len(tokenizer)} tokens but the model has a vocabulary of "
            f"{vocab_size}: its tokenizer files (tokenizer.json, vocab.txt) are missing or belong to another model"
        )
    tokens = tokenizer.tokenize(normalize(CHECK_SENTENCE))
    unknown = sum(t == tokenizer.unk_token for t in tokens)
    if unknown:
        raise ModelLoadError(
            f"{directory}: the tokenizer reads {unknown} of the {len(tokens)} tokens of {CHECK_SENTENCE!r} "
            f"as {tokenizer.unk_token}: its vocabulary does not cover Chinese text"
        )


class BertPredictor:
    """Scores sentences with a saved FazhiBertModel: length-sorted batches, dynamic padding."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: BertTokenizer,
        name: str = "bert",
        batch_size: int = BATCH_SIZE,
        token_budget: int = 1024,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.batch_size = batch_size
        self.token_budget = token_budget
        config: BertConfig = model.config  # type: ignore[assignment]  # a FazhiBertModel, possibly quantised
        id2label: dict = dict(config.id2label or {})
        self.labels = tuple(str(id2label[i]) for i in range(len(id2label)))
        self.threshold = float(getattr(config, "problem_threshold", 0.5))
        self.max_length = int(getattr(config, MAX_LENGTH, DEFAULT_MAX_LENGTH))
        self.max_chars = self.max_length - 2  # [CLS] and [SEP]; the tokenizer is one token per character
        # A model trained with context reads it as the second segment; others read the text alone.
        self.reads_context = bool(getattr(config, CONTEXT, False))
        self.int8 = (
            False  # set by load(): dynamic int8 moves scores in the 5th decimal (fazhi.pipeline.results rounds them)
        )

    @classmethod
    def load(cls, directory: str | Path, quantize: bool | None = None, batch_size: int = BATCH_SIZE) -> BertPredictor:
        """Load a model directory; quantize=None follows the directory's own fazhi_int8 setting."""
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a per-load "Loading weights" bar is noise on stderr
        directory = Path(directory)
        model: nn.Module = FazhiBertModel.from_pretrained(directory, torch_dtype=torch.float32)
        model.float()  # weights may be stored in float16 to keep the shipped model small
        tokenizer = BertTokenizer.from_pretrained(directory)
        check_tokenizer(tokenizer, int(getattr(model.config, "vocab_size", 0)), directory)
        if quantize is None:
            quantize = bool(getattr(model.config, INT8, False))
        if quantize:
            model = quantized(model)
        predictor = cls(model, tokenizer, name=getattr(model.config, NAME, directory.name), batch_size=batch_size)
        predictor.int8 = bool(quantize)
        return predictor

    def encode(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        return encode_inputs(self.tokenizer, texts, contexts if self.reads_context else None, self.max_length)

    def batches(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[list[int]]:
        """Indices of texts grouped into model calls: sorted by length, each call at most
        batch_size sentences and token_budget padded tokens.

        A call pads every sentence to its longest one, and CPU cost grows with
        the padded size: 64 mixed seed sentences took 450 ms in one call and
        165 ms in buckets of 1,024 padded tokens (4x256 model, 2 cores).
        """
        extra = [len(c) + 1 for c in contexts] if self.reads_context and contexts is not None else [0] * len(texts)
        lengths = [min(len(t) + x, self.max_chars) + 2 for t, x in zip(texts, extra, strict=True)]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        calls: list[list[int]] = []
        current: list[int] = []
        for i in order:  # ascending, so the newest member is the longest of its call
            if current and (len(current) >= self.batch_size or (len(current) + 1) * lengths[i] > self.token_budget):
                calls.append(current)
                current = []
            current.append(i)
        if current:
            calls.append(current)
        return calls

    @torch.inference_mode()
    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        n = len(texts)
        cat = np.zeros((n, len(self.labels)), dtype=np.float64)
        prob = np.zeros(n, dtype=np.float64)
        for idx in self.batches(texts, contexts):
            batch = self.encode([texts[i] for i in idx], [contexts[i] for i in idx] if contexts is not None else None)
            cat_logits, prob_logits = self.model(**batch)
            cat[idx] = torch.softmax(cat_logits.float(), dim=-1).numpy()
            prob[idx] = torch.sigmoid(prob_logits.float()).numpy()
        return Scores(self.labels, cat, prob, self.threshold)
