"""Content-addressed response cache (SQLite): the same call is never paid for twice.

A key names what determines an answer: the endpoint's identity (never its key; for the embedded
server also its weights' fingerprint, `EndpointClient.cache_scope`), the model,
the rendered messages, the sampling parameters and the sample index (and, for a choice of a
seeded n-request, that it is one). The request id and
route key only label or route a call, so they stay out.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.storage.sqlite import open_db
from pipelines.types import ChatRequest, ChatResult, Usage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cache_key(identity: str, req: ChatRequest, sample_index: int, *, shared: bool = False) -> str:
    """sha256 (hex) naming one sample of one request on one endpoint. `shared`: the sample is
    a choice of one seeded request for several samples (an llm node's n-request), which a
    seeded request for one sample does not reproduce, so the two never share a key."""
    material = {
        "endpoint": identity,
        "model": req.model,
        "messages": [dict(m) for m in req.messages],
        "params": dict(req.params),
        "sample": sample_index,
    }
    if shared:
        material["shared"] = True
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


def _encode(result: ChatResult) -> str:
    return canonical_json(
        {
            "content": result.content,
            "finish_reason": result.finish_reason,
            "usage": result.usage.as_dict(),
            "usage_raw": dict(result.usage_raw),
            "started_at": result.started_at.isoformat(),
            "latency_s": result.latency_s,
            "attempts": result.attempts,
            "response_id": result.response_id,
        }
    )


def _decode(text: str) -> ChatResult:
    data = json.loads(text)
    return ChatResult(
        content=data["content"],
        finish_reason=data["finish_reason"],
        usage=Usage(**data["usage"]),
        usage_raw=data["usage_raw"],
        started_at=datetime.fromisoformat(data["started_at"]),
        latency_s=data["latency_s"],
        attempts=data["attempts"],
        response_id=data["response_id"],
    )


class ResponseCache:
    """`get(key)` / `put(key, result)` over one SQLite file in WAL mode.

    Calls are short and synchronous, so tasks of one event loop never interleave inside one;
    the lock covers callers on other threads. Each `put` is its own transaction.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_db(self.path, _SCHEMA)

    def get(self, key: str) -> ChatResult | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM responses WHERE key = ?", (key,)).fetchone()
        return _decode(row[0]) if row else None

    def put(self, key: str, result: ChatResult) -> None:
        now = datetime.now(timezone.utc).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, result, created_at) VALUES (?, ?, ?)",
                (key, _encode(result), now),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
