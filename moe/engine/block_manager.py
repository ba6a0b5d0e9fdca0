"""KV block budget and prefix cache: hash-chained blocks of cache rows, LRU-evicted.

The pool has `num_blocks` blocks of `block_size` tokens. Live requests reserve blocks for their
worst case (prompt + max output, per choice) when admitted; cached prefix blocks fill the rest
and are evicted least-recently-used first when a reservation needs room. A cached block holds a
copy of the rows (`LatentCache.rows`) of its tokens; its key is the hash of its tokens chained
with its parent's key, so a block only matches behind the same prefix.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class CachedBlock:
    tokens: tuple[int, ...]
    rows: np.ndarray
    """[n_layers, block_size, row_width] cache rows of `tokens` behind their prefix."""


@dataclass(frozen=True)
class PrefixMatch:
    num_tokens: int
    """Prompt tokens whose rows come from the cache (never the whole prompt)."""
    rows: list[np.ndarray]
    pending: bool
    """The next block is being computed by a request in flight: waiting a step will hit it."""


def block_key(parent: int | None, tokens: Sequence[int]) -> int:
    return hash((parent, tuple(tokens)))


class BlockManager:
    def __init__(self, num_blocks: int, block_size: int = 8):
        if num_blocks < 1 or block_size < 1:
            raise ValueError("num_blocks and block_size must be positive")
        self.num_blocks = num_blocks
        self.block_size = block_size
        self._cached: OrderedDict[int, CachedBlock] = OrderedDict()  # oldest first
        self._pending: dict[int, str] = {}  # key -> request computing that block now
        self._reserved: dict[str, int] = {}

    # -- budget -------------------------------------------------------------------------
    @property
    def reserved_blocks(self) -> int:
        return sum(self._reserved.values())

    @property
    def cached_blocks(self) -> int:
        return len(self._cached)

    @property
    def cached_bytes(self) -> int:
        return sum(b.rows.nbytes for b in self._cached.values())

    @property
    def usage(self) -> float:
        """Share of the pool reserved by live requests (cached blocks count as free)."""
        return self.reserved_blocks / self.num_blocks

    def blocks_for(self, num_tokens: int) -> int:
        return -(-num_tokens // self.block_size)

    def can_reserve(self, num_blocks: int) -> bool:
        return self.reserved_blocks + num_blocks <= self.num_blocks

    def reserve(self, request_id: str, num_blocks: int) -> None:
        if not self.can_reserve(num_blocks):
            raise RuntimeError(f"KV pool exhausted reserving {num_blocks} blocks for {request_id}")
        self._reserved[request_id] = self._reserved.get(request_id, 0) + num_blocks
        self._evict(self.num_blocks - self.reserved_blocks)

    def release(self, request_id: str) -> None:
        self._reserved.pop(request_id, None)
        self.clear_pending(request_id)

    def clear_pending(self, request_id: str) -> None:
        for key in [k for k, owner in self._pending.items() if owner == request_id]:
            del self._pending[key]

    def _evict(self, room: int) -> None:
        while len(self._cached) > max(room, 0):
            self._cached.popitem(last=False)

    # -- prefix cache ---------------------------------------------------------------------
    def _keys(self, token_ids: Sequence[int], num_blocks: int) -> list[int]:
        keys, parent, bs = [], None, self.block_size
        for i in range(num_blocks):
            parent = block_key(parent, token_ids[i * bs : (i + 1) * bs])
            keys.append(parent)
        return keys

    def match(self, prompt_ids: Sequence[int]) -> PrefixMatch:
        """Longest cached run of full blocks at the start of the prompt."""
        bs = self.block_size
        keys = self._keys(prompt_ids, len(prompt_ids) // bs)
        hits: list[CachedBlock] = []
        for i, key in enumerate(keys):
            block = self._cached.get(key)
            if block is None or block.tokens != tuple(prompt_ids[i * bs : (i + 1) * bs]):
                break
            hits.append(block)
        for key in reversed(keys[: len(hits)]):  # parents end most recent: leaves go first
            self._cached.move_to_end(key)
        pending = len(hits) < len(keys) and keys[len(hits)] in self._pending
        # The last prompt token is always recomputed: its logits start the generation.
        num = min(len(hits) * bs, len(prompt_ids) - 1)
        return PrefixMatch(num, [b.rows for b in hits], pending)

    def mark_pending(self, request_id: str, prompt_ids: Sequence[int], start: int) -> None:
        """Announce the full prompt blocks from token `start` on that `request_id` computes."""
        keys = self._keys(prompt_ids, len(prompt_ids) // self.block_size)
        for key in keys[start // self.block_size :]:
            if key not in self._cached:
                self._pending.setdefault(key, request_id)

    def insert(self, token_ids: Sequence[int], cache, num_tokens: int) -> int:
        """Cache the full blocks among the first `num_tokens` tokens whose rows `cache` holds.

        Returns how many blocks were added. Never evicts for itself beyond the free room.
        """
        bs = self.block_size
        added = 0
        keys = self._keys(token_ids, min(num_tokens, len(cache)) // bs)
        for i, key in enumerate(keys):
            self._pending.pop(key, None)
            if key in self._cached:
                self._cached.move_to_end(key)
                continue
            if self.reserved_blocks + len(self._cached) >= self.num_blocks:
                oldest = next(iter(self._cached), None)
                if oldest is None or oldest in keys[:i]:  # never evict this chain's own parents
                    break
                self._cached.popitem(last=False)
            rows = np.ascontiguousarray(cache.rows(i * bs, (i + 1) * bs))
            self._cached[key] = CachedBlock(tuple(token_ids[i * bs : (i + 1) * bs]), rows)
            added += 1
        for key in reversed(keys):  # parents end most recent: leaves are evicted first
            if key in self._cached:
                self._cached.move_to_end(key)
        return added
