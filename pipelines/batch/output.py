"""OpenAI Batch output files: one output line per completed custom_id, one error line per
failed, rejected or unfinished request.

    output: {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}
    error:  {"id", "custom_id", "response": {...} or null, "error": {"code", "message"}}
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Iterator

from pipelines.batch.requests import Rejected
from pipelines.types import ChatResult

UNFINISHED_CODES = {"cancelled": "batch_cancelled", "expired": "batch_expired",
                    "failed": "batch_failed"}
"""Error code for requests left pending when a job ended in that state."""


def line_id(job_id: str, custom_id: str | None, line: int | None = None) -> str:
    material = f"{job_id}|{custom_id}|{line}".encode()
    return "batch_req_" + hashlib.sha256(material).hexdigest()[:24]


def chat_response_body(result: ChatResult, model: str) -> dict[str, Any]:
    """The chat.completion body of one completed call, as the endpoint answered it."""
    return {
        "id": result.response_id,
        "object": "chat.completion",
        "created": int(result.started_at.timestamp()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": result.content},
                     "finish_reason": result.finish_reason or None}],
        "usage": dict(result.usage_raw),
    }


def error_code_for(status: int | None) -> str:
    if status is None:
        return "connection_error"
    return {400: "invalid_request", 401: "authentication_error", 403: "permission_denied",
            404: "not_found", 409: "conflict", 422: "invalid_request",
            429: "rate_limit_exceeded"}.get(status, "server_error" if status >= 500 else
                                            f"http_{status}")


def _output_line(job_id: str, row: dict[str, Any]) -> dict[str, Any]:
    body = row["response"] or {}
    return {"id": line_id(job_id, row["custom_id"]), "custom_id": row["custom_id"],
            "response": {"status_code": row["status_code"] or 200,
                         "request_id": body.get("id", ""), "body": body},
            "error": None}


def _error_line(job_id: str, custom_id: str | None, code: str, message: str,
                status: int | None = None, line: int | None = None) -> dict[str, Any]:
    response = None
    if status is not None:
        response = {"status_code": status, "request_id": "",
                    "body": {"error": {"message": message, "type": code, "param": None,
                                       "code": code}}}
    return {"id": line_id(job_id, custom_id, line), "custom_id": custom_id, "response": response,
            "error": {"code": code, "message": message}}


def output_lines(job_id: str, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (_output_line(job_id, r) for r in rows if r["state"] == "done")


def error_lines(job_id: str, rows: Iterable[dict[str, Any]], rejected: list[Rejected],
                job_state: str) -> Iterator[dict[str, Any]]:
    """Rejected input lines, failed requests, and (for an ended job) requests never sent."""
    for r in rejected:
        yield _error_line(job_id, r.custom_id, "invalid_request", f"input {r}", line=r.line)
    unfinished = UNFINISHED_CODES.get(job_state)
    for row in rows:
        if row["state"] == "failed":
            yield _error_line(job_id, row["custom_id"], row["error_code"] or "error",
                              row["error_message"] or "", row["status_code"])
        elif row["state"] == "pending" and unfinished:
            yield _error_line(job_id, row["custom_id"], unfinished,
                              f"the job ended ({job_state}) before this request was sent")


def write_jsonl(path: Path, lines: Iterator[dict[str, Any]]) -> int:
    """Write lines atomically (temp file, then rename); returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(path)
    return count


def errors_path_for(out: Path) -> Path:
    """`results.jsonl` -> `results.errors.jsonl`."""
    return out.with_name(f"{out.stem}.errors{out.suffix or '.jsonl'}")
