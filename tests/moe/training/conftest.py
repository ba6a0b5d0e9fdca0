"""The `figma` source wired as scripts/train_moe.py wires it: the translators' small synthetic screens."""

import functools

from translators.synth import figma_example

FIGMA_EXAMPLE = functools.partial(figma_example, size="small")
