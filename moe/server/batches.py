"""The OpenAI Batch API on the embedded server: /v1/files and /v1/batches.

    POST /v1/files (multipart: purpose=batch, file)      GET /v1/files/{id}[/content]
    POST /v1/batches {input_file_id, endpoint, completion_window}
    GET  /v1/batches[/{id}]                              POST /v1/batches/{id}/cancel

A batch runs in the background through this same app's own routes, and so through its engine,
`BATCH_CONCURRENCY` requests at a time (the engine batches them). Files and batches live in
memory for the server's lifetime. A bad input file fails the batch with one error per bad line,
before any request runs, as OpenAI does.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from moe.server.errors import APIError
from moe.server.body import read_body, read_json

SUPPORTED_URLS = ("/v1/chat/completions", "/v1/completions")
BATCH_CONCURRENCY = 64
MAX_FILE_BYTES = 200 * 2**20
WINDOW_S = 24 * 3600
TERMINAL = ("completed", "failed", "expired", "cancelled")


def _id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


@dataclass
class StoredFile:
    meta: dict[str, Any]
    content: bytes


@dataclass
class Batch:
    meta: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


class BatchService:
    """Files and batches of one app."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, Batch] = {}
        self._tasks: set[asyncio.Task] = set()

    def add_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        meta = {"id": _id("file-"), "object": "file", "bytes": len(content),
                "created_at": int(time.time()), "filename": filename, "purpose": purpose,
                "status": "processed", "status_details": None}
        self.files[meta["id"]] = StoredFile(meta, content)
        return meta

    def file(self, file_id: str) -> StoredFile:
        if file_id not in self.files:
            raise APIError(404, f"No such File object: {file_id}", param="id", code="not_found")
        return self.files[file_id]

    def batch(self, batch_id: str) -> Batch:
        if batch_id not in self.batches:
            raise APIError(404, f"No such Batch object: {batch_id}", param="id", code="not_found")
        return self.batches[batch_id]

    def create(self, app: Any, request: dict[str, Any]) -> dict[str, Any]:
        source, endpoint = _check_create(self, request)
        now = int(time.time())
        meta = {"id": _id("batch_"), "object": "batch", "endpoint": endpoint, "errors": None,
                "input_file_id": source.meta["id"], "completion_window": "24h",
                "status": "validating", "output_file_id": None, "error_file_id": None,
                "created_at": now, "in_progress_at": None, "expires_at": now + WINDOW_S,
                "finalizing_at": None, "completed_at": None, "failed_at": None,
                "expired_at": None, "cancelling_at": None, "cancelled_at": None,
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": request.get("metadata")}
        batch = Batch(meta)
        self.batches[meta["id"]] = batch
        lines, errors = _parse_input(source.content, endpoint)
        if errors:
            meta.update(status="failed", failed_at=now,
                        errors={"object": "list", "data": errors[:1000]})
            return meta
        batch.lines = lines
        meta.update(status="in_progress", in_progress_at=now)
        meta["request_counts"]["total"] = len(lines)
        task = asyncio.create_task(self._run(app, batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return meta

    async def _run(self, app: Any, batch: Batch) -> None:
        outputs: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        slots = asyncio.Semaphore(BATCH_CONCURRENCY)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://batch.internal",
                                     timeout=None) as client:

            async def one(line: dict[str, Any]) -> None:
                async with slots:
                    if batch.cancel.is_set():
                        errors.append(_error_line(line["custom_id"], "batch_cancelled",
                                                  "the batch was cancelled before this request ran"))
                        return
                    sent = await client.post(line["url"], json=line["body"])
                ok = sent.status_code < 400
                (outputs if ok else errors).append(_response_line(line["custom_id"], sent))
                batch.meta["request_counts"]["completed" if ok else "failed"] += 1

            await asyncio.gather(*(one(line) for line in batch.lines))
        self._finish(batch, outputs, errors)

    def _finish(self, batch: Batch, outputs: list[dict], errors: list[dict]) -> None:
        meta, now = batch.meta, int(time.time())
        meta.update(status="finalizing", finalizing_at=now)
        for key, lines, kind in (("output_file_id", outputs, "output"),
                                 ("error_file_id", errors, "error")):
            if lines:
                content = "".join(json.dumps(x) + "\n" for x in lines).encode()
                meta[key] = self.add_file(content, f"{meta['id']}_{kind}.jsonl",
                                          "batch_output")["id"]
        if batch.cancel.is_set():
            meta.update(status="cancelled", cancelled_at=now)
        else:
            meta.update(status="completed", completed_at=now)

    def request_cancel(self, batch_id: str) -> dict[str, Any]:
        batch = self.batch(batch_id)
        if batch.meta["status"] not in TERMINAL:
            batch.cancel.set()
            batch.meta.update(status="cancelling", cancelling_at=int(time.time()))
        return batch.meta


def _check_create(service: BatchService, request: Any) -> tuple[StoredFile, str]:
    if not isinstance(request, dict):
        raise APIError(400, "the request body must be a JSON object")
    source = service.file(str(request.get("input_file_id")))
    if source.meta["purpose"] != "batch":
        raise APIError(400, f"file {source.meta['id']} was not uploaded with purpose=batch",
                       param="input_file_id")
    endpoint = request.get("endpoint")
    if endpoint not in SUPPORTED_URLS:
        raise APIError(400, f"endpoint {endpoint!r} is not supported; use one of "
                       f"{list(SUPPORTED_URLS)}", param="endpoint")
    if request.get("completion_window") != "24h":
        raise APIError(400, "completion_window must be \"24h\"", param="completion_window")
    metadata = request.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise APIError(400, "metadata must be an object of strings", param="metadata")
    return source, endpoint


def _parse_input(content: bytes, endpoint: str) -> tuple[list[dict], list[dict]]:
    """Input lines, and one error per bad line (`line` is 1-based)."""
    lines, errors, seen = [], [], set()
    for number, text in enumerate(content.decode("utf-8", "replace").split("\n"), 1):
        if not text.strip():
            continue
        problem = None
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            row, problem = None, f"not valid JSON: {exc.msg}"
        if problem is None:
            problem = _line_problem(row, endpoint, seen)
        if problem:
            errors.append({"code": "invalid_request", "message": problem, "param": None,
                           "line": number})
        else:
            seen.add(row["custom_id"])
            lines.append(row)
    if not lines and not errors:
        errors.append({"code": "empty_file", "message": "the input file has no requests",
                       "param": None, "line": None})
    return lines, errors


def _line_problem(row: Any, endpoint: str, seen: set[str]) -> str | None:
    if not isinstance(row, dict):
        return "each line must be a JSON object"
    cid = row.get("custom_id")
    if not isinstance(cid, str) or not cid:
        return "custom_id must be a non-empty string"
    if cid in seen:
        return f"custom_id {cid!r} is used more than once"
    if row.get("method") != "POST":
        return "method must be POST"
    if row.get("url") != endpoint:
        return f"url {row.get('url')!r} does not match the batch endpoint {endpoint}"
    if not isinstance(row.get("body"), dict):
        return "body must be a JSON object"
    return None


def _response_line(custom_id: str, sent: httpx.Response) -> dict[str, Any]:
    try:
        body = sent.json()
    except ValueError:
        body = {"error": {"message": sent.text[:500], "type": "server_error", "param": None,
                          "code": None}}
    return {"id": _id("batch_req_"), "custom_id": custom_id,
            "response": {"status_code": sent.status_code, "request_id": body.get("id", ""),
                         "body": body}, "error": None}


def _error_line(custom_id: str, code: str, message: str) -> dict[str, Any]:
    return {"id": _id("batch_req_"), "custom_id": custom_id, "response": None,
            "error": {"code": code, "message": message}}


def _service(request: Request) -> BatchService:
    state = request.app.state
    if not hasattr(state, "batch_service"):
        state.batch_service = BatchService()
    return state.batch_service


async def _upload(request: Request) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """Form fields and the uploaded file of a multipart/form-data body."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise APIError(400, "upload with multipart/form-data (fields: purpose, file)")
    limits = request.app.state.service.limits
    body = await read_body(request, MAX_FILE_BYTES, limits.body_timeout_s)
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + bytes(body))
    fields, upload = {}, None
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            upload = (part.get_filename(), payload)
        elif name:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, upload


async def create_file(request: Request) -> Response:
    fields, upload = await _upload(request)
    if fields.get("purpose") != "batch":
        raise APIError(400, f"purpose {fields.get('purpose')!r} is not supported; use \"batch\"",
                       param="purpose")
    if upload is None:
        raise APIError(400, "no file part in the upload", param="file")
    return JSONResponse(_service(request).add_file(upload[1], upload[0], "batch"))


async def get_file(request: Request) -> Response:
    return JSONResponse(_service(request).file(request.path_params["file_id"]).meta)


async def file_content(request: Request) -> Response:
    stored = _service(request).file(request.path_params["file_id"])
    return Response(stored.content, media_type="application/jsonl")


async def create_batch(request: Request) -> Response:
    body = await read_json(request, request.app.state.service.limits)
    return JSONResponse(_service(request).create(request.app, body))


async def get_batch(request: Request) -> Response:
    return JSONResponse(_service(request).batch(request.path_params["batch_id"]).meta)


async def list_batches(request: Request) -> Response:
    newest = list(reversed(_service(request).batches.values()))  # dicts keep creation order
    ids = [b.meta["id"] for b in newest]
    after = request.query_params.get("after")
    start = ids.index(after) + 1 if after in ids else 0
    try:
        limit = min(max(int(request.query_params.get("limit", 20)), 1), 100)
    except ValueError:
        raise APIError(400, "limit must be an integer", param="limit") from None
    page = [b.meta for b in newest[start:start + limit]]
    return JSONResponse({"object": "list", "data": page,
                         "first_id": page[0]["id"] if page else None,
                         "last_id": page[-1]["id"] if page else None,
                         "has_more": start + limit < len(ids)})


async def cancel_batch(request: Request) -> Response:
    return JSONResponse(_service(request).request_cancel(request.path_params["batch_id"]))


def routes() -> list[Route]:
    return [
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files/{file_id}", get_file, methods=["GET"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
        Route("/v1/batches", create_batch, methods=["POST"]),
        Route("/v1/batches", list_batches, methods=["GET"]),
        Route("/v1/batches/{batch_id}", get_batch, methods=["GET"]),
        Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    ]
