"""The LLM step: compact tree -> YAML spec, with a bounded repair loop.

Each round sends one chat request (through the caller's `chat`, e.g. the engine's metered,
cached `ctx.chat`), pulls the YAML out of the reply and validates it. On failure the
validator's messages go back to the model; after `max_rounds` the outcome is `failed` with
the last errors. Rounds carry distinct seeds so a cache never replays a rejected answer.
A call the endpoint refuses (e.g. a prompt over the model's context) ends the step as
`failed` with that error; budget and offline-cache stops still propagate.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from pipelines.errors import CallError
from translators.ui_spec import ALL_TARGETS, check_spec, dump_spec

Chat = Callable[..., Awaitable[str]]
Messages = list[dict[str, str]]
MAX_ERRORS_SHOWN = 12
_FENCE = re.compile(r"```(?:ya?ml)?\s*\n(.*?)(?:```|$)", re.S)


@dataclass
class Round:
    round: int
    ok: bool
    errors: list[str]
    reply_chars: int


@dataclass
class SpecOutcome:
    """What the LLM step ended with."""

    status: str
    """valid | failed"""
    rounds: int
    spec_yaml: str | None
    errors: list[str] = field(default_factory=list)
    history: list[Round] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Prompts:
    """The step's jinja2 templates (sandboxed, StrictUndefined).

    style `full`: `figma_system.j2` + `figma_spec.j2`, repairs quote the errors (`figma_repair.j2`).
    style `terse`: the user message is the compact tree alone, as the embedded model was trained;
    a repair re-asks with a new seed (`figma_*_terse.j2`), a small model cannot read error lists.
    """

    def __init__(self, folder: Path, style: str = "full"):
        if style not in ("full", "terse"):
            raise ValueError(f"prompt style must be full or terse, not {style!r}")
        suffix = "_terse" if style == "terse" else ""
        spec_template, repair_template = f"figma_spec{suffix}.j2", f"figma_repair{suffix}.j2"
        system_template = "figma_system.j2" if style == "full" else None
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined,
                                        keep_trailing_newline=True, autoescape=False)
        self.spec_template, self.repair_template = spec_template, repair_template
        self.system = None
        if system_template and (folder / system_template).exists():
            self.system = self.env.get_template(system_template).render()

    def first(self, compact: str) -> Messages:
        return self._with_system([{"role": "user", "content": self.env.get_template(self.spec_template)
                                   .render(compact=compact)}])

    def single(self, compact: str) -> str:
        """The first round as one user message (a recipe's `map` node sends one): the compact
        tree alone (terse), or the system text and the request (full)."""
        return "\n\n".join(m["content"] for m in self.first(compact))

    def repair(self, compact: str, reply: str, errors: list[str]) -> Messages:
        text = self.env.get_template(self.repair_template).render(compact=compact, previous=reply, errors=errors)
        return self._with_system([{"role": "user", "content": text}])

    def _with_system(self, messages: Messages) -> Messages:
        return ([{"role": "system", "content": self.system}] if self.system else []) + messages


def extract_yaml(reply: str) -> str:
    """The YAML document in a reply: a fenced block if any, else from `screen:` on."""
    fenced = _FENCE.search(reply)
    if fenced:
        return fenced.group(1).strip() + "\n"
    start = reply.find("screen:")
    return (reply[start:] if start >= 0 else reply).strip() + "\n"


async def generate_spec(compact: str, chat: Chat, prompts: Prompts, *, max_rounds: int = 3,
                        targets: tuple[str, ...] = ALL_TARGETS, seed: int = 0,
                        sampling: dict[str, Any] | None = None, first_reply: str | None = None,
                        faithful: Callable[[Any], list[str]] | None = None) -> SpecOutcome:
    """Ask for a spec, repair up to `max_rounds - 1` times, and say how it ended.
    `first_reply`: the first round's answer, already asked elsewhere (a recipe's `map` node).
    `faithful(spec)`: more problems of a valid spec (e.g. texts the design does not hold)."""
    if max_rounds < 1:
        raise ValueError("max_rounds must be at least 1")
    history: list[Round] = []
    messages = prompts.first(compact)
    errors: list[str] = []
    for number in range(1, max_rounds + 1):
        try:
            reply = first_reply if number == 1 and first_reply is not None else await chat(
                messages, **{**(sampling or {}), "seed": seed + number - 1})
        except CallError as exc:  # refused or unreachable: asking again would fail the same way
            history.append(Round(number, False, [f"call failed: {exc}"], 0))
            return SpecOutcome("failed", number, None, [f"call failed: {exc}"], history)
        checked = check_spec(extract_yaml(reply), targets=targets, name=f"round{number}.yaml")
        errors = checked.messages()[:MAX_ERRORS_SHOWN]
        if checked.ok and checked.spec is not None and faithful is not None:
            errors = faithful(checked.spec)[:MAX_ERRORS_SHOWN]
        history.append(Round(number, not errors, errors, len(reply)))
        if not errors and checked.spec is not None:
            return SpecOutcome("valid", number, dump_spec(checked.spec), [], history)
        messages = prompts.repair(compact, reply, errors)
    return SpecOutcome("failed", max_rounds, None, errors, history)
