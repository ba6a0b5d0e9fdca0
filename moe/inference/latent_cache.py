"""MLA latent caches: one row [kv_latent | rope key] per token and layer.

A cache either owns its buffer or lives in a slot of a `SlotPool`: one array
[n_layers, num_slots, max_seq_len, width] shared by the engine's sequences. Pooled caches of
neighbouring slots form one strided block per layer, so the decode attention of a whole batch
is a single batched matmul over that block (no per-step concatenation or copying).
"""

from __future__ import annotations

import heapq
import weakref

import numpy as np

from moe.config import ModelConfig

FLOAT_BYTES = 4


class SlotPool:
    """Fixed-size per-sequence cache slots in one contiguous array."""

    def __init__(self, config: ModelConfig, num_slots: int):
        if num_slots < 1:
            raise ValueError(f"a slot pool needs at least one slot, got {num_slots}")
        self.config = config
        # np.zeros maps untouched pages lazily: slots cost memory once used.
        self.data = np.zeros((config.n_layers, num_slots, config.max_seq_len, config.cache_width),
                             dtype=np.float32)
        self._free = list(range(num_slots))  # a heap: the lowest slot first keeps batches compact

    @property
    def num_free(self) -> int:
        return len(self._free)

    def take(self) -> int | None:
        return heapq.heappop(self._free) if self._free else None

    def give(self, slot: int) -> None:
        # Zero first: stale rows sit under the padding mask of batched attention, where a
        # non-finite value would turn 0 * x into NaN.
        self.data[:, slot] = 0.0
        heapq.heappush(self._free, slot)


class LatentCache:
    """Per-sequence MLA cache: per layer, one row [kv_latent | rope key] per token.

    With a pool that has a free slot, the rows live in that slot (returned to the pool when
    the cache is garbage-collected); otherwise in a private buffer that grows on demand.
    """

    def __init__(self, config: ModelConfig, capacity: int = 64, pool: SlotPool | None = None):
        self.config = config
        self._length = 0
        self.pool: SlotPool | None = None
        self.slot = -1
        slot = pool.take() if pool is not None else None
        if slot is None:
            self._data = np.zeros((config.n_layers, capacity, config.cache_width), dtype=np.float32)
        else:
            self.pool, self.slot = pool, slot
            self._data = pool.data[:, slot]
            weakref.finalize(self, pool.give, slot)

    def __len__(self) -> int:
        return self._length

    def rows(self, start: int, end: int) -> np.ndarray:
        """Copy of rows [start, end) of every layer: [n_layers, end-start, cache_width]."""
        if not 0 <= start <= end <= self._length:
            raise ValueError(f"rows({start}, {end}) outside the cache of length {self._length}")
        return self._data[:, start:end].copy()

    @classmethod
    def from_rows(cls, config: ModelConfig, rows: np.ndarray, pool: SlotPool | None = None) -> "LatentCache":
        expected = (config.n_layers, config.cache_width)
        if rows.ndim != 3 or (rows.shape[0], rows.shape[2]) != expected:
            raise ValueError(f"rows of shape {rows.shape} do not fit [n_layers, n, cache_width]={expected}")
        cache = cls(config, capacity=max(64, rows.shape[1]), pool=pool)
        cache._data[:, : rows.shape[1]] = rows
        cache._length = rows.shape[1]
        return cache

    def truncate(self, n: int) -> None:
        """Forget every token from position n on (n <= len)."""
        if not 0 <= n <= self._length:
            raise ValueError(f"truncate({n}) on a cache of length {self._length}")
        self._length = n

    def nbytes(self) -> int:
        """Bytes held by the cached tokens (not the spare capacity)."""
        return self._length * self.config.n_layers * self.config.cache_width * FLOAT_BYTES

    def layer(self, li: int) -> np.ndarray:
        """Layer li's row buffer [capacity, cache_width] (a view, spare rows included)."""
        return self._data[li]

    def reserve(self, extra: int) -> None:
        """Room for `extra` rows after the cached ones (a private buffer grows; a pool slot cannot)."""
        needed = self._length + extra
        if needed > self._data.shape[1]:
            if self.pool is not None:
                raise ValueError(f"{needed} tokens exceed the pool slot of {self._data.shape[1]} rows")
            grown = np.zeros((self._data.shape[0], max(needed, 2 * self._data.shape[1]),
                              self._data.shape[2]), dtype=np.float32)
            grown[:, : self._length] = self._data[:, : self._length]
            self._data = grown

    def advance(self, n: int) -> None:
        """Count the next n rows, written by a forward step into `reserve`d room, as cached."""
        self._length += n
