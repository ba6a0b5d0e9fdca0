"""`vote`: majority over answers extracted from a list of texts, with a pluggable equivalence;
and the gate a repeat's `stop_when:` puts before each repetition (adaptive stopping)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import Field

from pipelines.answers import EQUIVALENCES, EXTRACTORS, cluster, equivalence, extractor, majority
from pipelines.errors import Issue
from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView


class VoteConfig(NodeConfig):
    model_config = {"populate_by_name": True, "extra": "forbid"}
    from_: Any = Field(alias="from")
    """The texts to vote over (a list)."""
    extract: str = "boxed"
    """How to pull an answer out of each text: boxed | answer_tag | none (whole text)."""
    equivalence: str = "normalized"
    """When two answers count as the same: exact | normalized | math."""


class VoteNode(Node):
    kind = "vote"
    Config = VoteConfig
    dynamic = frozenset({"from"})

    def check(self, plan: PlanView) -> list[Issue]:
        return answer_issues(self.config, lambda key: self.where)

    async def run(self, ctx: NodeRun) -> dict[str, Any]:
        _, extracted, clusters = await clusters_of(self.config, ctx)
        best = majority(clusters)
        return {"answer": best["answer"] if best else None, "votes": best["count"] if best else 0,
                "clusters": clusters, "extracted": extracted}


def answer_issues(config: VoteConfig, where_of: Callable[[str], str]) -> list[Issue]:
    """Unknown extractor or equivalence names, each at the line of its key."""
    issues = []
    if config.extract not in EXTRACTORS:
        issues.append(Issue(f"unknown extract {config.extract!r}", where_of("extract"),
                            f"use one of {sorted(EXTRACTORS)}"))
    if config.equivalence not in EQUIVALENCES:
        issues.append(Issue(f"unknown equivalence {config.equivalence!r}",
                            where_of("equivalence"), f"use one of {sorted(EQUIVALENCES)}"))
    return issues


async def clusters_of(config: VoteConfig, ctx: NodeRun
                      ) -> tuple[list[Any], list[str | None], list[dict[str, Any]]]:
    """The texts `from` evaluates to, the answer extracted from each, and their clusters."""
    texts = ctx.eval(config.from_)
    texts = [texts] if isinstance(texts, str) else list(texts)
    extract = extractor(config.extract)
    extracted = [extract(t) if isinstance(t, str) else None for t in texts]
    # equivalences such as math-verify are slow: keep the event loop free for other items
    clusters = await asyncio.to_thread(cluster, extracted, equivalence(config.equivalence))
    return texts, extracted, clusters


class StopConfig(VoteConfig):
    """A repeat's `stop_when:` (the repeat adds `from: ${prev}`): skip an item's remaining
    repetitions once its population agrees."""

    enabled: bool = Field(default=True, strict=True)
    """false: no rule at all (the repeat runs every repetition), e.g. `${params.adaptive}`."""
    agreement: float = Field(gt=0, le=1, allow_inf_nan=False)
    """Stop when the largest answer cluster holds at least this share of the population
    (texts without an answer count in the population, never in a cluster)."""
    first_agreement: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    """The share asked of the first population (`init`, before any repetition ran);
    default: `agreement`. RSA: 1.0 stops only unanimous samples before any aggregation."""
    min_samples: int = Field(default=1, ge=1, strict=True)
    """...and the population has at least this many texts."""


def agreement_of(texts: list[Any], clusters: list[dict[str, Any]]) -> dict[str, Any]:
    """The majority answer, its votes, the population size and the votes' share of it."""
    best = majority(clusters)
    votes = best["count"] if best else 0
    return {"answer": best["answer"] if best else None, "votes": votes, "population": len(texts),
            "share": votes / len(texts) if texts else 0.0}


@dataclass
class StopGate(Node):
    """Not a recipe kind: a repeat with `stop_when:` gets one gate before each repetition
    (`steps.2` before `steps.2.*`). Its output's `stop` tells the dataflow to skip this and
    every later repetition of the item; the repeat's output is then the gate's population."""

    kind = "stop_when"
    Config = StopConfig
    dynamic = frozenset({"from"})
    skips: tuple[str, ...] = ()
    """Nodes of this and later repetitions (and their gates), skipped when `stop` is true."""
    carry: str = ""
    """The repeat's output node: it takes the population the gate measured."""
    wheres: dict[str, str] = field(default_factory=dict)
    """file:line of each key of the `stop_when:` mapping."""

    def check(self, plan: PlanView) -> list[Issue]:
        return answer_issues(self.config, lambda key: self.wheres.get(key, self.where))

    async def run(self, ctx: NodeRun) -> dict[str, Any]:
        texts, _, clusters = await clusters_of(self.config, ctx)
        found, repetition = agreement_of(texts, clusters), int(self.locals.get("step", 0))
        c = self.config
        needed = c.first_agreement if repetition == 1 and c.first_agreement is not None \
            else c.agreement
        stop = found["population"] >= c.min_samples and found["share"] >= needed
        return {"stop": stop, "repetition": repetition, "needed": needed, **found}


def skipped_output(gate: StopGate, output: dict[str, Any], node: Node) -> dict[str, Any]:
    """What a node skipped by `gate` stores instead of running (never an error)."""
    return {"skipped": f"stop_when: {output['votes']}/{output['population']} answers agreed "
                       f"before repetition {output['repetition']} ({gate.id})",
            "repetition": int(node.locals.get("step", 0))}
