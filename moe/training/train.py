"""Train the embedded MoE model: `python scripts/train_moe.py --out runs/moe [--device cuda]`.

`main(argv, figma_example)` is the trainer; the script is the one place that passes it the
translators' Figma screens for the mixture's `figma` source. Needs the `train` extra (torch).
Reproducible from --seed: the initial weights come from torch's seeded generator and batch
`step` is a pure function of (seed, step). Writes a resumable checkpoint (ckpt.pt) and exported
numpy weights (weights/) every --ckpt-every steps and when --time-limit is reached; rerunning
the same command resumes from ckpt.pt.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing as mp
import os
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from moe.config import ModelConfig
from moe.data import arith_items, boxed_answer, solve_prompt
from moe.inference import MoEModel, complete, write_weights
from moe.tokenizer import Tokenizer
from moe.training.mixture import Curriculum, FigmaExample, Phases, sample_batch, text_corpus
from moe.training.own_samples import OwnSamples
from moe.training.self_play import generate_own_samples
from moe.training.skills import all_curricula
from moe.training.torch_model import MoETransformer


OWN_TASK_TOKENS = 200
"""Reply budget of own samples when the pool holds sorting (6 numbers: ~150 tokens)."""

TOKENIZER_CORPUS = 3000
"""Examples per source the BPE is trained on."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/train_moe.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="run directory (checkpoint, weights, log)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=6000, help="total optimizer steps (sets the LR schedule)")
    ap.add_argument("--batch", type=int, default=160, help="examples per step")
    ap.add_argument("--micro", type=int, default=2, help="length-sorted micro-batches per step")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--decay-steps", type=int, default=1000, help="final linear LR decay length")
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--bias-gamma", type=float, default=1e-3, help="router bias step (aux-loss-free balancing)")
    ap.add_argument("--balance-alpha", type=float, default=1e-4, help="weight of the small balance loss")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--workers", type=int, default=1, help="processes generating batches")
    ap.add_argument("--time-limit", type=float, default=0, help="seconds; checkpoint and stop when reached")
    ap.add_argument("--budget-seconds", type=float, default=0,
                    help="fit --steps to this many seconds, timed over the first steps (printed, "
                         "so that the run can be reproduced with --steps)")
    ap.add_argument("--snapshot-dir", type=Path, help="also keep model_<step>.safetensors here at each checkpoint")
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-size", type=int, default=48)
    ap.add_argument("--own-problems", type=int, default=3000,
                    help="training problems the model samples its own candidates for (last phase)")
    ap.add_argument("--own-samples", type=int, default=8, help="samples per such problem")
    ap.add_argument("--init-from", type=Path, help="weights dir to start from (fresh optimizer)")
    ap.add_argument("--curriculum", default="full",
                    choices=("full", "refine", "stretch", "skills", "robust", "sections", "aggregate", "compare"),
                    help="data mixture: full (from scratch); refine or stretch (fine-tune --init-from "
                         "weights on aggregating their own samples; stretch aggregates longer problems "
                         "than it solves); skills (stretch plus chat variety, number sorting and filtering); robust (stretch plus chat variety); "
                         "sections (aggregate plus real-like Figma sections); aggregate (skills turned toward "
                         "aggregating sorting and filtering, own samples of all three families); compare "
                         "(aggregate turned toward lists of close numbers)")
    ap.add_argument("--config", type=Path, help="config.json overriding the default architecture")
    return ap.parse_args(argv)


def lr_at(step: int, args: argparse.Namespace) -> float:
    """Warmup, then constant, then a linear decay to 10% over the last --decay-steps steps.

    A run stopped during the constant phase and resumed with a larger --steps follows the
    same schedule as one started with that --steps, so long runs can be extended.
    """
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    decay_from = args.steps - args.decay_steps
    if step < decay_from:
        return args.lr
    return args.lr * (1.0 - 0.9 * (step - decay_from) / max(1, args.decay_steps))


@functools.lru_cache(maxsize=1)
def _tokenizer(path: str) -> Tokenizer:
    return Tokenizer.load(path)


@functools.lru_cache(maxsize=1)
def _own_samples(path: str | None) -> OwnSamples | None:
    return OwnSamples.load(Path(path)) if path else None


def make_batch(step: int, seed: int, size: int, max_len: int, tokenizer_path: str, total_steps: int,
               own_path: str | None, curriculum: Curriculum):
    return sample_batch(seed, step, size, _tokenizer(tokenizer_path), max_len, total_steps, curriculum,
                        _own_samples(own_path))


def own_samples_file(args, model, tokenizer: Tokenizer, curriculum: Curriculum) -> Path:
    """The run's own-sample pool, generated once (at the start of the phase that uses it)."""
    path = args.out / "own_samples.jsonl"
    if not path.exists():
        began = time.time()
        own = generate_own_samples(model, tokenizer, args.seed, args.own_problems, args.own_samples,
                                   ops=curriculum.own_ops, tasks=curriculum.own_tasks,
                                   max_new_tokens=OWN_TASK_TOKENS if curriculum.own_tasks else 128)
        own.save(path)
        print(f"own samples: {args.own_problems} problems x {args.own_samples}, accuracy "
              f"{own.accuracy():.3f}, {len(own.with_wrong)} problems with a wrong sample "
              f"({time.time() - began:.0f}s)", flush=True)
    return path


def run_tokenizer(out: Path, seed: int, vocab_size: int, corpus_phases: Phases,
                  init_from: Path | None = None) -> Path:
    """The run's tokenizer: the initial weights' one, else trained once on the data of
    `corpus_phases` (the `full` curriculum's), then reused on resume."""
    path = out / "tokenizer.json"
    if not path.exists() and init_from:
        shutil.copy(init_from / "tokenizer.json", path)
    if not path.exists():
        tokenizer = Tokenizer.train(text_corpus(seed, TOKENIZER_CORPUS, corpus_phases), vocab_size)
        if tokenizer.vocab_size != vocab_size:
            raise SystemExit(f"the BPE stopped at {tokenizer.vocab_size} tokens; set vocab_size to that")
        tokenizer.save(path)
    return path


def micro_batches(tokens: np.ndarray, mask: np.ndarray, parts: int):
    """Split by length (shortest first) and trim each part's padding: less wasted compute."""
    lengths = (mask > 0).sum(1) + np.argmax(mask > 0, axis=1) + 1
    order = np.argsort(lengths, kind="stable")
    for idx in np.array_split(order, parts):
        if idx.size:
            width = int(lengths[idx].max())
            yield tokens[idx, :width], mask[idx, :width]


def train_step(model, opt, tokens, mask, args, device, step) -> dict:
    for group in opt.param_groups:
        group["lr"] = lr_at(step, args)
    opt.zero_grad(set_to_none=True)
    total = float(mask.sum())
    loss_sum, loads = 0.0, None
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    for tok, msk in micro_batches(tokens, mask, args.micro):
        tok_t = torch.from_numpy(tok).to(device, non_blocking=True)
        msk_t = torch.from_numpy(msk).to(device, non_blocking=True)
        with autocast:
            logits, load, balance = model(tok_t, token_mask=(tok_t != 0))
            # target of position t is token t+1; the wrapped last column is never in the mask
            targets = torch.roll(tok_t, -1, dims=1).reshape(-1)
            ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets, reduction="none")
            loss = (ce * msk_t.reshape(-1)).sum() / total
            share = msk_t.sum() / total
        (loss + args.balance_alpha * balance * share).backward()
        loss_sum += loss.item()
        loads = load if loads is None else loads + load
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    model.update_router_bias(loads, args.bias_gamma)
    imbalance = (loads.max(1).values / loads.mean(1)).max().item()
    return {"loss": loss_sum, "imbalance": imbalance}


def evaluate(model: MoETransformer, tokenizer: Tokenizer, size: int) -> dict:
    """Greedy and T=1 exact-answer accuracy on held-out 4-step problems (numpy inference)."""
    numpy_model = MoEModel(model.config, model.state_arrays(), tokenizer)
    items = arith_items(size, seed=777)
    prompts = [solve_prompt(it["question"]) for it in items]
    scores = {}
    for name, temp in (("greedy", 0.0), ("t1", 1.0)):
        replies = complete(numpy_model, prompts, 96, temp, np.random.default_rng(0))
        scores[name] = float(np.mean([boxed_answer(r) == it["answer"] for r, it in zip(replies, items)]))
    scores["sample"] = replies[0]
    return scores


def save(out: Path, model, opt, step: int, args, tokenizer: Tokenizer) -> None:
    tmp = out / "ckpt.pt.tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                "config": model.config.to_dict(), "seed": args.seed}, tmp)
    os.replace(tmp, out / "ckpt.pt")
    write_weights(out / "weights", model.config, tokenizer, model.state_arrays())


def main(argv: list[str] | None, figma_example: FigmaExample, real_like: FigmaExample | None = None) -> None:
    """Train (or resume) the run `argv` describes; `figma_example` draws the mixture's `figma`
    examples and `real_like` its `figma_real` ones (the `sections` curriculum)."""
    args = parse_args(argv)
    mixture = all_curricula(figma_example, real_like)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    config_file = args.config or (args.init_from / "config.json" if args.init_from else None)
    config = ModelConfig.from_dict(json.loads(config_file.read_text())) if config_file else ModelConfig()
    args.out.mkdir(parents=True, exist_ok=True)
    tokenizer_path = run_tokenizer(args.out, args.seed, config.vocab_size, mixture["full"].phases, args.init_from)
    model = MoETransformer(config, dense_experts=device.type == "cuda").to(device)
    if args.init_from:
        model.load_arrays(MoEModel.load(args.init_from).tensors)
    opt = optimizer(model, args)
    start = resume(args.out / "ckpt.pt", model, opt, device)
    with open(args.out / "train.log", "a") as log:
        train_loop(args, model, opt, device, Tokenizer.load(tokenizer_path), str(tokenizer_path),
                   mixture[args.curriculum], start, log)


def optimizer(model: MoETransformer, args: argparse.Namespace) -> torch.optim.AdamW:
    """AdamW with weight decay on the matrices only (not on norms and biases)."""
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))


def resume(ckpt: Path, model: MoETransformer, opt: torch.optim.Optimizer, device: torch.device) -> int:
    """Load model and optimizer state from `ckpt` when it exists; returns the step to continue from."""
    if not ckpt.exists():
        return 0
    state = torch.load(ckpt, map_location=device)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    print(f"resumed from {ckpt} at step {state['step']}", flush=True)
    return state["step"]


def train_loop(args, model, opt, device, tokenizer: Tokenizer, tokenizer_path: str, curriculum: Curriculum,
               start: int, log) -> None:
    """Segments of steps up to --steps: the own samples are drawn between two segments, and with
    --budget-seconds the first segment times the steps that fix --steps."""
    began = time.time()
    step, fixed = start, not args.budget_seconds
    while step < args.steps:
        own_from = curriculum.first_own_sample_step(args.steps)
        own_path = str(own_samples_file(args, model, tokenizer, curriculum)) if step >= own_from else None
        stop = args.steps if step >= own_from else own_from
        if not fixed:
            stop = min(stop, step + 35)
        step, per_step = run_segment(args, model, opt, device, tokenizer, tokenizer_path, curriculum, own_path,
                                     step, stop, log, began)
        if not fixed and per_step:  # fit --steps to the time budget, timed over this segment
            args.steps = max(step + 1, step + int((args.budget_seconds - (time.time() - began)) / per_step))
            args.eval_every = min(args.eval_every, max(50, args.steps // 4))
            args.ckpt_every = min(args.ckpt_every, max(50, args.steps // 8))
            fixed = True
            print(f"{per_step * 1000:.0f} ms/step: schedule fixed at --steps {args.steps}", flush=True)
        if args.time_limit and time.time() - began > args.time_limit:
            print(f"time limit reached at step {step}; rerun the same command to resume", flush=True)
            break


WARMUP_STEPS = 5
"""Steps of a segment left out of its timing (worker start-up, first CUDA kernels)."""


def run_segment(args, model, opt, device, tokenizer, tokenizer_path, curriculum, own_path, start, stop, log,
                began) -> tuple[int, float | None]:
    """Train steps [start, stop) on one batch stream; returns the next step and the seconds per
    step after the first WARMUP_STEPS (None when the segment was shorter)."""
    batches = functools.partial(make_batch, seed=args.seed, size=args.batch, max_len=model.config.max_seq_len,
                                tokenizer_path=tokenizer_path, total_steps=args.steps, own_path=own_path,
                                curriculum=curriculum)
    pool = mp.get_context("spawn").Pool(args.workers) if args.workers > 1 else None
    stream = (pool.imap(batches, range(start, stop), chunksize=4) if pool else map(batches, range(start, stop)))
    timed_from = None
    try:
        for step, (tokens, mask, _) in enumerate(stream, start=start):
            stats = train_step(model, opt, tokens, mask, args, device, step)
            done = step + 1
            if done == start + WARMUP_STEPS:
                timed_from = time.time()
            if done % 25 == 0 or done == args.steps:
                line = (f"step {done} loss {stats['loss']:.4f} imbalance {stats['imbalance']:.2f} "
                        f"lr {lr_at(step, args):.2e} elapsed {time.time() - began:.0f}s")
                print(line, flush=True)
                log.write(line + "\n")
                log.flush()
            out_of_time = args.time_limit and time.time() - began > args.time_limit
            if done % args.ckpt_every == 0 or done == args.steps or out_of_time:
                save(args.out, model, opt, done, args, tokenizer)
                if args.snapshot_dir:
                    args.snapshot_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copy(args.out / "weights" / "model.safetensors",
                                args.snapshot_dir / f"model_{done}.safetensors")
            if done % args.eval_every == 0 or done == args.steps:
                line = f"eval step {done} {json.dumps(evaluate(model, tokenizer, args.eval_size))}"
                print(line, flush=True)
                log.write(line + "\n")
                log.flush()
            if out_of_time:
                return done, None
        timed = stop - start - WARMUP_STEPS
        return stop, ((time.time() - timed_from) / timed if timed > 0 else None)
    finally:
        if pool:
            pool.terminate()


