"""A minimal batched sampler over MoEModel, for training-time evals and the quality benchmark.

Static batching only: all prompts are prefilled in one step, then every unfinished sequence
decodes one token per step. The serving engine (continuous batching, prefix cache) lives in
`moe.engine`; this loop exists so that model quality can be measured without it. Each call runs
with BLAS on one thread (`moe.inference.blas`).
"""

from __future__ import annotations

import numpy as np

from moe.inference.blas import single_blas_thread
from moe.inference.latent_cache import LatentCache
from moe.inference.model import MoEModel, SeqChunk
from moe.inference.sampling import sample_softmax


def sample_tokens(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """One token id per row of logits; temperature 0 means greedy."""
    if temperature <= 0:
        return logits.argmax(axis=-1)
    return sample_softmax(logits, np.full(len(logits), temperature), [rng] * len(logits))


def generate(model: MoEModel, prompts: list[list[int]], max_new_tokens: int,
             temperature: float, rng: np.random.Generator) -> list[list[int]]:
    """Completion token ids per prompt (without the final eos)."""
    with single_blas_thread():
        return _generate(model, prompts, max_new_tokens, temperature, rng)


def _generate(model: MoEModel, prompts: list[list[int]], max_new_tokens: int,
              temperature: float, rng: np.random.Generator) -> list[list[int]]:
    cfg, eos = model.config, model.tokenizer.eos_id
    caches = [LatentCache(cfg) for _ in prompts]
    budget = [min(max_new_tokens, cfg.max_seq_len - len(p)) for p in prompts]
    outputs: list[list[int]] = [[] for _ in prompts]
    active = [i for i, b in enumerate(budget) if b > 0]
    chunks = [SeqChunk(np.asarray(prompts[i], dtype=np.int32), caches[i]) for i in active]
    while active:
        tokens = sample_tokens(model.forward(chunks).logits, temperature, rng)
        still = []
        for i, token in zip(active, tokens.tolist()):
            if token == eos:
                continue
            outputs[i].append(token)
            if len(outputs[i]) < budget[i]:
                still.append(i)
        active = still
        chunks = [SeqChunk(np.array([outputs[i][-1]], dtype=np.int32), caches[i]) for i in active]
    return outputs


def complete(model: MoEModel, user_prompts: list[str], max_new_tokens: int,
             temperature: float, rng: np.random.Generator) -> list[str]:
    """Assistant replies to single-turn user prompts, decoded to text."""
    tok = model.tokenizer
    ids = [tok.apply_chat_template([{"role": "user", "content": p}]) for p in user_prompts]
    return [tok.decode(out) for out in generate(model, ids, max_new_tokens, temperature, rng)]
