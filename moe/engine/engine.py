"""The synchronous engine core: one `step()` = schedule, one batched forward, sample, emit."""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moe.engine.block_manager import BlockManager
from moe.engine.request import Choice, ChoiceDelta, Phase, Request, RequestOutput
from moe.engine.sampler import SamplingParams, sample_batch
from moe.engine.scheduler import Scheduler, Work
from moe.engine.stats import EngineStats
from moe.inference import LatentCache, SeqChunk, SlotPool
from moe.structured import TokenIndex


Job = tuple[Request, Choice, np.ndarray]
"""A token to sample: the request, its choice and the logits row to sample from."""


class EngineConfig(BaseModel):
    """Capacity and batching limits of an engine."""

    model_config = ConfigDict(extra="forbid")

    block_size: int = Field(8, ge=1, le=1024)
    """Tokens per prefix-cache block. Small, because the BPE prompts here are short: in the simulated
    RSA run of benchmarks/moe_serving.py (table 2b) blocks of 8 served 89% of the aggregation
    prompts' tokens from the cache against 83% with 16."""
    kv_cache_mb: float = Field(256.0, gt=0)
    """KV pool size (live requests plus prefix cache) when num_blocks is not given."""
    num_blocks: int | None = Field(None, ge=1)
    """KV pool size in blocks; overrides kv_cache_mb."""
    max_num_seqs: int = Field(64, ge=1)
    """Most choices decoding at once."""
    max_num_batched_tokens: int = Field(512, ge=1)
    """Most tokens (decode tokens plus prompt chunks) in one forward pass."""
    max_model_len: int | None = Field(None, ge=2)
    """Context length; defaults to the model's."""

    @model_validator(mode="after")
    def _prefill_can_progress(self) -> "EngineConfig":
        if self.max_num_batched_tokens <= self.max_num_seqs:
            raise ValueError(
                f"max_num_batched_tokens ({self.max_num_batched_tokens}) must exceed max_num_seqs "
                f"({self.max_num_seqs}): decode tokens alone would fill every step")
        return self


class RequestRejected(ValueError):
    """The request can never be served as asked; `param` names the offending field."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class LLMEngine:
    """The synchronous core: requests in, one batched forward pass per `step()`, outputs out.

    It leaves BLAS threading alone: `AsyncEngine` limits BLAS to one thread while it runs; a
    caller that steps an LLMEngine itself can do the same (`moe.inference.single_blas_thread`).
    """

    def __init__(self, model: Any, config: EngineConfig | None = None):
        self.model = model
        self.tokenizer = model.tokenizer
        self.config = config = config or EngineConfig()
        self.max_model_len = min(config.max_model_len or 10**9, model.config.max_seq_len)
        num_blocks = config.num_blocks or max(
            1, int(config.kv_cache_mb * 2**20 // (model.kv_bytes_per_token() * config.block_size))
        )
        self.blocks = BlockManager(num_blocks, config.block_size)
        # Every live cache (a prefilling prompt or a decoding choice) counts towards
        # max_num_seqs; the spare slots cover caches that outlive their request briefly.
        self.slots = SlotPool(model.config, config.max_num_seqs + 8)
        self.scheduler = Scheduler(
            self.blocks, self._new_cache, config.max_num_seqs,
            config.max_num_batched_tokens, self.max_model_len,
        )
        self.stats = EngineStats()
        self.last_expert_counts: np.ndarray | None = None
        """Expert assignments of the last step ([n_moe_layers, n_routed_experts])."""
        self._requests: dict[str, Request] = {}
        self._token_index: TokenIndex | None = None

    @property
    def token_index(self) -> TokenIndex:
        """The vocabulary as a trie for constrained decoding (built by the first request with a
        grammar); control tokens have no text, so only end-of-sequence can end an answer."""
        if self._token_index is None:
            tok = self.tokenizer
            texts = ["" if i in tok.specials else tok.token_text(i) for i in range(tok.vocab_size)]
            self._token_index = TokenIndex(texts, tok.eos_id)
        return self._token_index

    def _new_cache(self, rows: list[np.ndarray], num_tokens: int) -> LatentCache:
        """A request's prompt cache, starting from the prefix-cache blocks it hit."""
        if not rows or num_tokens == 0:
            return LatentCache(self.model.config, pool=self.slots)
        hit = np.concatenate(rows, axis=1)[:, :num_tokens]
        return LatentCache.from_rows(self.model.config, hit, pool=self.slots)

    # -- requests ---------------------------------------------------------------------------
    def make_request(
        self, prompt_ids: list[int], params: SamplingParams, request_id: str | None = None,
        group: str | None = None,
    ) -> Request:
        """Validate and build a request (not yet queued); raises RequestRejected.

        Requests sharing a `group` (one API call's prompts) are admitted in order, and groups
        take turns; without one a request is its own group.
        """
        n_prompt = len(prompt_ids)
        if n_prompt == 0:
            raise RequestRejected("the prompt is empty", "messages")
        room = self.max_model_len - n_prompt
        if room < 1:
            raise RequestRejected(
                f"this model's maximum context length is {self.max_model_len} tokens, but the "
                f"prompt has {n_prompt} tokens; shorten the prompt", "messages",
            )
        if params.max_tokens is not None and params.max_tokens > self.max_model_len:
            raise RequestRejected(
                f"max_tokens is {params.max_tokens}; this model supports at most "
                f"{self.max_model_len} tokens in all (prompt and completion)", "max_tokens",
            )
        if params.grammar is not None and params.ignore_eos:
            raise RequestRejected("ignore_eos cannot be combined with a response_format: an answer "
                                  "held to a schema must end where the schema ends", "ignore_eos")
        max_output = min(params.max_tokens or room, room)
        request = Request(
            request_id or uuid.uuid4().hex, prompt_ids, params,
            self.tokenizer, self.tokenizer.eos_id, max_output, group,
        )
        if self.scheduler.blocks_needed(request) > self.blocks.num_blocks:
            raise RequestRejected(
                f"n={params.n} choices of up to {n_prompt + max_output} tokens need more KV "
                f"cache than this server has ({self.blocks.num_blocks} blocks of "
                f"{self.blocks.block_size}); lower n or max_tokens", "n",
            )
        return request

    def add(self, request: Request) -> None:
        self._requests[request.request_id] = request
        self.scheduler.add(request)

    def abort(self, request_id: str) -> None:
        request = self._requests.pop(request_id, None)
        if request is not None:
            self.scheduler.remove(request)
            self.stats.finish("abort")

    def abort_all(self) -> None:
        for request_id in list(self._requests):
            self.abort(request_id)

    def fail_all(self, message: str) -> list[RequestOutput]:
        """End every request with an error (after a failure not tied to one request)."""
        outputs = [self._fail(r, message) for r in list(self._requests.values())]
        return outputs

    @property
    def num_running(self) -> int:
        return len(self.scheduler.running)

    @property
    def num_waiting(self) -> int:
        return len(self.scheduler.waiting)

    def has_work(self) -> bool:
        return bool(self._requests)

    def kv_cache_bytes(self) -> int:
        """Bytes of cache rows held now: live prompt and choice caches plus cached blocks."""
        live = sum(
            cache.nbytes()
            for r in self.scheduler.running
            for cache in (r.prompt_cache, *(c.cache for c in r.choices))
            if cache is not None
        )
        return live + self.blocks.cached_bytes

    # -- one step -----------------------------------------------------------------------------
    def step(self) -> list[RequestOutput]:
        work = self.scheduler.schedule()
        for r in self.scheduler.admitted:
            self.stats.prompt_tokens += r.num_prompt_tokens
            self.stats.prefix_cache_queries += r.num_prompt_tokens
            self.stats.prefix_cache_hits += r.cached_tokens
        if not work:
            return []
        self.stats.steps += 1
        rows = self._forward(work)
        outputs: dict[str, RequestOutput] = {}
        jobs: list[Job] = []
        for item, row in zip(work, rows):
            try:
                if isinstance(row, BaseException):
                    raise row
                jobs += self._advance(item, row)
            except Exception as exc:  # fail only this request; the engine goes on
                outputs[item.request.request_id] = self._fail_with(item.request, exc)
        jobs = [job for job in jobs if job[0].phase is not Phase.DONE]
        rows = [self._constrained(r, c, row) if r.matcher is not None else row for r, c, row in jobs]
        tokens = sample_batch(rows, [j[0].params for j in jobs], [j[1].rng for j in jobs])
        # A masked token has probability 0, but a float tie at a block edge could still pick one.
        tokens = [int(np.argmax(row)) if job[0].matcher is not None and not np.isfinite(row[t]) else t
                  for t, row, job in zip(tokens, rows, jobs)]
        for (request, choice, _), token in zip(jobs, tokens):
            if request.phase is Phase.DONE:
                continue
            try:
                delta = self._accept(request, choice, token)
            except Exception as exc:
                outputs[request.request_id] = self._fail_with(request, exc)
                continue
            out = outputs.setdefault(request.request_id, RequestOutput(request.request_id, []))
            out.deltas.append(delta)
        for request_id, out in outputs.items():
            request = self._requests.get(request_id)
            if request is not None and not request.live_choices and out.error is None:
                self._finish(request, out)
        return list(outputs.values())

    def _forward(self, work: list[Work]) -> list[np.ndarray | BaseException]:
        """Logits row per work item; a failing batch is retried item by item to isolate it."""
        lengths = [len(w.cache) for w in work]
        try:
            out = self.model.forward([SeqChunk(w.tokens, w.cache) for w in work])
            self._count_experts(out.expert_counts)
            return list(out.logits)
        except Exception:
            for w, n in zip(work, lengths):
                w.cache.truncate(n)
        rows: list[np.ndarray | BaseException] = []
        for w, n in zip(work, lengths):
            try:
                out = self.model.forward([SeqChunk(w.tokens, w.cache)])
                self._count_experts(out.expert_counts)
                rows.append(out.logits[0])
            except Exception as exc:
                w.cache.truncate(n)
                rows.append(exc)
        return rows

    def _count_experts(self, counts: np.ndarray) -> None:
        self.last_expert_counts = np.asarray(counts)
        self.stats.add_expert_counts(counts)

    def _advance(self, item: Work, logits: np.ndarray) -> list[Job]:
        """Book the work item's progress; returns the tokens to sample from its logits."""
        request = item.request
        if item.choice is not None:
            return [(request, item.choice, logits)]
        request.num_computed += len(item.tokens)
        self.stats.prefill_tokens_computed += len(item.tokens)
        self.blocks.insert(request.prompt_ids, request.prompt_cache, request.num_computed)
        if request.num_computed < request.num_prompt_tokens:
            return []
        self._start_decoding(request)
        return [(request, c, logits) for c in request.choices]

    def _constrained(self, request: Request, choice: Choice, logits: np.ndarray) -> np.ndarray:
        """The logits with every token that would leave the request's grammar at -inf."""
        if choice.states is None:
            choice.states = request.matcher.start()
        return self.token_index.mask(logits, request.matcher, choice.states)

    def _start_decoding(self, request: Request) -> None:
        """Prompt done: fork its cache for each choice (all first tokens come from its logits)."""
        self.blocks.clear_pending(request.request_id)
        cache = request.prompt_cache
        request.choices[0].cache = cache
        for choice in request.choices[1:]:
            choice.cache = LatentCache.from_rows(self.model.config, cache.rows(0, len(cache)), self.slots)
        request.prompt_cache = None  # choice 0 owns it now
        request.phase = Phase.DECODE
        self.stats.ttft.observe(time.perf_counter() - request.arrived_at)

    def _accept(self, request: Request, choice: Choice, token: int) -> ChoiceDelta:
        now = time.perf_counter()
        if choice.output_ids:
            self.stats.inter_token.observe(now - choice.last_token_at)
        choice.last_token_at = now
        self.stats.generation_tokens += 1
        if request.matcher is not None:
            choice.states = request.matcher.feed(choice.states, self.tokenizer.token_text(token))
        delta = request.accept_token(choice, token)
        if choice.finished:
            # Keep its blocks for later prompts that continue this text (multi-turn chat), and
            # free its rows now rather than when the request's last choice ends.
            tokens = request.prompt_ids + choice.output_ids
            self.blocks.insert(tokens, choice.cache, len(choice.cache))
            choice.cache = None
        return delta

    def _finish(self, request: Request, out: RequestOutput) -> None:
        out.finished = True
        out.prompt_tokens = request.num_prompt_tokens
        out.completion_tokens = request.completion_tokens
        out.cached_tokens = request.cached_tokens
        self._requests.pop(request.request_id, None)
        self.scheduler.remove(request)
        reasons = {c.finish_reason for c in request.choices}
        self.stats.finish("length" if "length" in reasons else "stop")
        self.stats.e2e.observe(time.perf_counter() - request.arrived_at)

    def _fail_with(self, request: Request, exc: Exception) -> RequestOutput:
        return self._fail(request, f"the engine failed on request {request.request_id}: {exc!r}")

    def _fail(self, request: Request, message: str) -> RequestOutput:
        self._requests.pop(request.request_id, None)
        self.scheduler.remove(request)
        self.stats.finish("error")
        return RequestOutput(request.request_id, [], finished=True, error=message)

