"""The whole chain that produces the shipped weights, as one command:

    python scripts/train_moe.py --chain shipped --out runs/chain [--device auto] [--through refine]

`shipped` (the weights in moe/weights) is base, refine and stretch (`stretch`: arithmetic and
its aggregation), then two chat fine-tunes (robust, then polish at a lower rate: `robust`), then
two passes of the `skills` curriculum (chat variety plus number sorting and filtering,
`moe.training.skills`) and one of `aggregate` (the same, turned toward aggregating sorting and
filtering); `sections` adds real-like Figma sections to `aggregate`.

Stages run in order, each a `moe.training.train` run in `<out>/<stage>/` that starts from the
previous stage's weights. Each stage is seeded and resumable (its ckpt.pt); a finished stage
leaves `<out>/<stage>/DONE` and is skipped on rerun, so rerunning the command after a kill
continues where it stopped. `<out>/chain.log` records, per stage, the command, the device it
trained on, when it started and how long it took. The device is the GPU when one is available,
else the CPU; a stage's flags may differ per device (`Stage.gpu` / `Stage.cpu`: the base run's
batch workers), never its data.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from moe.training import train
from moe.training.mixture import FigmaExample


@dataclass(frozen=True)
class Stage:
    name: str
    flags: tuple[str, ...]
    gpu: tuple[str, ...] = ()
    cpu: tuple[str, ...] = ()
    keep_snapshot: int | None = None
    """Continue from this step's snapshot instead of the final weights (the base run's step 945)."""


STRETCH = (
    Stage("base", ("--steps", "1082", "--batch", "192", "--micro", "2", "--decay-steps", "1200",
                   "--ckpt-every", "135"), gpu=("--workers", "12"), keep_snapshot=945),
    Stage("refine", ("--curriculum", "refine", "--steps", "1500", "--batch", "64", "--lr", "2e-4", "--warmup", "30",
                     "--decay-steps", "400", "--own-problems", "3000", "--own-samples", "8")),
    Stage("stretch", ("--curriculum", "stretch", "--steps", "1000", "--batch", "64", "--lr", "2e-4", "--warmup",
                      "30", "--decay-steps", "300", "--own-problems", "3000", "--own-samples", "8",
                      "--ckpt-every", "250")),
)
ROBUST = Stage("robust", ("--curriculum", "robust", "--steps", "356", "--batch", "32", "--lr", "1.5e-4", "--warmup",
                          "10", "--decay-steps", "60", "--threads", "1", "--own-problems", "400", "--own-samples", "4",
                          "--ckpt-every", "25", "--eval-every", "100000"))
"""The CPU fine-tune of 2026-12-02 (docs/model.md): chat robustness, arithmetic only."""
POLISH = Stage("polish", ("--curriculum", "robust", "--steps", "800", "--batch", "32", "--lr", "1e-4", "--warmup", "20",
                          "--decay-steps", "300", "--threads", "1", "--own-problems", "400", "--own-samples", "4",
                          "--ckpt-every", "25", "--eval-every", "200", "--seed", "4321"))
"""`robust` again at a lower rate, 800 steps (CPU, 2026-12-02, seed 4321): it sharpens the T=1
distribution the first 356 steps left wide; its own-sample pool is redrawn from `robust`'s weights."""
SKILLS = Stage("skills", ("--curriculum", "skills", "--steps", "1200", "--batch", "32", "--lr", "1.5e-4", "--warmup",
                          "20", "--decay-steps", "400", "--threads", "1", "--own-problems", "400", "--own-samples", "4",
                          "--ckpt-every", "25", "--eval-every", "100000", "--seed", "4242"))
"""Chat variety plus number sorting and filtering from `polish` (CPU, 2026-12-03, 68 min)."""
SKILLS2 = Stage("skills2", ("--curriculum", "skills", "--steps", "1000", "--batch", "32", "--lr", "1e-4", "--warmup",
                            "10", "--decay-steps", "300", "--threads", "1", "--own-problems", "400", "--own-samples",
                            "4", "--ckpt-every", "25", "--eval-every", "100000", "--seed", "4343"))
"""`skills` again at a lower rate, its own samples redrawn (CPU, 2026-12-03, 67 min): sorting's
single sample goes from 19% to 46%."""
AGGREGATE = Stage("aggregate", ("--curriculum", "aggregate", "--steps", "800", "--batch", "32", "--lr", "1e-4",
                                "--warmup", "10", "--decay-steps", "300", "--threads", "1", "--own-problems", "450",
                                "--own-samples", "4", "--ckpt-every", "25", "--eval-every", "100000", "--seed", "4444"))
"""Aggregation of sorting and filtering weighted up, own samples of all three families (CPU,
2026-12-03, 66 min): the shipped weights; filtering's single sample goes from 24% to 47%."""
COMPARE = Stage("compare", ("--curriculum", "compare", "--steps", "800", "--batch", "32", "--lr", "1e-4",
                            "--warmup", "10", "--decay-steps", "300", "--threads", "1", "--own-problems", "450",
                            "--own-samples", "4", "--ckpt-every", "25", "--eval-every", "100000", "--seed", "4545"))
"""`aggregate` turned toward close numbers, where sorting and filtering slip (CPU, 2026-12-03,
53 min): tried and not shipped. Lists got no better (sorting single 47.9%, filtering 47.5%; RSA
still at majority@8) and arithmetic RSA fell (78.3% against 87.1%, 60 problems)."""
SECTIONS = Stage("sections", ("--curriculum", "sections", "--steps", "500", "--batch", "32", "--lr", "1e-4",
                              "--warmup", "10", "--decay-steps", "200", "--threads", "2", "--own-problems", "450",
                              "--own-samples", "4", "--ckpt-every", "25", "--eval-every", "100000", "--seed", "4646"))
"""`aggregate` plus real-like Figma sections (`translators.synth.real_like`), the shape of the
pieces real screens are cut into, from the shipped weights (CPU, 2026-12-03, 76 min): tried and not
shipped. The sections' loss fell from 9.6 to 1.1 a token in 500 steps and no real section came
out valid; the curve asks for some 10^5 steps (docs/model.md)."""
SHIPPED = STRETCH + (ROBUST, POLISH, SKILLS, SKILLS2, AGGREGATE)
CHAINS = {"shipped": SHIPPED, "stretch": STRETCH, "robust": STRETCH + (ROBUST, POLISH),
          "sections": SHIPPED + (SECTIONS,), "compare": SHIPPED + (COMPARE,)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/train_moe.py --chain", description=__doc__.split("\n")[0])
    ap.add_argument("--chain", choices=sorted(CHAINS), required=True)
    ap.add_argument("--out", type=Path, required=True, help="one directory per stage under it, plus chain.log")
    ap.add_argument("--device", default="auto", help="auto (GPU when available), cpu or cuda")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--through", help="last stage to run (default: all)")
    return ap.parse_args(argv)


def stage_argv(stage: Stage, out: Path, previous: Path | None, device: str, seed: int) -> list[str]:
    argv = ["--out", str(out / stage.name), "--device", device, "--seed", str(seed), *stage.flags,
            *(stage.gpu if device == "cuda" else stage.cpu)]
    if stage.keep_snapshot:
        argv += ["--snapshot-dir", str(out / stage.name / "snaps")]
    if previous:
        argv += ["--init-from", str(previous)]
    return argv


def stage_weights(stage: Stage, out: Path) -> Path:
    """The weights the next stage starts from: the final ones, or a kept snapshot's."""
    weights = out / stage.name / "weights"
    if stage.keep_snapshot is None:
        return weights
    kept = out / stage.name / f"weights_{stage.keep_snapshot}"
    if not kept.exists():
        shutil.copytree(weights, kept)
        shutil.copy(out / stage.name / "snaps" / f"model_{stage.keep_snapshot}.safetensors",
                    kept / "model.safetensors")
    return kept


def main(argv: list[str] | None, figma_example: FigmaExample, real_like: FigmaExample | None = None) -> None:
    args = parse_args(argv)
    stages = CHAINS[args.chain]
    names = [s.name for s in stages]
    if args.through and args.through not in names:
        raise SystemExit(f"--through {args.through!r}: the {args.chain} chain's stages are {', '.join(names)}")
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    args.out.mkdir(parents=True, exist_ok=True)
    previous = None
    for stage in stages[: names.index(args.through) + 1 if args.through else len(stages)]:
        done = args.out / stage.name / "DONE"
        if not done.exists():
            run_stage(stage, args, device, previous, figma_example, real_like)
        previous = stage_weights(stage, args.out)


def run_stage(stage: Stage, args, device: str, previous: Path | None, figma_example: FigmaExample,
              real_like: FigmaExample | None) -> None:
    argv = stage_argv(stage, args.out, previous, device, args.seed)
    where = torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    began = time.time()
    print(f"stage {stage.name} on {where}: scripts/train_moe.py {' '.join(argv)}", flush=True)
    train.main(argv, figma_example, real_like)
    record = {"stage": stage.name, "device": where, "started": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                                              time.gmtime(began)),
              "seconds": round(time.time() - began), "command": "scripts/train_moe.py " + " ".join(argv)}
    with open(args.out / "chain.log", "a") as log:
        log.write(json.dumps(record) + "\n")
    (args.out / stage.name / "DONE").write_text(json.dumps(record) + "\n")
