"""The ablation's variants: each row of docs/ablation.md and how its model is made."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from fazhi.paths import BUILD_DIR
from fazhi.training.configs import BertTrainConfig, preset

WORK = BUILD_DIR / "ablation"
ENCODERS = BUILD_DIR / "pretrain"


@dataclass
class Variant:
    """One row of the ablation: how its model is made."""

    # "baseline", "bert", "average" (of members), "int8" (of one member), "cascade" or "hybrid" (of baseline, bert)
    kind: str
    note: str
    baseline: dict[str, Any] = field(default_factory=dict)  # BaselineConfig overrides
    bert: BertTrainConfig | None = None
    encoder: str | None = None  # a folder under --encoders
    members: tuple[str, ...] = ()
    labels: str = "current"  # "before": trained on --labels-before (data/labels before the rule-13 relabel)
    cascade: dict[str, Any] = field(default_factory=dict)  # CascadeConfig overrides


def _bert(encoder: str | None, note: str, **changes: Any) -> Variant:
    base = preset("shipped")
    config = replace(base, base_model=None, **changes)
    return Variant("bert", note, bert=config, encoder=encoder)


def _fast(encoder: str, note: str, seed: int = 13) -> Variant:
    """Issue 16's fine-tunes: the 'fast' preset (the shipped recipe in at most 10 minutes) from an encoder of
    --encoders."""
    return Variant("bert", note, bert=replace(preset("fast"), base_model=None, seed=seed), encoder=encoder)


# The encoders of issue 16 (folders of --encoders): today's, continued by MLM or ELECTRA on the laws corpus,
# each then trained on the laws' weak area labels (the intermediate task).
NEW_ENCODERS = {
    "v1": ("encoder-v1", "today's encoder (People's Daily, 4 epochs of MLM)"),
    "mlm": ("mlm", "today's encoder continued by whole-word MLM on People's Daily + laws-db + LawRefBook + our text"),
    "electra": (
        "electra",
        "today's encoder continued by ELECTRA (1-layer generator, discriminator kept) on the same corpus",
    ),
    "mlm+laws": ("mlm-laws", "the MLM encoder, then the intermediate task (a statute's subject as its articles' area)"),
    "electra+laws": ("electra-laws", "the ELECTRA encoder, then the intermediate task"),
}

VARIANTS: dict[str, Variant] = {
    "baseline": Variant("baseline", "TF-IDF + logistic regression, sentence alone", baseline={"context_weight": 0.0}),
    "baseline+context": Variant(
        "baseline", "TF-IDF with the context as a second n-gram block (half weight)", baseline={"context_weight": 0.5}
    ),
    "2x256 scratch": Variant(
        "bert", "today's recipe: compact BERT from scratch, sentence alone", bert=preset("scratch-2x256")
    ),
    "2x256 scratch+context": Variant(
        "bert", "from scratch, context as second segment", bert=replace(preset("scratch-2x256"), context=True)
    ),
    "2x256 lac-pretrained": _bert(
        "enc-2x256-lac", "pretrained (People's Daily + our text, LAC embeddings), sentence alone", context=False
    ),
    "2x256 lac-pretrained+context": _bert("enc-2x256-lac", "pretrained (LAC embeddings), context as second segment"),
    "2x256 random-pretrained+context": _bert("enc-2x256-random", "pretrained without LAC embeddings, context"),
    "4x256 lac-pretrained+context": _bert(
        "enc-4x256-lac",
        "4 layers, pretrained (LAC embeddings) for 4 epochs, the compute of 8 "
        "epochs of 2x256; context. The shipped model/bert (make pretrained, make model)",
    ),
    "2x256 lac+context, noise": _bert("enc-2x256-lac", "plus character noise on 30% of training units", augment=0.3),
    "2x256 lac+context, regularised": _bert(
        "enc-2x256-lac",
        "dropout 0.2, label smoothing 0.1, embeddings frozen 1 epoch",
        dropout=0.2,
        label_smoothing=0.1,
        freeze_embeddings_epochs=1,
    ),
    "2x256 lac+context, seeds x3": _bert("enc-2x256-lac", "real seed units weigh 3x in the loss", seed_weight=3.0),
    "average(bert, baseline+context)": Variant(
        "average", "mean of the two models' probabilities", members=("2x256 lac-pretrained+context", "baseline+context")
    ),
    "2x256 lac-pretrained+context, int8": Variant(
        "int8", "the same model with dynamic int8 Linear layers at load", members=("2x256 lac-pretrained+context",)
    ),
    "4x256 lac-pretrained+context, int8": Variant(
        "int8", "the shipped BERT with dynamic int8 Linear layers at load", members=("4x256 lac-pretrained+context",)
    ),
    "baseline+context, before rule-13 relabel": Variant(
        "baseline",
        "baseline+context trained on data/labels before the rule-13 relabel and the new units",
        baseline={"context_weight": 0.5},
        labels="before",
    ),
}
_BASE = "baseline+context"
for _key, (_folder, _about) in NEW_ENCODERS.items():
    for _seed in (13, 14, 15):
        _suffix = "" if _seed == 13 else f", seed {_seed}"
        _bert_name = f"bert {_key}{_suffix}"
        VARIANTS[_bert_name] = _fast(
            _folder, f"4x256 fine-tuned ('fast' preset, seed {_seed}) from {_about}; context", _seed
        )
        VARIANTS[f"hybrid({_key}){_suffix}"] = Variant(
            "hybrid", f"stacked head over {_BASE} and {_bert_name}, fitted on dev", members=(_BASE, _bert_name)
        )
        VARIANTS[f"cascade({_key}){_suffix}"] = Variant(
            "cascade",
            f"{_BASE} answers where sure, {_bert_name} (or the mix) elsewhere; margins on dev",
            members=(_BASE, _bert_name),
        )
        VARIANTS[f"cascade({_key}, hybrid){_suffix}"] = Variant(
            "cascade",
            f"{_BASE} answers where sure, hybrid({_key}){_suffix} elsewhere; margins on dev",
            members=(_BASE, _bert_name),
            cascade={"second": "hybrid"},
        )
    VARIANTS[f"bert {_key}, int8"] = Variant(
        "int8", f"bert {_key} with dynamic int8 Linear layers at load", members=(f"bert {_key}",)
    )
    VARIANTS[f"cascade({_key}), int8"] = Variant(
        "int8", f"cascade({_key}) with its BERT's Linear layers dynamic int8 at load", members=(f"cascade({_key})",)
    )
VARIANTS["cascade(shipped)"] = Variant(
    "cascade",
    "the shipped model/baseline answers where sure, the shipped model/bert (4x256 "
    "lac-pretrained+context) elsewhere; margins on dev",
    members=("model/baseline", "model/bert"),
)
VARIANTS["cascade(shipped, hybrid)"] = Variant(
    "cascade",
    "the shipped model/baseline answers where sure, hybrid(shipped) elsewhere; margins on dev",
    members=("model/baseline", "model/bert"),
    cascade={"second": "hybrid"},
)
VARIANTS["hybrid(shipped)"] = Variant(
    "hybrid",
    "stacked head over the shipped model/baseline and model/bert, fitted on dev",
    members=("model/baseline", "model/bert"),
)
