"""Constrained decoding in the engine: every choice of a request with a grammar ends as an answer
of it, seeded choices repeat, and a constrained row does not change its free neighbours."""

from __future__ import annotations

import json

import jsonschema
import pytest

from moe.engine import EngineConfig, LLMEngine, SamplingParams
from moe.engine.engine import RequestRejected
from moe.structured import compile_schema

from tests.moe.engine.conftest import prompt, run

ANSWER = {"type": "object", "required": ["answer", "steps", "sure"], "properties": {
    "answer": {"type": "integer"},
    "steps": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3},
    "sure": {"type": "boolean"},
    "unit": {"enum": ["m", "kg", None]}}}


def _alone(model, text: str, params: SamplingParams) -> dict:
    engine = LLMEngine(model, EngineConfig())
    return run(engine, [engine.make_request(prompt(model, text), params, "r")])["r"]


def test_every_choice_is_an_answer_of_the_schema_even_from_a_random_model(model):
    engine = LLMEngine(model, EngineConfig())
    params = SamplingParams(max_tokens=220, temperature=1.0, n=6, seed=3, grammar=compile_schema(ANSWER))
    requests = [engine.make_request(prompt(model, f"Question {i}: 2+{i}?"), params) for i in range(3)]
    results = run(engine, requests)
    for res in results.values():
        assert set(res["finish"].values()) == {"stop"}, res["texts"]  # each ended by the schema
        for text in res["texts"].values():
            jsonschema.validate(json.loads(text), ANSWER)


def test_seeded_constrained_choices_repeat_and_leave_free_neighbours_alone(model):
    grammar = compile_schema(ANSWER)
    constrained = SamplingParams(max_tokens=120, temperature=0.8, n=2, seed=11, grammar=grammar)
    free = SamplingParams(max_tokens=40, temperature=0.8, n=2, seed=12)
    alone = {"constrained": _alone(model, "hi", constrained), "free": _alone(model, "hi", free)}
    engine = LLMEngine(model, EngineConfig())
    together = run(engine, [engine.make_request(prompt(model, "hi"), constrained, "c"),
                            engine.make_request(prompt(model, "hi"), free, "f")])
    assert together["c"]["texts"] == alone["constrained"]["texts"]
    assert together["f"]["texts"] == alone["free"]["texts"]
    assert alone["free"]["texts"][0] and not alone["free"]["texts"][0].startswith("{")  # it was free


def test_greedy_decoding_under_a_grammar_takes_the_best_allowed_token(model):
    text = _alone(model, "pick", SamplingParams(max_tokens=20, temperature=0.0,
                                                grammar=compile_schema({"enum": ["yes", "no"]})))
    assert text["texts"][0] in ('"yes"', '"no"') and text["finish"][0] == "stop"


def test_ignore_eos_with_a_grammar_is_refused_before_queueing(model):
    engine = LLMEngine(model, EngineConfig())
    with pytest.raises(RequestRejected, match="ignore_eos cannot be combined"):
        engine.make_request(prompt(model, "x"), SamplingParams(ignore_eos=True, grammar=compile_schema({})))
