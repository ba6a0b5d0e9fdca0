"""Serving engine for the embedded MoE model: continuous batching, prefix cache, sampling.

`LLMEngine` is the synchronous core (one `step()` is one batched forward pass); `AsyncEngine`
runs it from asyncio with one task and a worker thread.
"""

from moe.engine.async_engine import AsyncEngine
from moe.engine.block_manager import BlockManager
from moe.engine.engine import EngineConfig, LLMEngine, RequestRejected
from moe.engine.request import ChoiceDelta, RequestOutput
from moe.engine.sampler import SamplingParams

__all__ = [
    "AsyncEngine", "BlockManager", "ChoiceDelta", "EngineConfig", "LLMEngine", "RequestOutput",
    "RequestRejected", "SamplingParams",
]
