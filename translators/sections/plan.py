"""Split a screen into sections that fit the model's context, one LLM call each.

A section is a run of sibling layers shown inside their parent's line (so widgets stay widgets);
it fits when its prompt plus the completion budget fits the context and the spec it should
produce (measured on the rule-based spec, with a margin) fits the budget:

    prompt_tokens(section) + max_tokens <= context_tokens   and   expected_tokens <= max_tokens

The whole screen is tried first (a large model gets it in one call). Otherwise the root's
children are packed into sections, as many consecutive ones per section as fit; a child that
does not fit alone is split by its own children, recursively: its container (layout, padding,
style, placement) is written by rules and becomes the skeleton the sections are assembled into. A layer
that is too big even alone, and the sections beyond `max_sections`, are written by rules and
listed in the plan with the reason, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import pipelines
from pipelines import InputError
from translators.baseline import build_spec
from translators.baseline.convert import _Builder, _place
from translators.figma.compact import compact_tree, meaningful_name
from translators.figma.nodes import FNode
from translators.checks.readers import expected_strings
from translators.ui_spec import Spec, dump_spec

Messages = list[dict[str, str]]
PLACE_KEYS = ("x", "y", "w", "h", "min_w", "max_w", "min_h", "max_h")
"""What a node's position in its parent decides."""
TEXT_FIELDS = ("text", "placeholder", "label")
OUTPUT_MARGIN = 1.25
"""A model's spec runs longer than the rule-based one (ids, more widgets): expected tokens are
the rules' spec tokens times this."""


@dataclass(frozen=True)
class Budget:
    """The model's context and how prompts are written and counted."""

    context_tokens: int
    max_tokens: int
    count: Callable[[Messages], int]
    """Prompt tokens of chat messages, in the endpoint's tokenizer."""
    render: Callable[[str], str]
    """Compact tree -> the user message sent for it."""
    max_sections: int = 32

    def __post_init__(self) -> None:
        if not 0 < self.max_tokens < self.context_tokens:
            raise InputError(f"max_tokens={self.max_tokens} leaves no room for a prompt in a "
                             f"{self.context_tokens}-token context\n    fix: lower -p max_tokens= or raise "
                             "-p context_tokens= (the model's context in tokens)")

    def measure(self, node: FNode) -> dict[str, Any]:
        """The node as a section: its prompt, prompt tokens and expected spec tokens."""
        compact = compact_tree(node)
        prompt = self.render(compact)
        spec = build_spec(node)
        spec_text = dump_spec(spec)
        expected = round(self.count([{"role": "assistant", "content": spec_text}]) * OUTPUT_MARGIN)
        return {"compact": compact, "prompt": prompt, "prompt_tokens": self.count([{"role": "user", "content": prompt}]),
                "expected_tokens": expected, "texts": sorted(spec_texts(spec))}

    def misfit(self, m: dict[str, Any]) -> str | None:
        """Why a measured section does not fit, or None."""
        if m["prompt_tokens"] + self.max_tokens > self.context_tokens:
            return (f"prompt {m['prompt_tokens']} + max_tokens {self.max_tokens} > "
                    f"context {self.context_tokens} tokens")
        if m["expected_tokens"] > self.max_tokens:
            return f"its spec needs ~{m['expected_tokens']} tokens > max_tokens {self.max_tokens}"
        return None


def spec_texts(spec: Spec) -> set[str]:
    """Every text a spec shows (texts, labels, placeholders, repeat items)."""
    return {text for fields in expected_strings(spec).values() for key, text in fields.items()
            if key in TEXT_FIELDS and text}


def embedded_budget(context_tokens: int, max_tokens: int, render: Callable[[str], str],
                    max_sections: int = 32) -> Budget:
    """A budget counted with the embedded model's own tokenizer and chat template: exact for it,
    and more tokens than a large model's tokenizer makes of the compact tree (1,024 words
    against ~100k), so a URL model's context (`context_tokens`) is not overrun by prompts."""
    return Budget(context_tokens, max_tokens, pipelines.prompt_tokens, render, max_sections)


def plan_sections(root: FNode, budget: Budget) -> dict[str, Any]:
    """{whole, skeleton, sections, rules}: JSON-serialisable, for the recipe's DAG.

    `sections[i]` = {node, name, layers, compact, prompt, prompt_tokens, expected_tokens, texts,
    llm, fallback}: a run of sibling layers shown inside their parent's line, and the rule-based
    nodes that stand in for them; `skeleton` is the screen's spec with `{"section": i}` in the
    children lists where section i's nodes go (None when the whole screen is one section);
    `rules` lists the layers written by rules and why."""
    fixed = budget.count([{"role": "user", "content": budget.render("")}])
    if fixed + budget.max_tokens > budget.context_tokens:
        raise InputError(f"the prompt's fixed text is {fixed} tokens: with max_tokens={budget.max_tokens} no layer "
                         f"fits a {budget.context_tokens}-token context\n    fix: -p prompt=terse (the embedded "
                         "model's), or raise -p context_tokens= for a larger model")
    measured = budget.measure(root)
    if budget.misfit(measured) is None:
        section = {**measured, "node": root.id, "name": root.name, "layers": [root.id], "llm": True, "fallback": None}
        return {"whole": True, "skeleton": None, "sections": [section], "rules": []}
    planner = _Planner(budget)
    spec = build_spec(replace(root, children=[]))
    data = spec.model_dump(exclude_none=True)
    data["root"] = planner.split(root, None)
    for section in planner.sections[budget.max_sections:]:
        section["llm"] = False
        planner.rules.append({"node": section["node"], "name": section["name"],
                              "why": f"over max_sections={budget.max_sections}"})
    return {"whole": False, "skeleton": data, "sections": planner.sections, "rules": planner.rules}


class _Planner:
    def __init__(self, budget: Budget):
        self.budget = budget
        self.sections: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []

    def split(self, node: FNode, parent: FNode | None) -> dict[str, Any]:
        """The node's container by rules, its children packed into sections or split in turn."""
        shell = _Builder()._container(replace(node, children=[]))
        if parent is None:
            shell.pop("bg", None)  # the screen's background, as the rule-based spec does
        else:
            _place(shell, node)
        shell["children"] = self.pack(node)
        return shell

    def pack(self, parent: FNode) -> list[dict[str, Any]]:
        """Runs of consecutive children, as many per section as fit (each shown inside its
        parent's line, so a button stays a button); a child too big alone is split."""
        out: list[dict[str, Any]] = []
        group: list[FNode] = []
        measured: dict[str, Any] = {}
        for child in parent.children:
            if group:
                wider = self.budget.measure(replace(parent, children=[*group, child]))
                if self.budget.misfit(wider) is None:
                    group, measured = [*group, child], wider
                    continue
                out.append(self.section(parent, group, measured))
                group = []
            alone = self.budget.measure(replace(parent, children=[child]))
            why = self.budget.misfit(alone)
            if why is None:
                group, measured = [child], alone
            elif child.children:
                out.append(self.split(child, parent))
            else:
                self.rules.append({"node": child.id, "name": meaningful_name(child) or child.kind,
                                   "why": f"too big alone: {why}"})
                out.append(_Builder().node(child, parent))
        if group:
            out.append(self.section(parent, group, measured))
        return out

    def section(self, parent: FNode, group: list[FNode], measured: dict[str, Any]) -> dict[str, Any]:
        builder = _Builder()
        names = [meaningful_name(c) or c.kind for c in group]
        name = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        self.sections.append({**measured, "node": group[0].id, "name": name, "layers": [c.id for c in group],
                              "llm": True, "fallback": [builder.node(c, parent) for c in group]})
        return {"section": len(self.sections) - 1}
