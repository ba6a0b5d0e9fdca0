"""A finished (or stopped) run as an OpenAI chat.completion, and a streamed run as SSE chunks.

Every response carries a top-level `pipe` object: the run id (`pipe show ID`), its status,
dollars, calls and cache hits, the voted answer and the recipe's outputs. A streamed run sends
a chunk with an empty delta and `pipe.progress` whenever its counters move (at most every
`progress_s`, and at least every HEARTBEAT_S), then the answer, then `[DONE]`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from concurrent.futures import Executor
from typing import Any, AsyncIterator, Awaitable, Callable

from pipelines import RunResult, RunStatus
from pipelines.proxy.errors import ProxyError
from pipelines.proxy.runner import Summary, format_answer

Done = tuple[RunResult, Summary]
Work = Callable[[], Awaitable[Done]]
HEARTBEAT_S = 10.0
"""A progress chunk goes out at least this often, so idle-timeouts of proxies never fire."""


class Job:
    """One request's run, on a worker thread in an event loop of its own (see `runner`): its
    run id and live counters once it is recorded, and a way to stop it."""

    def __init__(self) -> None:
        self.run_id: str | None = None
        self.stats: Any = None
        self.recorded = asyncio.Event()
        self.task: asyncio.Future[Done] | None = None
        self.stopped = False
        """Set when the client left: the run is told to stop (it is stored as interrupted)."""
        self.began = time.monotonic()
        self._home = asyncio.get_running_loop()
        self._inner: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None
        self._lock = threading.Lock()

    def on_start(self, run_id: str, stats: Any) -> None:
        """Called on the worker thread once the run is recorded."""
        self.run_id, self.stats = run_id, stats
        self._home.call_soon_threadsafe(self.recorded.set)

    def start(self, threads: Executor, work: Work) -> None:
        self.task = self._home.run_in_executor(threads, self._work, work)

    def _work(self, work: Work) -> Done:
        async def main() -> Done:
            with self._lock:
                if self.stopped:
                    raise asyncio.CancelledError
                self._inner = (asyncio.get_running_loop(), asyncio.current_task())
            return await work()

        return asyncio.run(main())

    async def wait_recorded(self) -> None:
        """Until the run is recorded; re-raises what stopped it before (a bad input: a 400)."""
        assert self.task is not None
        waiter = asyncio.ensure_future(self.recorded.wait())
        await asyncio.wait({self.task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not self.recorded.is_set():
            self.task.result()

    async def cancel(self) -> None:
        """Stop the run (the client left) and wait until it has stopped: it is stored as
        interrupted, resumable."""
        if self.task is None or self.task.done():
            return
        with self._lock:
            self.stopped = True
            if self._inner is not None:
                loop, task = self._inner
                loop.call_soon_threadsafe(task.cancel)
        await asyncio.gather(asyncio.shield(self.task), return_exceptions=True)

    def progress(self) -> dict[str, Any]:
        s = self.stats
        return {"calls": s.calls, "calls_planned": s.calls_planned, "in_flight": s.in_flight,
                "cache_hits": s.cache_hits, "resumed": s.resumed, "errors": s.errors,
                "retries": s.retries, "usd": s.usd,
                "elapsed_s": round(time.monotonic() - self.began, 3)}


@dataclass
class Reply:
    """What the client is told about one request."""

    model: str
    extract: str
    id: str = field(default_factory=lambda: "chatcmpl-" + uuid.uuid4().hex)
    created: int = field(default_factory=lambda: int(time.time()))

    def outcome(self, done: Done, began: float
                ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(answer text, usage, pipe) of a finished run; ProxyError if it gave no answer."""
        result, (usage, figures) = done
        item = result.items[0] if result.items else {}
        outputs = item.get("outputs") or {}
        correct = item.get("correct")
        pipe = {**figures, "status": str(result.status), "answer": outputs.get("answer"),
                "correct": None if correct is None else bool(correct), "outputs": outputs,
                "elapsed_s": round(time.monotonic() - began, 3)}
        resume = f"; continue it with extra_body {{\"pipe\": {{\"resume\": \"{result.run_id}\"}}}}"
        if result.status == RunStatus.BUDGET:
            raise ProxyError(402, f"run {result.run_id} stopped at its budget: "
                             f"{item.get('error')}{resume} and a larger pipe.max_cost",
                             code="budget_exceeded", pipe=pipe)
        if result.status != RunStatus.OK:
            raise ProxyError(502, f"run {result.run_id} failed: {item.get('error')}{resume}",
                             code="run_failed", pipe=pipe)
        return format_answer(outputs.get("answer"), self.extract), usage, pipe

    def body(self, text: str, usage: dict[str, Any], pipe: dict[str, Any]) -> dict[str, Any]:
        choice = {"index": 0, "message": {"role": "assistant", "content": text},
                  "finish_reason": "stop", "logprobs": None}
        return {"id": self.id, "object": "chat.completion", "created": self.created,
                "model": self.model, "choices": [choice], "usage": usage, "pipe": pipe}

    def chunk(self, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish,
                                             "logprobs": None}]
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": choices, **extra}
        return f"data: {json.dumps(body)}\n\n"


async def sse_events(reply: Reply, job: Job, include_usage: bool,
                     progress_s: float) -> AsyncIterator[str]:
    """The SSE body of a streamed request; a run that gives no answer ends in an error event.
    The client leaving (the generator closed) stops the run, resumable."""
    assert job.task is not None
    try:
        yield reply.chunk({"role": "assistant", "content": ""},
                          pipe={"run_id": job.run_id, "status": "running"})
        last, sent_at = None, time.monotonic()
        while not job.task.done():
            await asyncio.wait({job.task}, timeout=progress_s)
            now = job.progress()
            moved = {k: v for k, v in now.items() if k != "elapsed_s"}
            if moved != last or time.monotonic() - sent_at >= HEARTBEAT_S:
                yield reply.chunk({}, pipe={"run_id": job.run_id, "progress": now})
                last, sent_at = moved, time.monotonic()
        try:
            text, usage, pipe = reply.outcome(job.task.result(), job.began)
        except Exception as exc:  # the status line has gone: the error is an event
            error = exc if isinstance(exc, ProxyError) else ProxyError(
                500, f"internal error: {type(exc).__name__}: {exc}")
            yield f"data: {json.dumps(error.body())}\n\n"
            return
        yield reply.chunk({"content": text})
        yield reply.chunk({}, "stop", pipe=pipe)
        if include_usage:
            yield reply.chunk(None, usage=usage, pipe=pipe)
        yield "data: [DONE]\n\n"
    finally:
        await job.cancel()
