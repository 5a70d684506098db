"""The intermediate task on the laws: weak area labels from statute titles, and a short run that saves an encoder."""

import json
import sqlite3

import pytest
import torch
from transformers import BertConfig, BertForMaskedLM

from fazhi.training.intermediate import IntermediateConfig, area_of, build_task, law_articles, train_intermediate


def test_the_statutes_the_issue_names_get_their_areas_and_unrelated_ones_other():
    assert area_of("中华人民共和国政府信息公开条例") == "disclosure"
    for title in ("中华人民共和国行政复议法", "中华人民共和国行政诉讼法", "信访工作条例", "中华人民共和国人民调解法"):
        assert area_of(title) == "dispute", title
    assert area_of("中华人民共和国行政处罚法") == area_of("中华人民共和国行政强制法") == "enforcement"
    for title in ("重大行政决策程序暂行条例", "中华人民共和国立法法", "规章制定程序条例"):
        assert area_of(title) == "decision", title
    for title in ("中华人民共和国审计法", "中华人民共和国监察法", "中华人民共和国各级人民代表大会常务委员会监督法"):
        assert area_of(title) == "supervision", title
    assert area_of("中华人民共和国专利法") == "other"


def _laws_db(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, law_id TEXT, law_name TEXT, article_text TEXT)")
    laws = {
        "中华人民共和国示例行政复议法": "复议机关依法受理行政复议申请并作出复议决定",
        "示例政府信息公开条例": "行政机关应当主动公开政府信息并答复依申请公开",
        "中华人民共和国示例行政处罚法": "执法人员实施行政处罚应当出示执法证件",
        "示例规章制定程序条例": "起草规章应当听取意见并进行合法性审查",
        "中华人民共和国示例审计法": "审计机关对财政收支进行审计监督",
        "示例种子法": "种子生产经营者应当建立种子档案",
    }
    rows, n = [], 0
    for i, (title, text) in enumerate(laws.items()):
        for k in range(12):
            n += 1
            rows.append((n, f"law{i}", title, f"{text}，第{k}项。"))
    con.executemany("INSERT INTO articles VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def test_lawref_articles_are_grouped_at_each_article_with_their_items(tmp_path):
    root = tmp_path / "laws" / "行政法规"
    root.mkdir(parents=True)
    (root / "示例复议条例.md").write_text(
        "# 示例行政复议条例\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了示例复议，制定本条例。\n\n"
        "第二条 复议机关履行下列职责：\n\n（一）受理复议申请；\n\n（二）作出复议决定。\n\n## 第二章 附则\n\n"
        "第三条 本条例自公布之日起施行。\n",
        encoding="utf-8",
    )
    articles = list(law_articles(f"lawref:{tmp_path / 'laws'}"))
    assert [a.text for a in articles] == [
        "为了示例复议，制定本条例。",
        "复议机关履行下列职责：（一）受理复议申请；（二）作出复议决定。",
        "本条例自公布之日起施行。",
    ]
    assert {a.label for a in articles} == {"dispute"}


def test_task_caps_each_class_and_keeps_dev_statutes_out_of_training(tmp_path):
    db = _laws_db(tmp_path / "laws.db")
    train, dev, counts = build_task(
        IntermediateConfig(laws=(f"laws-db:{db}",), per_class=10, dev_share=0.3), log=lambda _m: None
    )
    assert set(counts) == {"dispute", "disclosure", "enforcement", "decision", "supervision", "other"}
    assert all(c["train"] + c["dev"] == 10 for c in counts.values())
    assert not {a.statute for a in train} & {a.statute for a in dev}


@pytest.mark.slow
def test_a_short_intermediate_run_saves_an_encoder_that_fine_tuning_loads(tmp_path, tiny_bert):
    from fazhi.model.bert import FazhiBertModel

    _, tokenizer = tiny_bert
    start = tmp_path / "start"
    BertForMaskedLM(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
        )
    ).save_pretrained(start)
    tokenizer.save_pretrained(start)
    db = _laws_db(tmp_path / "laws.db")
    config = IntermediateConfig(
        laws=(f"laws-db:{db}",),
        max_length=32,
        per_class=12,
        dev_share=0.0,
        minutes=0.05,
        lr=1e-3,
        bf16=False,
        batch_size=8,
    )
    out = train_intermediate(start, tmp_path / "out", config, log=lambda _m: None)
    summary = json.loads((out / "intermediate_config.json").read_text(encoding="utf-8"))
    assert summary["steps"] > 0 and summary["classes"]["dispute"]["train"] == 12
    first_layer = "encoder.layer.0.output.dense.weight"
    before = BertForMaskedLM.from_pretrained(start).bert.get_parameter(first_layer)
    after = FazhiBertModel.from_pretrained(out).bert.get_parameter(first_layer)
    assert not torch.allclose(before.float(), after.float())
    assert not (tmp_path / "out.checkpoint").exists()


@pytest.mark.slow
def test_an_interrupted_intermediate_run_continues_from_its_checkpoint(tmp_path, tiny_bert, monkeypatch):
    import fazhi.training.common as common

    _, tokenizer = tiny_bert
    start = tmp_path / "start"
    BertForMaskedLM(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
        )
    ).save_pretrained(start)
    tokenizer.save_pretrained(start)
    db = _laws_db(tmp_path / "laws.db")
    config = IntermediateConfig(
        laws=(f"laws-db:{db}",),
        max_length=32,
        per_class=12,
        dev_share=0.0,
        minutes=0.03,
        lr=1e-3,
        bf16=False,
        batch_size=8,
        checkpoint_minutes=0.0,
    )

    def fail(_output):
        raise KeyboardInterrupt

    monkeypatch.setattr(common, "atomic_directory", fail)  # stopped while saving: the checkpoint must survive
    with pytest.raises(KeyboardInterrupt):
        train_intermediate(start, tmp_path / "out", config, log=lambda _m: None)
    assert (tmp_path / "out.checkpoint" / "checkpoint.pt").is_file()
    monkeypatch.undo()
    messages: list[str] = []
    train_intermediate(start, tmp_path / "out", config, log=messages.append)
    assert any(m.startswith("continuing from") for m in messages), messages
    assert json.loads((tmp_path / "out" / "intermediate_config.json").read_text(encoding="utf-8"))["steps"] > 0
