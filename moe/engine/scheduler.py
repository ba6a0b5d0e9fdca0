"""Picks the work of one engine step: a decode token for every running choice, then prompt
chunks (continuing prefills first, then newly admitted requests) within a token budget.

Waiting requests are admitted round-robin across groups (`moe.engine.waiting`), so one client's
big call cannot hold other clients' calls back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from moe.engine.block_manager import BlockManager
from moe.engine.request import Choice, Phase, Request
from moe.engine.waiting import FairQueue


@dataclass
class Work:
    """One chunk of the step's batch: prompt tokens of a request, or one decode token."""

    request: Request
    choice: Choice | None  # None: a prefill chunk on the shared prompt cache
    tokens: np.ndarray

    @property
    def cache(self) -> Any:
        return self.request.prompt_cache if self.choice is None else self.choice.cache


class Scheduler:
    def __init__(
        self,
        blocks: BlockManager,
        new_cache: Callable[[list[np.ndarray], int], Any],
        max_num_seqs: int,
        max_num_batched_tokens: int,
        max_model_len: int,
    ):
        self.blocks = blocks
        self._new_cache = new_cache  # (hit block rows, tokens to keep) -> LatentCache
        self.max_num_seqs = max_num_seqs
        self.max_num_batched_tokens = max_num_batched_tokens
        self.max_model_len = max_model_len
        self.waiting = FairQueue()
        self.running: list[Request] = []
        self.admitted: list[Request] = []
        """Requests admitted by the last `schedule` call."""

    @property
    def num_running_seqs(self) -> int:
        return sum(len(r.live_choices) for r in self.running)

    def blocks_needed(self, request: Request) -> int:
        """Worst case: every choice holds a full copy of prompt + its longest output."""
        total = min(request.num_prompt_tokens + request.max_output, self.max_model_len)
        return request.params.n * self.blocks.blocks_for(total)

    def add(self, request: Request) -> None:
        self.waiting.add(request)

    def remove(self, request: Request) -> None:
        if not self.waiting.remove(request) and request in self.running:
            self.running.remove(request)
        self.blocks.release(request.request_id)
        request.phase = Phase.DONE

    def schedule(self) -> list[Work]:
        work = [
            Work(r, c, np.array([c.output_ids[-1]], dtype=np.int32))
            for r in self.running
            if r.phase is Phase.DECODE
            for c in r.live_choices
        ]
        budget = self.max_num_batched_tokens - len(work)
        for r in self.running:
            if r.phase is Phase.PREFILL and budget > 0:
                budget -= self._add_prefill(work, r, budget)
        self.admitted = self._admit() if budget > 0 else []
        for r in self.admitted:
            if budget <= 0:
                break
            budget -= self._add_prefill(work, r, budget)
        return work

    def _add_prefill(self, work: list[Work], r: Request, budget: int) -> int:
        end = min(r.num_prompt_tokens, r.num_computed + budget)
        work.append(Work(r, None, np.asarray(r.prompt_ids[r.num_computed : end], np.int32)))
        return end - r.num_computed

    def _admit(self) -> list[Request]:
        """Move waiting requests into the running set, round-robin by group, while room remains.

        A request whose next prompt block is being computed by a request in flight waits one
        step so that it can reuse that block instead of computing it again; its group sits this
        step out (so the group stays in order) and the others go ahead. The head that does not
        fit stops admission: skipping it could starve a request with a large n.
        """
        admitted: list[Request] = []
        deferred: set[str] = set()  # groups whose head waits for a block in flight
        while len(deferred) <= self.max_num_seqs:  # bounded work per step
            r = next((h for h in self.waiting.heads() if h.group not in deferred), None)
            if r is None or self.num_running_seqs + r.params.n > self.max_num_seqs:
                break
            need = self.blocks_needed(r)
            if not self.blocks.can_reserve(need):
                break
            hit = self.blocks.match(r.prompt_ids)
            if hit.pending:
                deferred.add(r.group)
                continue
            self.waiting.take(r)
            self.blocks.reserve(r.request_id, need)
            r.prompt_cache = self._new_cache(hit.rows, hit.num_tokens)
            r.num_computed = r.cached_tokens = hit.num_tokens
            self.blocks.mark_pending(r.request_id, r.prompt_ids, hit.num_tokens)
            r.phase = Phase.PREFILL
            self.running.append(r)
            admitted.append(r)
        return admitted
