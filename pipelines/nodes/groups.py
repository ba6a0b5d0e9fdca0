"""`groups`: draw `count` groups of `size` members from a list (RSA's aggregation sets).

Members are drawn uniformly without replacement inside a group; groups are independent, so a
member may appear in several groups or none. The RNG is seeded per (seed, item, node).
Each group lists its members in population order: which members are drawn is unchanged, and
groups that share their first members render prompts with a longer common prefix, so server
prefix caches hit more often.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipelines.errors import Issue
from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView
from pipelines.sandbox.limits import limit, limit_hint, over


class GroupsConfig(NodeConfig):
    model_config = {"populate_by_name": True, "extra": "forbid"}
    from_: Any = Field(alias="from")
    """The population (a list), usually `${some_llm_node.output}`."""
    count: int = Field(ge=1, strict=True)
    """How many groups to draw (RSA: N)."""
    size: int = Field(ge=1, strict=True)
    """Members per group (RSA: K)."""


def draw_groups(population: list[Any], count: int, size: int, rng) -> list[list[Any]]:
    if size > len(population):
        raise ValueError(f"cannot draw groups of {size} from a population of {len(population)}")
    indices = range(len(population))
    return [[population[i] for i in sorted(rng.sample(indices, size))] for _ in range(count)]


class GroupsNode(Node):
    kind = "groups"
    Config = GroupsConfig
    dynamic = frozenset({"from"})

    def check(self, plan: PlanView) -> list[Issue]:
        c, issues = self.config, []
        if c.count > limit("fanout"):
            issues.append(Issue(f"groups node {self.id}: {over('fanout', c.count, 'count')}",
                                self.where, f"lower count; {limit_hint('fanout')}"))
        source = self.source_node(plan, c.from_)
        population = source.output_length(plan) if source is not None else None
        if population is not None and c.size > population:
            while source.kind == "value" and source.source_node(plan, source.config.value):
                source = source.source_node(plan, source.config.value)  # a repeat's init
            issues.append(Issue(
                f"groups node {self.id}: size {c.size} is larger than the population of "
                f"{population} it draws from (the output of {source.id}); every item would "
                "fail after its calls were paid for", self.where,
                f"use a size of at most {population}, or make {source.id} produce more"))
        return issues

    def output_length(self, plan: PlanView) -> int | None:
        return self.config.count

    async def run(self, ctx: NodeRun) -> list[list[Any]]:
        population = ctx.eval(self.config.from_)
        if not isinstance(population, list):
            raise ValueError(f"groups node {self.id}: `from` must be a list, got "
                             f"{type(population).__name__}")
        return draw_groups(population, self.config.count, self.config.size, ctx.rng(self.id))
