"""Sampling parameters and next-token sampling with a per-choice seeded RNG."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SamplingParams:
    """How to generate the completions of one request (already validated by the caller)."""

    max_tokens: int | None = None
    """Most tokens per choice; None means up to the context length."""
    temperature: float = 1.0
    """0 means greedy (argmax)."""
    top_p: float = 1.0
    """Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p."""
    n: int = 1
    """Choices generated from one shared prompt prefill."""
    seed: int | None = None
    """Same seed, same text: each choice gets its own generator seeded by (seed, index)."""
    stop: tuple[str, ...] = ()
    """Generation of a choice ends before the first occurrence of any of these strings."""
    ignore_eos: bool = False
    """Keep generating past the end-of-sequence token (benchmarks use it for fixed lengths)."""


def choice_rng(seed: int | None, index: int) -> np.random.Generator:
    """The generator of choice `index`; independent of batch composition and other requests."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([seed % 2**64, index])


def sample_token(
    logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator
) -> int:
    """Draw one token id from a row of logits.

    Exactly one uniform draw per sampled token, taken by inverse CDF, so a choice's sequence of
    draws never depends on anything but its own generator.
    """
    if temperature <= 0.0:
        return int(np.argmax(logits))
    z = logits.astype(np.float64) / temperature
    probs = np.exp(z - z.max())
    if top_p >= 1.0:  # any fixed order works for inverse-CDF sampling: keep the vocabulary's
        cdf = np.cumsum(probs)
        return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)
    order = np.argsort(-probs, kind="stable")
    cdf = np.cumsum(probs[order])
    cdf /= cdf[-1]
    keep = int(np.searchsorted(cdf, top_p, side="left")) + 1
    pick = int(np.searchsorted(cdf[:keep], rng.random() * cdf[keep - 1], side="right"))
    return int(order[min(pick, keep - 1)])


def sample_batch(
    rows: list[np.ndarray], params: list[SamplingParams], rngs: list[np.random.Generator]
) -> list[int]:
    """`sample_token` for many rows at once; row i gives exactly what it would alone.

    The softmax and CDF of all plain (top_p = 1) rows are computed in one go: the same
    element-wise float64 operations and row-wise cumulative sums as for a single row.
    """
    if not rows:
        return []
    logits = np.stack(rows)
    tokens = np.argmax(logits, axis=1).tolist()
    plain = [i for i, p in enumerate(params) if p.temperature > 0 and p.top_p >= 1.0]
    if plain:
        temps = np.array([params[i].temperature for i in plain])[:, None]
        z = logits[plain].astype(np.float64) / temps
        cdf = np.cumsum(np.exp(z - z.max(axis=1, keepdims=True)), axis=1)
        targets = np.array([rngs[i].random() for i in plain]) * cdf[:, -1]
        # searchsorted(row, target, side="right") for every row at once: entries <= target
        picks = np.minimum((cdf <= targets[:, None]).sum(axis=1), cdf.shape[1] - 1).tolist()
        for i, pick in zip(plain, picks):
            tokens[i] = pick
    for i, p in enumerate(params):
        if p.temperature > 0 and p.top_p < 1.0:
            tokens[i] = sample_token(rows[i], p.temperature, p.top_p, rngs[i])
    return tokens
