"""Train the embedded MoE model: `python scripts/train_moe.py --out runs/moe [--device cuda]`.

One stage: `--out DIR` plus the trainer's flags. The whole chain that produces the shipped
weights (base, refine, stretch, robust, polish, skills, skills2, aggregate; seeded, resumable,
logged per stage in DIR/chain.log):
`python scripts/train_moe.py --chain shipped --out runs/chain` (`moe.training.chain`).

The trainer is `moe.training.train` (flags: `--help`); this script is the one place that wires
the translators' synthetic Figma screens into its data mixture (the `figma` source, and the
real-like layers of the `sections` curriculum's `figma_real`), so that the
`moe` package needs no other package of the project. Needs the `train` extra (torch).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moe.training import chain, train  # noqa: E402  (after the path fix)
from translators.synth import figma_example, real_like_example  # noqa: E402

FIGMA_EXAMPLE = functools.partial(figma_example, size="small")
"""(compact Figma tree, spec YAML) of a random small screen; a partial, so that the spawned batch
workers of `--workers` can unpickle it."""

if __name__ == "__main__":
    (chain if "--chain" in sys.argv else train).main(sys.argv[1:], FIGMA_EXAMPLE, real_like_example)
