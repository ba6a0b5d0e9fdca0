"""Seeded synthetic (Figma JSON, spec YAML) pairs, for tests and for training the embedded model.

    figma_json, spec_yaml = generate_pair(7)
    prompt = translators.figma.compact(figma_json)   # what the model reads
    # spec_yaml is what it should write

The spec is drawn first and the design is drawn from it; layer names are sometimes Figma's
defaults and some widgets are plain frames (`messy`), so names alone do not always give the
answer. Ids follow the baseline's rule (layer name, else the node's kind, numbered on reuse).

`real_like_example(rng)` draws what real files look like instead (absolutely placed shapes and
texts, shadows, gradients, odd sizes; cut into sections as the planner cuts a screen), with the
rule-based spec as the completion: see `translators.synth.real_like`.
"""

from __future__ import annotations

import random
from typing import Any

from translators.baseline.ids import IdAllocator
from translators.figma import compact
from translators.figma.compact import chosen_name
from translators.synth.blocks import G
from translators.synth.real_like import real_like_example
from translators.synth.rest import to_rest
from translators.synth.screen import make_screen
from translators.ui_spec import Spec, dump_spec

SIZES = ("small", "medium", "large")


def _assign_ids(root: G) -> None:
    ids = IdAllocator()

    def visit(g: G) -> None:
        named = g.named or g.design
        text = named.text if named.type == "TEXT" else None
        name = chosen_name(named.name, text, named.component if named.type == "INSTANCE" else None)
        g.spec["id"] = ids.make(name or g.hint, g.fallback)
        for kid in g.kids:
            visit(kid)
        for text_g, values in g.bound:  # the repeat's fields are its template texts' ids
            field = text_g.spec.pop("text") and text_g.spec["id"]
            text_g.spec["bind"] = field
        if g.bound:
            g.spec["items"] = [{t.spec["id"]: values[i] for t, values in g.bound}
                               for i in range(len(g.bound[0][1]))]

    visit(G(root.spec["root"], root.design, root.kids, root.fallback))


def generate(seed: int, size: str = "small", messy: float = 0.25) -> tuple[dict[str, Any], Spec]:
    """(Figma files response, validated spec) for `seed`."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    rng = random.Random(seed)
    root, screen = make_screen(rng, size, messy)
    _assign_ids(root)
    figma = to_rest([root.design], name=f"synthetic {seed}")
    return figma, Spec.model_validate(root.spec)


def generate_pair(seed: int, size: str = "small", messy: float = 0.25) -> tuple[dict[str, Any], str]:
    """(Figma JSON as returned by GET /v1/files/:key, the spec's canonical YAML)."""
    figma, spec = generate(seed, size, messy)
    return figma, dump_spec(spec)


def figma_example(rng: Any, size: str = "small", messy: float = 0.25) -> tuple[str, str]:
    """(prompt, completion) for the embedded model's training mixture (the `figma` source of
    `moe.training.mixture`, wired in by `scripts/train_moe.py`): the compact tree of a random
    screen and its spec YAML. `rng` is a numpy Generator."""
    figma, spec_yaml = generate_pair(int(rng.integers(0, 2**31 - 1)), size, messy)
    return compact(figma), spec_yaml


__all__ = ["SIZES", "figma_example", "generate", "generate_pair", "real_like_example"]
