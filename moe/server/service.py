"""What the routes share: the model, its engine (started lazily), limits and prompt building."""

from __future__ import annotations

import functools
import time
from typing import Any

from moe.engine.async_engine import AsyncEngine
from moe.engine.engine import EngineConfig, LLMEngine
from moe.inference import MoEModel
from moe.server.errors import APIError
from moe.server.limits import ServerLimits
from moe.server.schemas import Message

MODEL_NAME = "moe-tiny"


@functools.lru_cache(maxsize=1)
def default_model() -> MoEModel:
    """The shipped weights, loaded once per process (on first use, not at import)."""
    return MoEModel.load()


class Service:
    def __init__(
        self,
        model: Any = None,
        model_name: str = MODEL_NAME,
        limits: ServerLimits | None = None,
        engine_config: EngineConfig | None = None,
    ):
        self._model = model
        self.model_name = model_name
        self.limits = limits or ServerLimits()
        self.engine_config = engine_config or EngineConfig()
        self._engine: AsyncEngine | None = None
        self.created = int(time.time())

    @property
    def engine(self) -> AsyncEngine:
        """The engine, built on first use (the default model loads then)."""
        if self._engine is None:
            model = self._model if self._model is not None else default_model()
            self._engine = AsyncEngine(LLMEngine(model, self.engine_config))
        return self._engine

    def check_model(self, name: str) -> None:
        if name != self.model_name:
            raise APIError(404, f"The model `{name}` does not exist; this server serves "
                           f"`{self.model_name}`", param="model", code="model_not_found")

    def check_fanout(self, n: int, prompts: int) -> None:
        """400 when n x prompts exceeds `max_choices` (before any prompt is queued)."""
        if n * prompts > self.limits.max_choices:
            raise APIError(400, f"n={n} choices for each of {prompts} prompts is {n * prompts} "
                           f"completions; this server takes at most {self.limits.max_choices} "
                           "per call (max_choices): lower n or split the prompts",
                           param="n", code="too_many_choices")

    def model_card(self) -> dict:
        return {"id": self.model_name, "object": "model", "created": self.created,
                "owned_by": "pipe", "max_model_len": self.engine.engine.max_model_len}

    def chat_prompt(self, messages: list[Message]) -> list[int]:
        tokenizer = self.engine.engine.tokenizer
        turns = [{"role": "system" if m.role == "developer" else m.role, "content": m.text()}
                 for m in messages]
        return tokenizer.apply_chat_template(turns)

    def text_prompts(self, prompt: str | list[str] | list[int]) -> list[list[int]]:
        tokenizer = self.engine.engine.tokenizer
        if isinstance(prompt, str):
            prompt = [prompt]
        if prompt and all(isinstance(p, int) for p in prompt):
            vocab = tokenizer.vocab_size
            if any(not 0 <= p < vocab for p in prompt):
                raise APIError(400, f"prompt token ids must lie in 0..{vocab - 1}", param="prompt")
            return [list(prompt)]
        if not prompt:
            raise APIError(400, "the prompt list is empty", param="prompt")
        if len(prompt) > self.limits.max_prompts:
            raise APIError(400, f"{len(prompt)} prompts in one call; this server takes at most "
                           f"{self.limits.max_prompts} (max_prompts): split the list over "
                           "several calls", param="prompt", code="too_many_prompts")
        return [[tokenizer.bos_id, *tokenizer.encode(p)] for p in prompt]
