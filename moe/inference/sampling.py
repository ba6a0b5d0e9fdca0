"""Next-token sampling by inverse CDF with one uniform draw per token: what every sampler here uses.

The serving engine (`moe.engine.sampler`) and the static-batch generator (`generate`) both draw
through `sample_softmax`, so a seed gives the same token there and in any batch.
"""

from __future__ import annotations

import numpy as np

BLOCK = 32
"""Tokens per block of the two-level inverse CDF in `sample_softmax`."""


def sample_softmax(logits: np.ndarray, temperatures: np.ndarray, rngs: list) -> np.ndarray:
    """One token per row of logits [rows, vocab] by inverse CDF of softmax(logits / t), t > 0,
    with one uniform draw from rngs[i] for row i (the same generator may appear repeatedly).

    Two levels: the cumulative sums of blocks of BLOCK tokens locate the block, then a
    cumulative sum inside that block the token, because a float64 exp and cumsum over the
    whole vocabulary cost more than the rest of a batch-32 decode step's sampling.
    """
    n, vocab = logits.shape
    z = np.subtract(logits, logits.max(axis=1, keepdims=True), dtype=np.float32)
    if (temperatures != 1.0).any():
        z /= temperatures.astype(np.float32)[:, None]
    probs = np.exp(z, out=z)
    width = -(-vocab // BLOCK) * BLOCK
    if width != vocab:  # pad with zero-probability tokens to whole blocks
        probs = np.pad(probs, ((0, 0), (0, width - vocab)))
    probs = probs.reshape(n, width // BLOCK, BLOCK)
    block_sums = probs.sum(axis=2).astype(np.float64)
    cdf = np.cumsum(block_sums, axis=1)
    targets = np.array([rng.random() for rng in rngs]) * cdf[:, -1]
    # searchsorted(row, target, side="right") for every row at once: entries <= target
    block = np.minimum((cdf <= targets[:, None]).sum(axis=1), cdf.shape[1] - 1)
    rows = np.arange(n)
    rest = targets - (cdf[rows, block] - block_sums[rows, block])
    inside = np.cumsum(probs[rows, block], axis=1, dtype=np.float64)
    pick = np.minimum((inside <= rest[:, None]).sum(axis=1), BLOCK - 1)
    return np.minimum(block * BLOCK + pick, vocab - 1)
