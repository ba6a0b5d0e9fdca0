"""A request (one prompt, n choices) and its choices' state as the engine moves them along."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moe.engine.detokenizer import Decoder, TextTracker
from moe.engine.sampler import SamplingParams, choice_rng
from moe.structured import States, matcher_for


class Phase(enum.Enum):
    WAITING = "waiting"
    PREFILL = "prefill"
    DECODE = "decode"
    DONE = "done"


@dataclass
class Choice:
    """One of a request's n completions: its own cache, generator and output."""

    index: int
    seed: int | None
    """The request's seed; the choice's generator is built from (seed, index) when first used."""
    text: TextTracker
    cache: Any = None
    """The choice's LatentCache, forked from the shared prompt cache after prefill."""
    output_ids: list[int] = field(default_factory=list)
    finish_reason: str | None = None
    last_token_at: float = 0.0
    states: States | None = None
    """Where the text stands in the request's grammar (None: no grammar, or not started)."""
    _rng: np.random.Generator | None = None

    @property
    def rng(self) -> np.random.Generator:
        # Built lazily: seeding takes ~25 us, most of the cost of queueing a request, and a
        # call with thousands of prompts would otherwise hold the event loop for that long.
        if self._rng is None:
            self._rng = choice_rng(self.seed, self.index)
        return self._rng

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None


@dataclass
class ChoiceDelta:
    """New text of one choice since the last output, and its finish reason once it ended."""

    index: int
    text: str
    token_ids: list[int]
    finish_reason: str | None = None


@dataclass
class RequestOutput:
    """What one engine step produced for one request."""

    request_id: str
    deltas: list[ChoiceDelta]
    finished: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    error: str | None = None
    """Set when the engine failed this request; the request is over."""


class Request:
    """A prompt with sampling parameters; prefilled once, then decoded as n choices."""

    def __init__(
        self,
        request_id: str,
        prompt_ids: list[int],
        params: SamplingParams,
        decoder: Decoder,
        eos_id: int | None,
        max_output: int,
        group: str | None = None,
    ):
        self.request_id = request_id
        self.group = group or request_id
        """Requests of one group are admitted in order; groups take turns (`FairQueue`)."""
        self.prompt_ids = list(prompt_ids)
        self.params = params
        self.eos_id = None if params.ignore_eos else eos_id
        self.max_output = max_output
        """Tokens each choice may generate: max_tokens clipped to what the context leaves."""
        self.arrived_at = time.perf_counter()
        self.phase = Phase.WAITING
        self.prompt_cache: Any = None
        self.num_computed = 0
        """Prompt tokens whose cache rows exist (hits from the prefix cache included)."""
        self.cached_tokens = 0
        self.matcher = matcher_for(params.grammar) if params.grammar is not None else None
        """The grammar's matcher, shared by the choices and by other requests of the grammar."""
        self.choices = [
            Choice(i, params.seed, TextTracker(decoder, params.stop))
            for i in range(params.n)
        ]

    @property
    def num_prompt_tokens(self) -> int:
        return len(self.prompt_ids)

    @property
    def live_choices(self) -> list[Choice]:
        return [c for c in self.choices if not c.finished]

    @property
    def completion_tokens(self) -> int:
        return sum(len(c.output_ids) for c in self.choices)

    def accept_token(self, choice: Choice, token: int) -> ChoiceDelta:
        """Record a sampled token and decide whether the choice is finished."""
        choice.output_ids.append(token)
        if token == self.eos_id:
            choice.finish_reason = "stop"
            choice.text.add_final()
            return ChoiceDelta(choice.index, choice.text.delta(final=True), [token], "stop")
        at_limit = len(choice.output_ids) >= self.max_output
        choice.text.add(token, final=at_limit)
        if choice.text.stopped:
            choice.finish_reason = "stop"
        elif at_limit:
            choice.finish_reason = "length"
        text = choice.text.delta(final=choice.finished)
        return ChoiceDelta(choice.index, text, [token], choice.finish_reason)
