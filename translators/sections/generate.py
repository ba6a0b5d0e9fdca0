"""The sections' LLM step: check each section's first answer, repair the failures through the
caller's `chat`, and assemble one spec (rules filling the sections the model could not write)."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import yaml

from translators.llm import Chat, Prompts, SpecOutcome, generate_spec
from translators.sections.assemble import assemble, section_nodes
from translators.sections.plan import spec_texts
from translators.ui_spec import ALL_TARGETS, Spec, check_spec, dump_spec


async def sections_spec(plan: dict[str, Any], replies: list[str], chat: Chat, prompts: Prompts, *,
                        max_rounds: int = 3, targets: tuple[str, ...] = ALL_TARGETS, seed: int = 0,
                        sampling: dict[str, Any] | None = None, fallback: bool = True) -> dict[str, Any]:
    """{status: valid|partial|failed, rounds, spec_yaml, source, errors, sections, rules, whole}.

    `replies[i]` answers the i-th section the plan sends to the model (`llm: true`)."""
    asked = [s for s in plan["sections"] if s["llm"]]
    if len(replies) != len(asked):
        raise ValueError(f"{len(replies)} answers for {len(asked)} sections")
    outcomes = await asyncio.gather(*(
        generate_spec(s["compact"], chat, prompts, max_rounds=max_rounds, targets=targets, seed=seed,
                      sampling=sampling, first_reply=reply, faithful=same_texts(s["texts"]))
        for s, reply in zip(asked, replies)))
    answered = iter(outcomes)
    nodes, rows = [], []
    for section in plan["sections"]:
        outcome = next(answered) if section["llm"] else None
        nodes.append(_nodes(plan, outcome))
        rows.append(_row(section, outcome))
    failed = [r for r in rows if r["status"] == "failed"]
    result = {"whole": plan["whole"], "rounds": sum(o.rounds for o in outcomes), "sections": rows,
              "rules": plan["rules"], "errors": [f"section {r['name']!r}: {e}" for r in failed for e in r["errors"][:2]]}
    if not any(r["status"] == "valid" for r in rows) or (failed and (plan["whole"] or not fallback)):
        return {**result, "status": "failed", "spec_yaml": None, "source": None}
    checked = check_spec(assemble(plan, nodes), targets=targets, name="assembled.yaml")
    if not checked.ok or checked.spec is None:
        return {**result, "status": "failed", "spec_yaml": None, "source": None,
                "errors": result["errors"] + checked.messages()[:12]}
    return {**result, "status": "partial" if failed else "valid", "spec_yaml": dump_spec(checked.spec),
            "source": _source(rows, plan)}


def same_texts(texts: list[str]) -> Callable[[Spec], list[str]]:
    """A check that a spec shows exactly the layer's texts: a model that invents or drops
    copy fails the section (it is asked again, then written by rules)."""
    want = set(texts)

    def check(spec: Spec) -> list[str]:
        got = spec_texts(spec)
        return ([f"text {t!r} is not in the Figma layer\n    fix: write only the layer's texts" for t in sorted(got - want)][:3]
                + [f"the layer's text {t!r} is missing\n    fix: keep every text of the layer" for t in sorted(want - got)][:3])
    return check


def _nodes(plan: dict[str, Any], outcome: SpecOutcome | None) -> Any:
    """The whole spec, or the section's nodes; None when rules must stand in."""
    if outcome is None or outcome.status != "valid" or outcome.spec_yaml is None:
        return None
    spec = yaml.safe_load(outcome.spec_yaml)
    return spec if plan["whole"] else section_nodes(spec)


def _row(section: dict[str, Any], outcome: SpecOutcome | None) -> dict[str, Any]:
    row = {k: section[k] for k in ("node", "name", "prompt_tokens", "expected_tokens")}
    if outcome is None:
        return {**row, "status": "rules", "rounds": 0, "errors": []}
    return {**row, "status": outcome.status, "rounds": outcome.rounds, "errors": outcome.errors}


def _source(rows: list[dict[str, Any]], plan: dict[str, Any]) -> str:
    if plan["whole"]:
        return "llm"
    by_rules = sum(r["status"] != "valid" for r in rows)
    alone = sum(r["why"].startswith("too big alone") for r in plan["rules"])
    extra = f", {alone} layer(s) too big alone by rules" if alone else ""
    return (f"llm ({len(rows)} sections" + (f", {by_rules} by rules" if by_rules else "") + extra + ")")
