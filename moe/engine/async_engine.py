"""Asyncio front of the engine: one task drains an inbox and runs steps in a worker thread.

Requests are validated synchronously by `submit` (so a server can answer 400 before it starts
a stream) and then read as an async stream of `RequestOutput`s from their own queue. Closing
or cancelling a stream aborts its request at the next step boundary, freeing its slot.

From `start` to `stop` BLAS runs on one thread (`moe.inference.blas`): the limit is taken when
the engine starts, both in the starting thread and in the worker thread before its first step,
and given back when the engine stops.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import AsyncIterator

from moe.engine.engine import LLMEngine
from moe.engine.request import Request, RequestOutput
from moe.engine.sampler import SamplingParams
from moe.inference.blas import BlasLimit, single_blas_thread

log = logging.getLogger(__name__)


class AsyncEngine:
    """An `LLMEngine` driven from asyncio: one task feeds it, one worker thread runs its steps."""

    def __init__(self, engine: LLMEngine):
        self.engine = engine
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="moe-engine")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._queues: dict[str, asyncio.Queue[RequestOutput]] = {}
        self._blas: tuple[BlasLimit, Future[BlasLimit]] | None = None
        """The one-thread BLAS limits held while started: the starting thread's and the worker's."""

    @property
    def started(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the engine task on the running loop (again, if an earlier loop went away)."""
        loop = asyncio.get_running_loop()
        if self.started and self._loop is loop:
            return
        # Requests of a loop that is gone can never be answered: drop them.
        self.engine.abort_all()
        self._queues.clear()
        if self._blas is None:  # the worker's is queued before any step: every step has one BLAS thread
            self._blas = (single_blas_thread(), self._executor.submit(single_blas_thread))
        self._loop, self._inbox = loop, asyncio.Queue()
        self._task = loop.create_task(self._run(), name="moe-engine")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        self.engine.abort_all()
        self._queues.clear()
        if self._blas is not None:  # give the BLAS limits back, each in the thread that took it
            (here, worker), self._blas = self._blas, None
            limiter = await asyncio.wrap_future(worker)
            await asyncio.wrap_future(self._executor.submit(limiter.restore_original_limits))
            here.restore_original_limits()
        self._executor.shutdown(wait=True)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="moe-engine")

    def submit(
        self, prompt_ids: list[int], params: SamplingParams, request_id: str | None = None,
        group: str | None = None,
    ) -> AsyncIterator[RequestOutput]:
        """Validate now (raises RequestRejected); the request joins the batch when iterated.

        `group`: see `LLMEngine.make_request` (the server passes one per API call)."""
        request = self.engine.make_request(prompt_ids, params, request_id, group)
        return self._stream(request)

    async def _stream(self, request: Request) -> AsyncIterator[RequestOutput]:
        self.start()
        queue: asyncio.Queue[RequestOutput] = asyncio.Queue()
        self._queues[request.request_id] = queue
        self._inbox.put_nowait(("add", request))
        finished = False
        try:
            while not finished:
                out = await queue.get()
                finished = out.finished
                yield out
        finally:
            self._queues.pop(request.request_id, None)
            if not finished:
                self._inbox.put_nowait(("abort", request.request_id))

    def _handle(self, message: tuple) -> None:
        kind, arg = message
        if kind == "add":
            if arg.request_id in self._queues:  # its reader may already be gone
                self.engine.add(arg)
        else:
            self.engine.abort(arg)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self.engine.has_work():
                self._handle(await self._inbox.get())
            while not self._inbox.empty():
                self._handle(self._inbox.get_nowait())
            if not self.engine.has_work():
                continue
            try:
                outputs = await loop.run_in_executor(self._executor, self.engine.step)
            except Exception as exc:  # a bug outside any one request: fail what is in flight
                log.exception("engine step failed")
                outputs = self.engine.fail_all(f"the engine step failed: {exc!r}")
            for out in outputs:
                queue = self._queues.get(out.request_id)
                if queue is not None:
                    queue.put_nowait(out)
