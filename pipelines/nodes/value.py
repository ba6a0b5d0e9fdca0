"""`value`: evaluate an expression per item (also the seed of each `repeat`)."""

from __future__ import annotations

from typing import Any

from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView


class ValueConfig(NodeConfig):
    value: Any = None
    """Any value; `${...}` expressions are evaluated per item."""


class ValueNode(Node):
    kind = "value"
    Config = ValueConfig
    dynamic = frozenset({"value"})

    def output_length(self, plan: PlanView) -> int | None:
        source = self.source_node(plan, self.config.value)
        return source.output_length(plan) if source is not None else None

    async def run(self, ctx: NodeRun) -> Any:
        return ctx.eval(self.config.value)
