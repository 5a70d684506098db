"""The pretraining corpus readers, the held-out split, and ELECTRA, on tiny inputs written here in each source's
shape."""

import json
import math
import random
import sqlite3

import pytest
import torch
from transformers import BertConfig, BertForMaskedLM

from fazhi.training.configs import PretrainConfig
from fazhi.training.corpus import (
    PROJECT,
    Document,
    build_corpus,
    law_group,
    law_texts,
    lawref_text,
    split_source,
    tagged_documents,
)

# A statute in LawRefBook's Markdown layout, written for this test (not copied from any law).
LAWREF_FILE = """\
# 中华人民共和国示例公开条例

2030年1月2日 示例机关令第1号公布

2030年3月1日 施行

<!-- INFO END -->

## 第一章 总则

第一条 为了规范示例信息的公开，制定本条例。

第二条 行政机关应当及时公开示例信息。

## 第二章 附则

第三条 本条例自公布之日起施行。
"""

INDEX_FILE = "---\nbookCollapseSection: true\n---\n"

NO_MARKER_FILE = """\
# 某市示例调解办法

第一条 调解委员会依法调解民间纠纷。

Page 1
"""


def _quiet(_message: str) -> None:
    pass


TAGGED_LINES = "".join(f"第{i}/m  行/n  文字/n  。/w\n" for i in range(25))


def _write_lawref(root):
    (root / "行政法规").mkdir(parents=True)
    (root / "DLC" / "某市").mkdir(parents=True)
    (root / "行政法规" / "_index.md").write_text(INDEX_FILE, encoding="utf-8")
    (root / "行政法规" / "示例公开条例(2030-01-02).md").write_text(LAWREF_FILE, encoding="utf-8")
    (root / "DLC" / "某市" / "示例调解办法.md").write_text(NO_MARKER_FILE, encoding="utf-8")
    return root


def _write_laws_db(path):
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE laws (law_id TEXT PRIMARY KEY, law_name TEXT NOT NULL, doc_type TEXT, level TEXT, \
issuing_body TEXT,
                           publish_date TEXT, effective_date TEXT, version_date TEXT, status TEXT, law_department TEXT);
        CREATE TABLE articles (id INTEGER PRIMARY KEY, law_id TEXT NOT NULL, law_name TEXT NOT NULL, \
law_department TEXT,
                               level TEXT, status TEXT, chapter TEXT, section TEXT, article_no TEXT, \
article_no_arabic INTEGER,
                               article_text TEXT, char_count INTEGER);
    """)
    rows = [
        (1, "b2", "中华人民共和国示例复议法", "第一条", "为了示例复议，制定本法。"),
        (2, "a1", "中华人民共和国示例公开条例", "第一条", "为了规范示例信息的公开，制定本条例。"),
        (3, "b2", "中华人民共和国示例复议法", "第二条", "复议机关依法办理复议案件。\n申请人可以委托代理人。"),
        (4, "a1", "中华人民共和国示例公开条例", "第二条", "行政机关应当及时公开示例信息。"),
    ]
    con.executemany(
        "INSERT INTO articles (id, law_id, law_name, article_no, article_text) VALUES (?, ?, ?, ?, ?)", rows
    )
    con.commit()
    con.close()
    return path


def test_lawref_reader_drops_the_title_issuing_lines_and_marker_and_keeps_headings_and_articles(tmp_path):
    laws = list(law_texts(f"lawref:{_write_lawref(tmp_path / 'laws')}"))
    assert [law.key for law in laws] == [
        "DLC/某市/示例调解办法.md",
        "行政法规/示例公开条例(2030-01-02).md",
    ]  # _index.md has no body
    law = laws[1]
    assert law.title == "中华人民共和国示例公开条例"
    assert law.paragraphs == [
        "第一章 总则",
        "第一条 为了规范示例信息的公开，制定本条例。",
        "第二条 行政机关应当及时公开示例信息。",
        "第二章 附则",
        "第三条 本条例自公布之日起施行。",
    ]
    # Without the marker only the title goes; a line without Chinese is furniture.
    assert laws[0].title == "某市示例调解办法" and laws[0].paragraphs == ["第一条 调解委员会依法调解民间纠纷。"]
    assert lawref_text(INDEX_FILE, "_index.md") is None


def test_lawref_source_without_a_folder_says_what_it_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="LawRefBook"):
        list(law_texts(f"lawref:{tmp_path / 'missing'}"))
    with pytest.raises(ValueError, match="lawref:FOLDER"):
        list(law_texts("lawref:"))


def test_laws_db_reader_gives_each_law_its_articles_in_order_one_paragraph_per_line(tmp_path):
    laws = list(law_texts(f"laws-db:{_write_laws_db(tmp_path / 'laws.db')}"))
    assert [(law.key, law.title) for law in laws] == [
        ("a1", "中华人民共和国示例公开条例"),
        ("b2", "中华人民共和国示例复议法"),
    ]
    assert laws[1].paragraphs == ["为了示例复议，制定本法。", "复议机关依法办理复议案件。", "申请人可以委托代理人。"]


def test_a_file_that_is_not_a_laws_database_is_refused_with_what_was_expected(tmp_path):
    bad = tmp_path / "laws.db"
    sqlite3.connect(bad).execute("CREATE TABLE other (x)").connection.close()
    with pytest.raises(ValueError, match="articles"):
        list(law_texts(f"laws-db:{bad}"))


def test_tagged_corpus_is_cut_into_blocks_of_lines_as_documents(tmp_path):
    corpus = tmp_path / "tagged.txt"
    corpus.write_text(TAGGED_LINES, encoding="utf-8")
    docs = list(tagged_documents(corpus, block=10))
    assert [len(d.paragraphs) for d in docs] == [10, 10, 5]
    assert docs[0].paragraphs[3] == ["第3", "行", "文字", "。"]


def test_one_statute_has_one_split_key_across_sources_and_versions():
    assert law_group("中华人民共和国示例公开条例") == law_group("示例公开条例(2030-01-02)") == "示例公开条例"
    assert law_group("示例公开条例") != law_group("示例复议法")


def test_held_out_documents_are_whole_deterministic_and_every_source_is_measured():
    docs = [Document(f"doc-{i}", [[f"词{i}", "执法", "。"]] * 3) for i in range(200)]
    part = split_source("reports", docs, 8, 0.1)
    again = split_source("reports", docs, 8, 0.1)
    assert [s.text for s in part.heldout] == [s.text for s in again.heldout]
    held_texts = {s.text for s in part.heldout}
    assert 5 <= part.heldout_documents <= 40  # about a tenth of 200
    assert not held_texts & {s.text for s in part.train}  # no document is in both slices
    assert part.characters == sum(len(w) for d in docs for p in d.paragraphs for w in p)  # nothing lost
    # Two documents and a small share: the lowest one is still held out, so the source gets a figure.
    few = split_source("few", docs[:2], 8, 1e-9)
    assert few.heldout_documents == 1 and few.heldout and few.train
    assert split_source("none", docs[:5], 8, 0.0).heldout == []


def test_build_corpus_reports_each_source_including_the_project_text(tmp_path):
    root = _write_lawref(tmp_path / "laws")
    db = _write_laws_db(tmp_path / "laws.db")
    messages: list[str] = []
    parts = build_corpus(
        [f"lawref:{root}", f"laws-db:{db}"], [("d1", ["全年办理行政复议案件六十四件。"])], 126, 0.0, log=messages.append
    )
    assert [p.name for p in parts] == ["lawref", "laws-db", PROJECT]
    assert parts[0].documents == 2 and parts[1].documents == 2 and parts[2].documents == 1
    assert parts[2].train[0].text == "全年办理行政复议案件六十四件。"
    assert "示例公开条例" not in "".join(s.text for s in parts[0].train)  # the title line is furniture
    assert parts[1].summary()["train_characters"] == sum(len(s.text) for s in parts[1].train) > 0
    assert len(messages) == 3 and all("characters" in m for m in messages)


def _tiny_encoder(tmp_path, tokenizer):
    model = BertForMaskedLM(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
        )
    )
    model.save_pretrained(tmp_path / "start")
    tokenizer.save_pretrained(tmp_path / "start")
    return tmp_path / "start"


def test_electra_discriminator_loss_falls_on_a_tiny_corpus(tiny_bert):
    from samples import TINY_SENTENCES

    from fazhi.training.corpus import Sequence
    from fazhi.training.electra import ElectraPretrainer
    from fazhi.training.pretrain import mask_batch

    _, tokenizer = tiny_bert
    torch.manual_seed(0)
    mlm = BertForMaskedLM(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
        )
    )
    trainer = ElectraPretrainer(mlm, generator_layers=1)
    # The generator starts as a copy of the encoder's first layer, under the very same embeddings.
    assert trainer.generator.embeddings is mlm.bert.embeddings
    first_layer = "encoder.layer.0.output.dense.weight"
    assert torch.equal(trainer.generator.get_parameter(first_layer), mlm.bert.get_parameter(first_layer))
    seqs = [Sequence(s, tuple(range(len(s)))) for s, _, _ in TINY_SENTENCES]
    config = PretrainConfig(max_length=64, whole_word=False, mask_prob=0.3)
    optim = torch.optim.AdamW(trainer.parameters(), lr=3e-3)
    rng = random.Random(1)
    losses = []
    for _ in range(60):
        batch = mask_batch(seqs, tokenizer, config, rng)
        loss, parts = trainer(batch)
        loss.backward()
        optim.step()
        optim.zero_grad()
        losses.append(parts)
    first = sum(p["rtd_loss"] for p in losses[:5]) / 5
    last = sum(p["rtd_loss"] for p in losses[-5:]) / 5
    share = sum(p["replaced_share"] for p in losses[-5:]) / 5
    base_rate = -(share * math.log(share) + (1 - share) * math.log(1 - share))  # knowing only how many are replaced
    assert last < 0.8 * first, (first, last)
    assert last < base_rate, (last, base_rate)


@pytest.mark.slow
def test_electra_pretraining_continues_an_encoder_and_saves_one_that_fine_tuning_loads(tmp_path, tiny_bert):
    from fazhi.model.bert import FazhiBertModel
    from fazhi.training.pretrain import pretrain

    _, tokenizer = tiny_bert
    start = _tiny_encoder(tmp_path, tokenizer)
    corpus = tmp_path / "tagged.txt"
    corpus.write_text(TAGGED_LINES, encoding="utf-8")
    config = PretrainConfig(
        max_length=32,
        epochs=3,
        batch_size=4,
        lr=3e-3,
        bf16=False,
        init_from=str(start),
        objective="electra",
        heldout_share=0.2,
    )
    out = pretrain(tmp_path / "electra", config, corpus=[str(corpus)], data=None, log=_quiet, progress=False)
    summary = json.loads((out / "pretrain_config.json").read_text(encoding="utf-8"))
    assert summary["finished"] and summary["steps"] > 0
    held = summary["heldout"]
    assert set(held["start"]) == set(held["end"]) == {str(corpus)}
    assert {"rtd_loss", "rtd_accuracy", "generator_mlm_loss"} <= set(held["end"][str(corpus)])
    assert (out / "vocab.txt").read_text(encoding="utf-8").split("\n")[: len(tokenizer)] == [
        t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    ]
    tagger = FazhiBertModel.from_pretrained(out)
    last_layer = f"encoder.layer.{tagger.config.num_hidden_layers - 1}.output.dense.weight"
    before = BertForMaskedLM.from_pretrained(start).bert.get_parameter(last_layer)
    after = tagger.bert.get_parameter(last_layer)
    assert after.shape == before.shape and not torch.allclose(after.float(), before.float())


def test_minutes_schedule_needs_minutes(tmp_path):
    from fazhi.training.pretrain import pretrain

    with pytest.raises(ValueError, match="--minutes"):
        pretrain(tmp_path / "x", PretrainConfig(schedule="minutes"), corpus=[], data=None, log=_quiet)
