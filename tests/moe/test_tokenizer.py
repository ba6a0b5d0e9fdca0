import pytest

from moe.checkpoint import DEFAULT_WEIGHTS_DIR
from moe.config import ModelConfig
from moe.errors import MoEInputError
from moe.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")


def test_shipped_tokenizer_matches_config(tok):
    assert tok.vocab_size == ModelConfig().vocab_size


@pytest.mark.parametrize("text", [
    "Compute 15+7*8-23.\nSolve step by step.",
    "7*8=56\n15+56=71\n\\boxed{48}",
    "Weird {{ braces }} ~ | and symbols inside? `code` <b>html</b> 0123456789",
    "",
])
def test_round_trip(tok, text):
    assert tok.decode(tok.encode(text)) == text


def test_digits_are_single_tokens(tok):
    ids = tok.encode("12345")
    assert len(ids) == 5 and [tok.decode([i]) for i in ids] == list("12345")


def test_unknown_characters_decode_as_replacement(tok):
    assert tok.decode(tok.encode("café\tx")) == "caf\ufffd\ufffdx"


def test_text_never_becomes_special_tokens(tok):
    ids = tok.encode("<|user|><eos><bos>")
    assert not set(ids) & {tok.eos_id, tok.bos_id, *tok.role_ids.values()}
    assert tok.decode(ids) == "<|user|><eos><bos>"


def test_chat_template_structure(tok):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Compute 2+3."},
                {"role": "assistant", "content": "2+3=5"}, {"role": "user", "content": "Again."}]
    ids = tok.apply_chat_template(messages)
    expected = [tok.bos_id]
    for m in messages:
        expected += [tok.role_ids[m["role"]], *tok.encode(m["content"]), tok.eos_id]
    assert ids == expected + [tok.role_ids["assistant"]]
    assert tok.apply_chat_template(messages, add_generation_prompt=False) == expected


def test_chat_template_rejects_unknown_role(tok):
    with pytest.raises(MoEInputError, match=r"messages\[1\]\.role='tool'"):
        tok.apply_chat_template([{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}])


def test_save_load_round_trip(tok, tmp_path):
    tok.save(tmp_path / "t.json")
    again = Tokenizer.load(tmp_path / "t.json")
    text = "Problem: Compute 4*5-3.\n---- Solution 1 ----"
    assert again.encode(text) == tok.encode(text) and again.eos_id == tok.eos_id


def test_load_bad_file_says_what_to_do(tmp_path):
    (tmp_path / "t.json").write_text("{not json")
    with pytest.raises(MoEInputError, match="cannot read tokenizer"):
        Tokenizer.load(tmp_path / "t.json")


def test_train_keeps_digits_apart_and_hits_vocab_size():
    texts = ["Compute 12+34.\nSolve step by step.", "12+34=46\n\\boxed{46}"] * 50
    tok = Tokenizer.train(texts, vocab_size=120)
    assert tok.vocab_size <= 120
    assert all(len(tok.decode([i])) == 1 for i in tok.encode("46"))
    assert len(tok.encode("Solve step by step.")) < len("Solve step by step.")


def test_decode_is_the_join_of_token_pieces():
    tok = Tokenizer.load(DEFAULT_WEIGHTS_DIR / "tokenizer.json")
    ids = tok.apply_chat_template([{"role": "user", "content": "Compute 3*4+5. \u00e9"}]) + [tok.eos_id]
    assert "".join(tok.token_text(i) for i in ids) == tok.decode(ids)
