"""The model card (README.md) of a model directory, written from the directory's own files.

The card reads ``config.json`` (what the model is and how it was trained) and
``evaluation.json`` (what was measured), so `fazhi train` and
`fazhi evaluate --update-model-card` both refresh it and it can never disagree with them. Real-text figures come
first: they are the ones that say how the model does on published reports.
"""

from __future__ import annotations

import json
from pathlib import Path

from fazhi.labels import CATEGORIES
from fazhi.model.config import (
    CONTEXT,
    DEFAULT_MAX_LENGTH,
    INT8,
    KIND,
    MAX_LENGTH,
    NAME,
    TRAINING,
    read_config,
    write_text,
)


def format_figure(m: dict, key: str, ci: bool = True, sep: str = "–", undefined: str = "– (no problem units)") -> str:
    """One figure of a metrics dict: 'macro_f1', or the problem flag's 'precision', 'recall' or 'f1', with its
    bootstrap interval when there is one; problem figures of a part without problem units are undefined."""
    if key != "macro_f1" and m["problem"].get("support") == 0:
        return undefined
    value = m["macro_f1"] if key == "macro_f1" else m["problem"][key]
    interval = (m.get("ci") or {}).get("macro_f1" if key == "macro_f1" else f"problem_{key}") if ci else None
    return f"{value:.3f} [{interval[0]:.2f}{sep}{interval[1]:.2f}]" if interval else f"{value:.3f}"


def _fmt(m: dict, key: str) -> str:
    return format_figure(m, key)


def real_headline(evaluation: dict) -> dict | None:
    """The headline real-text figures: by document (as `fazhi tag` reads reports), over all parts."""
    real = evaluation.get("real") or {}
    m = (real.get("by document") or {}).get("all")
    if not m:
        return None
    return {
        "source": real.get("source", ""),
        "units": m["n"],
        "documents": m.get("documents"),
        "macro_f1": m["macro_f1"],
        "problem_f1": m["problem"]["f1"],
        "problem_precision": m["problem"]["precision"],
        "problem_recall": m["problem"]["recall"],
        "ci": m.get("ci", {}),
    }


def _model_lines(config: dict) -> list[str]:
    if config.get(KIND) in ("cascade", "hybrid"):
        from fazhi.model.cascade import card_lines

        return card_lines(config)
    if config.get(KIND) == "baseline":
        bc = config.get("baseline_config", {})
        return [
            "- kind: character n-gram TF-IDF with logistic regression (category and problem)",
            f"- n-grams: {bc.get('ngram_min')}–{bc.get('ngram_max')} characters; context block weight "
            f"{bc.get('context_weight', 0)}",
            f"- problem threshold: {config.get('problem_threshold', 0.5):.2f} (chosen on dev)",
        ]
    t = config.get(TRAINING, {}) or {}
    c = t.get("config", {})
    context = (
        "the unit plus its context (report title › headings above it) as the second segment"
        if config.get(CONTEXT)
        else "the unit alone"
    )
    prediction = (
        "dynamic int8 Linear layers (quantised at load); the figures below are of this form"
        if config.get(INT8)
        else "float32"
    )
    return [
        f"- encoder: {config.get('num_hidden_layers')} layers, hidden {config.get('hidden_size')}, "
        f"{config.get('num_attention_heads')} heads, vocabulary {config.get('vocab_size')} (character level)",
        f"- starting point: {c.get('base_model') or 'compact BERT trained from scratch'}",
        f"- reads: {context}, at most {config.get(MAX_LENGTH, DEFAULT_MAX_LENGTH) - 2} characters in all",
        f"- problem threshold: {config.get('problem_threshold', 0.5):.2f} (chosen on the project's dev split)",
        f"- prediction: {prediction}",
        f"- training: train {t.get('train_rows')} units, dev {t.get('dev_rows')}; best epoch {t.get('best_epoch')} "
        f"of at most {c.get('epochs')}, lr {c.get('lr')}, seed {c.get('seed')}; {t.get('minutes')} minutes",
    ]


def write_model_card(directory: Path) -> Path:
    directory = Path(directory)
    config = read_config(directory)
    evaluation_file = directory / "evaluation.json"
    evaluation = json.loads(evaluation_file.read_text(encoding="utf-8")) if evaluation_file.is_file() else {}
    name = config.get(NAME) or config.get("metadata", {}).get("name") or directory.name
    lines = [
        f"# {name}",
        "",
        "Sentence tagger for Chinese rule-of-law government reports (法治政府建设年度报告 and the area reports "
        "that feed them): a category (" + ", ".join(CATEGORIES) + ") and a problem-statement flag per sentence unit.",
        "",
        "## Model",
        "",
        *_model_lines(config),
        "",
        "## Real-text figures (the headline)",
        "",
    ]
    real = evaluation.get("real")
    if real:
        lines += [
            f"Published documents none of the training data comes from (`{real.get('source')}`); 95% bootstrap "
            "intervals over documents. *By document* tags each whole document as `fazhi tag` does.",
            "",
            "| scoring | part | units | category macro-F1 | problem P | problem R | problem F1 |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for mode in ("by document", "by unit"):
            for part, m in (real.get(mode) or {}).items():
                lines.append(
                    f"| {mode} | {part} | {m['n']} | {_fmt(m, 'macro_f1')} | {_fmt(m, 'precision')} | "
                    f"{_fmt(m, 'recall')} | {_fmt(m, 'f1')} |"
                )
    else:
        lines.append("Not measured: run `fazhi evaluate MODEL --real FOLDER` with a real-text folder.")
    lines += ["", "## Test split of the label data (secondary)", ""]
    test = evaluation.get("test")
    if test:
        lines += [
            "`written` text was written for the project by the same hands as the training data and is easier "
            "than published text; `seed` is two real reports.",
            "",
            "| part | units | category macro-F1 | problem P | problem R | problem F1 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for part, m in test.items():
            lines.append(
                f"| {part} | {m['n']} | {_fmt(m, 'macro_f1')} | {_fmt(m, 'precision')} | {_fmt(m, 'recall')} | "
                f"{_fmt(m, 'f1')} |"
            )
    else:
        lines.append("(no test split was given)")
    lines += [
        "",
        "Per-class figures: `evaluation.md`. How fazhi chose its default among this and the BERT, cascade and hybrid "
        "models: `docs/ablation.md` in the repository (realdev by document, three seeds for the finalists).",
        "",
        "## Known limits",
        "",
        "- Most training text was written for the project; real area reports (disclosure tables, audit, proposal "
        "handling) remain the hardest part.",
        "- The context is the report title and the two innermost headings; a unit whose area only a distant "
        "paragraph gives is still read without it.",
        "- Headings that run into their paragraph without punctuation are not split by the segmenter and are "
        "labelled as one unit.",
        "",
    ]
    return write_text(directory / "README.md", "\n".join(lines))
