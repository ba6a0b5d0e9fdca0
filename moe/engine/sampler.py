"""Sampling parameters and next-token sampling with a per-choice seeded RNG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from moe.inference.sampling import sample_softmax


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
    grammar: Any = None
    """Hold each choice's text to this grammar (`moe.structured.compile_schema`): tokens that
    would leave it are masked before sampling, and the choice ends only where it may."""


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
    if top_p >= 1.0:
        return int(sample_softmax(np.asarray(logits)[None], np.array([temperature]), [rng])[0])
    z = logits.astype(np.float64) / temperature
    probs = np.exp(z - z.max())
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

    All plain (top_p = 1) rows are sampled in one `sample_softmax` call, which computes each row
    with row-wise operations only, so a row's token never depends on its neighbours.
    """
    if not rows:
        return []
    logits = np.stack(rows)
    tokens = np.argmax(logits, axis=1).tolist()
    plain = [i for i, p in enumerate(params) if p.temperature > 0 and p.top_p >= 1.0]
    if plain:
        temps = np.array([params[i].temperature for i in plain])
        picks = sample_softmax(logits[plain], temps, [rngs[i] for i in plain]).tolist()
        for i, pick in zip(plain, picks):
            tokens[i] = pick
    for i, p in enumerate(params):
        if p.temperature > 0 and p.top_p < 1.0:
            tokens[i] = sample_token(rows[i], p.temperature, p.top_p, rngs[i])
    return tokens
