"""The model card (README.md) written into every BERT model directory."""

from __future__ import annotations

from pathlib import Path


def write_model_card(directory: Path, config, metrics: dict | None) -> Path:
    t = getattr(config, "fazhi_training", {}) or {}
    c = t.get("config", {})
    lines = [
        f"# {getattr(config, 'fazhi_name', 'fazhi-bert')}",
        "",
        "Sentence tagger for Chinese rule-of-law government annual reports (法治政府建设年度报告): "
        "a BERT encoder with a six-way category head (decision, enforcement, dispute, disclosure, "
        "supervision, other) and a problem-statement head, trained jointly by `fazhi train`.",
        "",
        "## Model",
        "",
        f"- encoder: {config.num_hidden_layers} layers, hidden {config.hidden_size}, {config.num_attention_heads} heads, vocabulary {config.vocab_size} (character level)",
        f"- starting point: {c.get('base_model') or 'compact BERT trained from scratch'}",
        f"- inputs: one sentence, at most {getattr(config, 'fazhi_max_length', 128) - 2} characters (longer text is truncated)",
        f"- problem threshold: {getattr(config, 'problem_threshold', 0.5):.2f} (chosen on dev)",
        f"- prediction: {'dynamic int8 Linear layers (quantised at load); test figures below are of this form' if getattr(config, 'fazhi_int8', False) else 'float32'}",
        "",
        "## Training",
        "",
        f"- data: train {t.get('train_rows')} sentences, dev {t.get('dev_rows')}, test {t.get('test_rows')} (fazhi `data/labels`, split by document)",
        f"- settings: epochs ≤ {c.get('epochs')}, best epoch {t.get('best_epoch')}, batch {c.get('batch_size')}, lr {c.get('lr')}, "
        f"class weighting {c.get('class_weighting')}, seed {c.get('seed')}; {t.get('minutes')} minutes",
        f"- dev: category macro-F1 {t.get('dev_macro_f1', 0):.3f}, problem F1 {t.get('dev_problem_f1', 0):.3f}",
        "",
        "## Test figures",
        "",
    ]
    if metrics:
        lines += ["| part | n | category macro-F1 | accuracy | problem P | problem R | problem F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
        for part, m in metrics.items():
            p = m["problem"]
            lines.append(f"| {part} | {m['n']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} | {p['precision']:.3f} | {p['recall']:.3f} | {p['f1']:.3f} |")
        lines += ["", "`seed` is real published text (two reports); `written` is text written for the project.", "Per-class figures: `evaluation.md`."]
    else:
        lines.append("(no test split was given)")
    lines += [
        "",
        "## Known limits",
        "",
        "- Trained on a few thousand sentences, most written for the project; the real-text test is two reports.",
        "- Reads one sentence at a time: a unit whose meaning depends on its section (a bare 一是… item) can be mislabelled.",
        "- Headings that run into their paragraph without punctuation are not split by the segmenter and are labelled as one unit.",
        "",
    ]
    path = directory / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
