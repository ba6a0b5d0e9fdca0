"""BLAS runs on one thread while the engine or the static-batch generator computes, and only then."""

from __future__ import annotations

import asyncio

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from moe.engine import AsyncEngine, EngineConfig, LLMEngine, SamplingParams
from moe.inference import generate

from tests.moe.engine.conftest import prompt, small_model


def blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


class RecordingModel:
    """The small model, recording the BLAS thread counts in effect during each forward pass."""

    def __init__(self, model):
        self._model, self.seen = model, []
        self.config, self.tokenizer = model.config, model.tokenizer

    def kv_bytes_per_token(self):
        return self._model.kv_bytes_per_token()

    def forward(self, chunks):
        self.seen.append(blas_threads())
        return self._model.forward(chunks)


def test_async_engine_runs_its_steps_on_one_blas_thread_and_gives_the_limit_back():
    model = RecordingModel(small_model())
    engine = AsyncEngine(LLMEngine(model, EngineConfig()))

    async def scenario() -> None:
        stream = engine.submit(prompt(small_model(), "hi"), SamplingParams(max_tokens=4, seed=0))
        async for _ in stream:
            pass
        await engine.stop()

    with threadpool_limits(limits=2, user_api="blas"):  # a threaded BLAS, where the machine has the cores
        before = blas_threads()
        asyncio.run(scenario())
        after = blas_threads()
    assert blas_threads and model.seen and all(threads == [1] * len(before) for threads in model.seen)
    assert after == before


def test_generate_runs_on_one_blas_thread_and_gives_the_limit_back():
    model = RecordingModel(small_model())
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        generate(model, [[1, 5, 9], [2, 7]], 3, 1.0, np.random.default_rng(0))
        after = blas_threads()
    assert model.seen and all(threads == [1] * len(before) for threads in model.seen)
    assert after == before
