"""The vocabulary trie's masks against brute force: at every step of random answers, exactly
the tokens whose whole text keeps the answer in its grammar are allowed (end-of-sequence
exactly where it may end), through the memo and its shared keys for bounded strings."""

from __future__ import annotations

import numpy as np

from moe.structured import Matcher, TokenIndex, compile_schema
from moe.tokenizer import Tokenizer

from tests.moe.engine.conftest import small_model

SCHEMA = {"type": "object", "required": ["a", "b"], "properties": {
    "a": {"type": "array", "items": {"type": "string", "minLength": 2, "maxLength": 5}, "maxItems": 3},
    "b": {"anyOf": [{"type": "integer"}, {"enum": ["x\\y", "z"]}]},
    "c": {"type": "string"}}}


def brute_force(matcher: Matcher, texts: list[str], eos_id: int, states) -> list[int]:
    ids = [i for i, t in enumerate(texts) if t and matcher.feed(states, t)]
    return sorted(ids + ([eos_id] if matcher.can_end(states) else []))


def test_masks_are_exactly_the_tokens_that_keep_the_answer_in_the_grammar():
    tokenizer: Tokenizer = small_model().tokenizer
    texts = ["" if i in tokenizer.specials else tokenizer.token_text(i) for i in range(tokenizer.vocab_size)]
    index = TokenIndex(texts, tokenizer.eos_id)
    matcher, rng, checked = Matcher(compile_schema(SCHEMA)), np.random.default_rng(5), 0
    for _ in range(12):
        states = matcher.start()
        for _ in range(60):
            allowed = index.allowed(matcher, states).tolist()
            assert allowed == brute_force(matcher, texts, tokenizer.eos_id, states)
            checked += 1
            token = allowed[int(rng.integers(len(allowed)))]
            if token == tokenizer.eos_id:
                break
            states = matcher.feed(states, texts[token])
    assert checked > 200


def test_one_grammar_served_to_two_vocabularies_keeps_their_masks_apart():
    matcher = Matcher(compile_schema({"enum": ["ab", "b"]}))
    small, large = TokenIndex(["", "a", "b", '"'], eos_id=0), TokenIndex(["", '"a', "b", '"', '"b"', "x"], eos_id=0)
    start = matcher.start()
    assert small.allowed(matcher, start).tolist() == [3]  # only the quote opens
    assert large.allowed(matcher, start).tolist() == [1, 3, 4]  # '"a', '"', '"b"'
    assert small.allowed(matcher, start).tolist() == [3]
