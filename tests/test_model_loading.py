"""Loading refuses a model directory that would answer wrongly, with one line naming what is wrong."""

import json
import shutil

import pytest

from fazhi.cli import EXIT_MODEL, main
from fazhi.model import ModelLoadError, load_model
from fazhi.paths import DEFAULT_BASELINE_DIR, DEFAULT_BERT_DIR

REPORT = "data/reports/written/written_a03.txt"


@pytest.fixture
def without_tokenizer(tmp_path):
    """The shipped BERT's weights and config, without its tokenizer files."""
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(DEFAULT_BERT_DIR / name, broken / name)
    return broken


def test_a_model_directory_without_its_tokenizer_is_refused(without_tokenizer):
    with pytest.raises(ModelLoadError) as err:
        load_model(without_tokenizer)
    message = str(err.value)
    vocab_size = json.loads((without_tokenizer / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    assert "\n" not in message and str(without_tokenizer) in message
    assert "tokenizer" in message and f"vocabulary of {vocab_size}" in message


def test_a_tokenizer_that_reads_chinese_as_unknown_is_refused(tmp_path, tiny_bert):
    """Same vocabulary size as the model, but no Chinese characters: every character would be [UNK]."""
    from fazhi.model.bert import fazhi_config
    from fazhi.training.vocab import build_vocab, make_tokenizer

    model, _ = tiny_bert
    tokenizer = make_tokenizer(build_vocab(["plain ascii text only"]), tmp_path / "tok")
    model.config = fazhi_config(model.config)
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    with pytest.raises(ModelLoadError, match=r"\[UNK\].*does not cover Chinese"):
        load_model(tmp_path / "m")


def test_the_shipped_bert_passes_the_tokenizer_checks():
    model = load_model(DEFAULT_BERT_DIR)
    assert len(model.tokenizer) == model.model.config.vocab_size


def test_int8_asked_of_a_baseline_model_is_refused_in_one_line():
    with pytest.raises(ModelLoadError, match=r"int8 applies to BERT models, found a baseline model"):
        load_model(DEFAULT_BASELINE_DIR, quantize=True)


def test_an_invalid_config_json_is_named_in_the_error(tmp_path):
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelLoadError, match=str(tmp_path / "config.json")):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text('["a list"]', encoding="utf-8")
    with pytest.raises(ModelLoadError, match="config.json: expected a JSON object"):
        load_model(tmp_path)


def test_tag_with_a_broken_model_prints_one_line_and_its_own_exit_code(without_tokenizer, capsys):
    status = main(["tag", "--model", str(without_tokenizer), REPORT])
    err = capsys.readouterr().err.strip()
    assert status == EXIT_MODEL and status not in (0, 1, 2)  # 1 is "some reports failed", 2 a usage error
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "tokenizer" in err
    assert "Traceback" not in err
