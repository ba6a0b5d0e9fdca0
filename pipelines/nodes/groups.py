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

from pipelines.nodes.base import Node, NodeConfig, NodeRun


class GroupsConfig(NodeConfig):
    model_config = {"populate_by_name": True, "extra": "forbid"}
    from_: Any = Field(alias="from")
    """The population (a list), usually `${some_llm_node.output}`."""
    count: int = Field(ge=1)
    """How many groups to draw (RSA: N)."""
    size: int = Field(ge=1)
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

    async def run(self, ctx: NodeRun) -> list[list[Any]]:
        population = ctx.eval(self.config.from_)
        if not isinstance(population, list):
            raise ValueError(f"groups node {self.id}: `from` must be a list, got "
                             f"{type(population).__name__}")
        return draw_groups(population, self.config.count, self.config.size, ctx.rng(self.id))
