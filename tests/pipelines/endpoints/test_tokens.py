"""The prompt-token bound `--max-cost` reserves: exact on the embedded server (its own
tokenizer), and never below the real count elsewhere, on texts that defeat a characters / 3
estimate: long digit runs, CJK, emoji with modifiers and flags."""

from __future__ import annotations

import asyncio

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from moe.checkpoint import DEFAULT_WEIGHTS_DIR, TOKENIZER_FILE
from moe.tokenizer import Tokenizer as MoETokenizer
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.endpoints.tokens import (TEMPLATE_TOKENS_PER_CALL, TEMPLATE_TOKENS_PER_MESSAGE,
                                        prompt_token_bound, utf8_token_bound)
from pipelines.execution.call_path import estimate_prompt_tokens
from pipelines.types import ChatRequest

ADVERSARIAL = {
    "digits": "31415926535897932384626433832795028841971693993751" * 4,
    "cjk": "東京都の天気は晴れ時々曇り、最高気温は二十三度です。" * 4,
    "emoji": "👍🏽🇯🇵👨‍👩‍👧‍👦🙂" * 8,
    "mixed": "x=１２３ 漢字 🙂 0.000001 ∑∫√ " * 5,
}


def messages(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": text}]


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_embedded_bound_is_exactly_what_the_server_counts(kind):
    msgs = messages(ADVERSARIAL[kind])
    bound = prompt_token_bound(resolve_endpoint("embedded"))(msgs)

    async def served_prompt_tokens() -> int:
        async with EndpointClient(resolve_endpoint("embedded")) as client:
            result = await client.chat(ChatRequest(model="moe-tiny", messages=tuple(msgs),
                                                   params={"max_tokens": 1}))
        return result.usage.prompt_tokens

    served = asyncio.run(served_prompt_tokens())
    assert bound == served
    if kind in ("digits", "cjk", "emoji"):  # what the old characters / 3 estimate reserved
        assert estimate_prompt_tokens(msgs) < served


def byte_level_bpe() -> Tokenizer:
    """A GPT-2 / DeepSeek-style byte-level BPE trained on the adversarial texts themselves,
    so it has merged multi-byte CJK and emoji tokens (the case where bytes overcount most)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2000, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(ADVERSARIAL.values()) * 20, trainer)
    return tok


def sentencepiece_style_bpe() -> Tokenizer:
    """A Llama-2-style BPE: Metaspace (a `▁` dummy prefix), single digits, byte fallback."""
    tok = Tokenizer(models.BPE(byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Metaspace(),
                                                 pre_tokenizers.Digits(individual_digits=True)])
    specials = [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials, show_progress=False)
    tok.train_from_iterator(["hello world", "the answer is"] * 50, trainer)
    return tok


@pytest.mark.parametrize("make", [byte_level_bpe, sentencepiece_style_bpe])
@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_utf8_bytes_never_undercount_a_byte_level_tokenizer(make, kind):
    tok, text = make(), ADVERSARIAL[kind]
    tokens = len(tok.encode(text).ids)
    size = len(text.encode("utf-8"))
    # byte level: every token covers >= 1 byte; SentencePiece adds one `▁` before the text
    assert tokens <= size + 1 <= size + TEMPLATE_TOKENS_PER_MESSAGE
    msgs = messages(text)
    real = sum(len(tok.encode(m["content"]).ids) for m in msgs)
    assert utf8_token_bound(msgs) >= real + TEMPLATE_TOKENS_PER_CALL


def test_utf8_bound_covers_the_embedded_template_too():
    tok = MoETokenizer.load(DEFAULT_WEIGHTS_DIR / TOKENIZER_FILE)
    for text in ADVERSARIAL.values():
        msgs = messages(text)
        assert utf8_token_bound(msgs) >= len(tok.apply_chat_template(msgs))
    # the figures the bound is made of, for the digits text (200 bytes, 15-byte system line)
    digits = messages(ADVERSARIAL["digits"])
    assert utf8_token_bound(digits) == 200 + 15 + 2 * TEMPLATE_TOKENS_PER_MESSAGE \
        + TEMPLATE_TOKENS_PER_CALL == 295
