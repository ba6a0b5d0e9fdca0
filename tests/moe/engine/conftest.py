"""A small random MoE model (same code as the shipped one, tiny sizes) and engine helpers."""

from __future__ import annotations

import functools

import pytest

from moe.config import ModelConfig
from moe.engine import EngineConfig, LLMEngine, SamplingParams
from moe.inference import MoEModel

SMALL = ModelConfig(
    d_model=64, n_layers=2, n_heads=2, kv_lora_rank=16, qk_nope_dim=8, qk_rope_dim=8,
    v_head_dim=8, n_routed_experts=8, n_shared_experts=1, top_k=2, expert_hidden=32,
    max_seq_len=256,
)


@functools.lru_cache(maxsize=1)
def small_model() -> MoEModel:
    return MoEModel.random(SMALL, seed=0)


@pytest.fixture
def model() -> MoEModel:
    return small_model()


def prompt(model: MoEModel, text: str) -> list[int]:
    return model.tokenizer.apply_chat_template([{"role": "user", "content": text}])


def run(engine: LLMEngine, requests: list) -> dict[str, dict]:
    """Step until idle; per request: texts and token ids by choice, finish reasons, final output."""
    results: dict[str, dict] = {}
    for r in requests:
        engine.add(r)
    while engine.has_work():
        for out in engine.step():
            res = results.setdefault(out.request_id, {"texts": {}, "ids": {}, "finish": {}, "final": None})
            for d in out.deltas:
                res["texts"][d.index] = res["texts"].get(d.index, "") + d.text
                res["ids"][d.index] = res["ids"].get(d.index, []) + d.token_ids
                if d.finish_reason:
                    res["finish"][d.index] = d.finish_reason
            if out.finished:
                res["final"] = out
    return results


def generate(model: MoEModel, text: str, engine: LLMEngine | None = None, **params) -> dict:
    engine = engine or LLMEngine(model, EngineConfig())
    request = engine.make_request(prompt(model, text), SamplingParams(**params))
    return run(engine, [request])[request.request_id]
