"""The endpoint's own Batch API: upload the pending requests (POST /v1/files), create a batch
(POST /v1/batches), poll it, download its output and error files, record every line.

Each step's id is committed before the next step, and the batch carries the job id in its
metadata, so a job killed between creating the batch and recording its id finds it again
(GET /v1/batches) instead of submitting the requests twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx
import openai

from pipelines.batch.jobstore import JobStore
from pipelines.batch.metering import JobMeter
from pipelines.batch.output import error_code_for
from pipelines.batch.requests import CHAT_URL
from pipelines.endpoints import EndpointConfig, load_embedded
from pipelines.endpoints.usage import normalize_usage
from pipelines.errors import InputError

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


def batch_api_client(config: EndpointConfig,
                     transport: httpx.AsyncBaseTransport | None = None) -> openai.AsyncOpenAI:
    """An OpenAI client for the endpoint's files and batches routes."""
    if len(config.replicas) > 1:
        raise InputError("the Batch API path needs one endpoint URL, not several replicas; "
                         "fix: pass one --endpoint URL, or --api concurrent")
    if config.is_embedded:
        embedded = load_embedded()
        base_url, key = embedded.base_url, "embedded"
        transport = transport or embedded.transport()
    else:
        base_url, key = config.replicas[0], os.environ.get(config.api_key_env) or "unset"
    http = httpx.AsyncClient(transport=transport, timeout=config.timeout_s)
    return openai.AsyncOpenAI(base_url=base_url, api_key=key, http_client=http,
                              timeout=config.timeout_s)


async def batch_api_missing(client: openai.AsyncOpenAI) -> str | None:
    """Why the endpoint has no usable Batch API (GET /v1/batches fails), or None if it has."""
    try:
        await client.batches.list(limit=1)
    except openai.APIStatusError as err:
        return f"endpoint has no /v1/batches ({err.status_code})"
    except openai.APIConnectionError as err:
        cause = type(err.__cause__).__name__ if err.__cause__ else type(err).__name__
        return f"endpoint's /v1/batches did not answer ({cause})"
    return None


def _stamp(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, timezone.utc) if epoch else None


@dataclass
class BatchAPIRun:
    job_id: str
    store: JobStore
    client: openai.AsyncOpenAI
    meter: JobMeter
    poll_s: float = 5.0
    """Longest wait between status polls (the first ones come sooner)."""
    cancelled: asyncio.Event | None = None

    def _remote(self) -> dict[str, Any]:
        return dict(self.store.job(self.job_id)["remote"])

    def _save(self, remote: dict[str, Any]) -> None:
        self.store.update_job(self.job_id, remote=remote)

    async def run(self, resubmit: bool = True) -> str:
        """Submit (unless already submitted), wait, record; returns the batch's final status."""
        remote = self._remote()
        if remote.get("batch_id"):
            try:
                await self.client.batches.retrieve(remote["batch_id"])
            except openai.NotFoundError:
                if not resubmit:
                    raise
                # The server lost the batch (the embedded server restarts with this process):
                # what is still pending is submitted again; nothing recorded is.
                self._save({})
                return await self.run(resubmit=False)
            if remote.get("reopened"):  # a cancelled job resumed
                return await self._collect_then_resubmit(remote["batch_id"])
        elif not await self._submit(remote):
            return "completed"
        batch = await self._wait(remote["batch_id"])
        await self._collect(batch)
        return batch.status

    async def _collect_then_resubmit(self, batch_id: str) -> str:
        """Keep what the cancelled batch finished, then submit the rest (its lines the
        cancel stopped come back as errors: they are made pending again)."""
        await self._collect(await self._wait(batch_id))
        self.store.retry_failed(self.job_id)
        self._save({})
        return await self.run(resubmit=False)

    async def _submit(self, remote: dict[str, Any]) -> bool:
        """Create the batch (uploading first unless a dead process did) and commit its id;
        False when nothing is pending."""
        batch = None
        if remote.get("file_id"):  # uploaded by a process that died: did it also create?
            batch = await self._find_batch(remote["file_id"], remote["file_created_at"])
        elif not await self._upload(remote):
            return False
        batch = batch or await self._create(remote["file_id"])
        remote["batch_id"] = batch.id
        self._save(remote)
        return True

    async def _upload(self, remote: dict[str, Any]) -> bool:
        """Upload the pending requests and commit the file id; False if none is pending."""
        with tempfile.TemporaryFile() as upload:  # written a page at a time, sent streamed
            for r in self.store.pending(self.job_id):
                upload.write(json.dumps(r.wire_line()).encode() + b"\n")
            if not upload.tell():
                return False
            upload.seek(0)
            uploaded = await self.client.files.create(file=(f"{self.job_id}.jsonl", upload),
                                                      purpose="batch")
        remote.update(file_id=uploaded.id, file_created_at=uploaded.created_at)
        self._save(remote)
        return True

    async def _find_batch(self, file_id: str, since: int):
        """Our batch on `file_id`, if one was created; batches are listed newest first, so the
        search stops at those older than the file."""
        async for b in self.client.batches.list(limit=100):
            if b.created_at < since:
                return None
            if (b.metadata or {}).get("pipe_job") == self.job_id and b.input_file_id == file_id:
                return b
        return None

    async def _create(self, file_id: str):
        # No SDK retry here: a retried create could submit the requests twice.
        return await self.client.with_options(max_retries=0).batches.create(
            input_file_id=file_id, endpoint=CHAT_URL, completion_window="24h",
            metadata={"pipe_job": self.job_id})

    async def _wait(self, batch_id: str):
        asked_cancel, delay = False, min(0.1, self.poll_s)
        while True:
            batch = await self.client.batches.retrieve(batch_id)
            remote = self._remote()
            remote.update(status=batch.status, counts=batch.request_counts.model_dump()
                          if batch.request_counts else None,
                          errors=[e.model_dump() for e in batch.errors.data or []]
                          if batch.errors else None)
            self._save(remote)
            if batch.status in TERMINAL:
                return batch
            if self.cancelled is not None and self.cancelled.is_set() and not asked_cancel:
                await self.client.batches.cancel(batch_id)
                asked_cancel = True
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.poll_s)  # small batches finish in well under poll_s

    async def _lines(self, file_id: str | None) -> list[dict[str, Any]]:
        if not file_id:
            return []
        content = await self.client.files.content(file_id)
        return [json.loads(t) for t in content.text.splitlines() if t.strip()]

    async def _collect(self, batch) -> None:
        started_at = _stamp(batch.in_progress_at) or _stamp(batch.created_at)
        models = {r["custom_id"]: r["model"] for r in self.store.rows(self.job_id)}
        for line in await self._lines(batch.output_file_id):
            cid = line.get("custom_id")
            if cid not in models:
                continue  # not ours (never expected from a conforming server)
            self._record(cid, models[cid], line, started_at)
        for line in await self._lines(batch.error_file_id):
            cid = line.get("custom_id")
            if cid in models:
                self._record_error(cid, line)

    def _record(self, custom_id: str, model: str, line: dict[str, Any],
                started_at: datetime) -> None:
        response = line.get("response") or {}
        status = response.get("status_code")
        if line.get("error") or status != 200:
            self._record_error(custom_id, line)
            return
        body = response.get("body") or {}
        usage = normalize_usage(body.get("usage"))
        columns = self.meter.result_columns(model, usage, started_at, batch=True)
        self.store.record(self.job_id, custom_id, {"state": "done", "status_code": status,
                                                   "response": body, "attempts": 1, **columns})

    def _record_error(self, custom_id: str, line: dict[str, Any]) -> None:
        response = line.get("response") or {}
        status = response.get("status_code")
        error = line.get("error") or (response.get("body") or {}).get("error") or {}
        code = error.get("code") or error_code_for(status)
        self.store.record(self.job_id, custom_id, {
            "state": "failed", "status_code": status, "error_code": code,
            "error_message": error.get("message") or "", "cost_usd": 0.0, "standard_usd": 0.0,
            "retryable": int(status is None or status == 429 or status >= 500)})
