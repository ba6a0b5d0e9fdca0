import numpy as np
import pytest

from moe.engine.block_manager import BlockManager
from moe.inference import LatentCache, SeqChunk

from tests.moe.engine.conftest import SMALL


class RowsCache:
    """Rows whose value is the token position, so a hit shows where its rows came from."""

    def __init__(self, n: int, tag: float = 0.0):
        self.n, self.tag = n, tag

    def __len__(self) -> int:
        return self.n

    def rows(self, start: int, end: int) -> np.ndarray:
        return np.arange(start, end, dtype=np.float32)[None, :, None] + self.tag


def test_hit_needs_the_same_prefix_and_reuses_rows():
    bm = BlockManager(num_blocks=100, block_size=4)
    tokens = list(range(10))
    assert bm.insert(tokens, RowsCache(10), 10) == 2  # two full blocks; the tail is not cached
    hit = bm.match(tokens[:8] + [99, 98])
    assert hit.num_tokens == 8
    assert np.concatenate(hit.rows, axis=1).ravel().tolist() == list(range(8))
    # Same second block behind a different first block: no hit (keys are chained).
    assert bm.match([7, 7, 7, 7] + tokens[4:8] + [1]).num_tokens == 0
    assert bm.match(tokens[:4] + [5, 5, 5, 5, 1]).num_tokens == 4


def test_last_prompt_token_is_always_recomputed():
    bm = BlockManager(num_blocks=100, block_size=4)
    tokens = list(range(8))
    bm.insert(tokens, RowsCache(8), 8)
    assert bm.match(tokens).num_tokens == 7


def test_reservations_evict_least_recently_used_blocks_leaves_first():
    bm = BlockManager(num_blocks=4, block_size=2)
    a, b = [1, 2, 3, 4], [5, 6, 7, 8]
    bm.insert(a, RowsCache(4), 4)
    bm.insert(b, RowsCache(4), 4)
    assert bm.cached_blocks == 4
    bm.match(a + [0])  # a is now the most recent
    bm.reserve("r1", 1)
    assert bm.cached_blocks == 3
    # b's leaf went first, its parent is still there; a is untouched.
    assert bm.match(b + [0]).num_tokens == 2
    assert bm.match(a + [0]).num_tokens == 4
    bm.reserve("r2", 3)
    assert bm.cached_blocks == 0 and bm.usage == 1.0
    assert not bm.can_reserve(1)
    with pytest.raises(RuntimeError):
        bm.reserve("r3", 1)
    bm.release("r1")
    bm.release("r2")
    assert bm.usage == 0.0 and bm.can_reserve(4)


def test_insert_never_takes_reserved_room():
    bm = BlockManager(num_blocks=3, block_size=2)
    bm.reserve("live", 2)
    assert bm.insert([1, 2, 3, 4], RowsCache(4), 4) == 1
    assert bm.cached_blocks == 1


def test_pending_blocks_are_announced_until_computed():
    bm = BlockManager(num_blocks=10, block_size=2)
    tokens = [1, 2, 3, 4, 5]
    bm.mark_pending("r1", tokens, 0)
    assert bm.match(tokens).pending
    bm.insert(tokens, RowsCache(4), 4)
    hit = bm.match(tokens)
    assert not hit.pending and hit.num_tokens == 4
    bm.mark_pending("r2", [9, 9, 9, 9], 0)
    bm.release("r2")
    assert not bm.match([9, 9, 9, 9]).pending


def test_cached_rows_continue_a_sequence_exactly(model):
    """Rows from the prefix cache give the same next-token logits as computing everything."""
    bm = BlockManager(num_blocks=64, block_size=16)
    tokens = np.random.default_rng(0).integers(7, SMALL.vocab_size, size=70).tolist()
    first = LatentCache(SMALL)
    model.forward([SeqChunk(np.array(tokens[:50], np.int32), first)])
    bm.insert(tokens, first, 50)
    hit = bm.match(tokens)
    assert hit.num_tokens == 48
    cache = LatentCache.from_rows(SMALL, np.concatenate(hit.rows, axis=1))
    out = model.forward([SeqChunk(np.array(tokens[48:], np.int32), cache)])
    expected = model.sequence_logits(np.array(tokens, np.int32))[-1]
    np.testing.assert_allclose(out.logits[0], expected, atol=1e-4)
