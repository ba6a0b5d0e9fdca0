"""The model's own samples, drawn once during training and used as aggregation candidates.

Synthetic wrong candidates teach the slips we imagine; a model's real mistakes differ (a wrong
carry in one step, a product's factor used as the term). At the start of the curriculum's last
phase the trainer samples, at temperature 1.0 like RSA's first population, several solutions to
each of a few thousand training problems and saves them (`own_samples.jsonl` in the run
directory, so a resumed run reuses them: `moe.training.own_samples`).
`moe.training.mixture.own_aggregate_example` then builds aggregation prompts from those samples,
always targeting the correct solution.

Needs torch (the `train` extra). On a GPU, sampling recomputes the whole prefix each step, which
is cheap for these short sequences and keeps this module free of a second KV-cache
implementation; on a CPU the numpy inference (with its latent cache) samples instead.
"""

from __future__ import annotations

import numpy as np
import torch

from moe.data import format_solution, solve_prompt
from moe.inference import MoEModel, complete
from moe.tokenizer import Tokenizer
from moe.training.mixture import LONG_AGGREGATE_OPS, training_problem
from moe.training.own_samples import OwnEntry, OwnSamples


@torch.no_grad()
def sample_replies(model, tokenizer: Tokenizer, prompts: list[str], max_new_tokens: int,
                   temperature: float, generator: torch.Generator, batch: int = 2048) -> list[str]:
    """Replies to single-turn user prompts, sampled from the torch model (full recompute per token)."""
    device = next(model.parameters()).device
    replies: list[str] = []
    for first in range(0, len(prompts), batch):
        heads = [tokenizer.apply_chat_template([{"role": "user", "content": p}])
                 for p in prompts[first: first + batch]]
        lengths = torch.tensor([len(h) for h in heads], device=device)
        room = min(max_new_tokens, model.config.max_seq_len - int(lengths.max()))
        width = int(lengths.max()) + max(room, 0)
        tokens = torch.full((len(heads), width), tokenizer.pad_id, dtype=torch.long, device=device)
        for i, head in enumerate(heads):
            tokens[i, : len(head)] = torch.tensor(head, device=device)
        start, done = lengths.clone(), torch.zeros(len(heads), dtype=torch.bool, device=device)
        rows = torch.arange(len(heads), device=device)
        for _ in range(room):
            # right padding: a row's next token depends only on the tokens before it (causal)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits, _, _ = model(tokens[:, : int(lengths.max())])
            last = logits[rows, lengths - 1].float()
            probs = torch.softmax(last / max(temperature, 1e-6), dim=-1)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            token = torch.where(done, torch.full_like(token, tokenizer.pad_id), token)
            tokens[rows, lengths] = token
            done |= token == tokenizer.eos_id
            lengths = torch.where(done, lengths, lengths + 1)
            if bool(done.all()):
                break
        for i in range(len(heads)):
            ids = tokens[i, int(start[i]): int(lengths[i])].tolist()
            replies.append(tokenizer.decode([t for t in ids if t not in (tokenizer.eos_id, tokenizer.pad_id)]))
    return replies


def generate_own_samples(model, tokenizer: Tokenizer, seed: int, problems: int, samples: int,
                         ops=LONG_AGGREGATE_OPS, max_new_tokens: int = 128, tasks=None) -> OwnSamples:
    """`samples` replies at temperature 1.0 to each of `problems` seeded training problems
    whose operation counts follow `ops` ((counts, probabilities)), or that
    `tasks(rng, problems)` lists as (question, correct solution, answer).

    On a GPU the torch model samples (`sample_replies`); on a CPU the numpy inference of the
    same weights does, because its KV cache makes it many times faster than recomputing.
    """
    rng = np.random.default_rng([seed, 4242])
    if tasks is None:
        drawn = [training_problem(rng, int(rng.choice(ops[0], p=ops[1]))) for _ in range(problems)]
        chosen = [(p.question, format_solution(p), str(p.answer)) for p in drawn]
    else:
        chosen = tasks(rng, problems)
    prompts = [solve_prompt(question) for question, _, _ in chosen for _ in range(samples)]
    device = next(model.parameters()).device
    if device.type == "cpu":
        numpy_model = MoEModel(model.config, model.state_arrays(), tokenizer)
        sample_rng = np.random.default_rng([seed, 4243])
        replies = [reply for first in range(0, len(prompts), CPU_BATCH)
                   for reply in complete(numpy_model, prompts[first: first + CPU_BATCH],
                                         max_new_tokens, 1.0, sample_rng)]
    else:
        generator = torch.Generator(device=device).manual_seed(seed)
        was_training = model.training
        model.eval()
        replies = sample_replies(model, tokenizer, prompts, max_new_tokens, 1.0, generator)
        model.train(was_training)
    return OwnSamples([OwnEntry(question, solution, answer, tuple(replies[i * samples: (i + 1) * samples]))
                       for i, (question, solution, answer) in enumerate(chosen)])


CPU_BATCH = 512
"""Prompts per numpy `complete` call when sampling on a CPU."""
