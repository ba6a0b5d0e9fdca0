"""Sticky routing: requests that share a prompt prefix go to the same replica.

Rendezvous (highest-random-weight) hashing: each replica scores every key, the best score
wins. The choice depends only on the key and the replica names, so it is the same in every
process, and removing a replica moves only the keys that were on it.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from pipelines.types import ChatRequest

PREFIX_CHARS = 256
"""How much of the first message stands in for a missing route key."""


def route_key(req: ChatRequest) -> str:
    """The request's own route key, else the start of its first message."""
    if req.route_key is not None:
        return req.route_key
    if not req.messages:
        return ""
    return str(req.messages[0].get("content", ""))[:PREFIX_CHARS]


def _score(replica: str, key: str) -> int:
    digest = hashlib.sha256(f"{replica}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def pick_replica(replicas: Sequence[str], key: str) -> int:
    """Index of the replica that owns `key`."""
    if not replicas:
        raise ValueError("no replicas to route to")
    return max(range(len(replicas)), key=lambda i: _score(replicas[i], key))
