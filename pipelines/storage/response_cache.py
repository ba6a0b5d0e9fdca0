"""Content-addressed response cache (SQLite): the same call is never paid for twice.

A key names what determines an answer: the endpoint's identity (never its key; for the embedded
server also its weights' fingerprint, `EndpointClient.cache_scope`), the model,
the rendered messages, the sampling parameters and the sample index (and, for a choice of a
seeded n-request, that it is one). The request id and
route key only label or route a call, so they stay out.

An entry names the run that paid for it. Its call's row in that run is committed a moment later
(grouped, see `pipelines.storage.run_store`); a run killed in between finds, on resume, its own
entry and no row: the call was billed, so it is recorded at its price, not as a free hit.
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


def _encode(result: ChatResult, run_id: str | None) -> str:
    return canonical_json(
        {
            "run_id": run_id,
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


def _decode(text: str) -> tuple[ChatResult, str | None]:
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
    ), data.get("run_id")  # entries written before runs were named have none


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
        found = self.entry(key)
        return found[0] if found else None

    def entry(self, key: str) -> tuple[ChatResult, str | None] | None:
        """(the cached result, the id of the run that paid for it, if known)."""
        with self._lock:
            row = self._db.execute("SELECT result FROM responses WHERE key = ?", (key,)).fetchone()
        return _decode(row[0]) if row else None

    def put(self, key: str, result: ChatResult, run_id: str | None = None) -> None:
        """Store `result` under `key`, paid for by `run_id`."""
        now = datetime.now(timezone.utc).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, result, created_at) VALUES (?, ?, ?)",
                (key, _encode(result, run_id), now),
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
