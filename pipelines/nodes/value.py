"""`value`: evaluate an expression per item (also the seed of each `repeat`)."""

from __future__ import annotations

from typing import Any

from pipelines.nodes.base import Node, NodeConfig, NodeRun


class ValueConfig(NodeConfig):
    value: Any = None
    """Any value; `${...}` expressions are evaluated per item."""


class ValueNode(Node):
    kind = "value"
    Config = ValueConfig
    dynamic = frozenset({"value"})

    async def run(self, ctx: NodeRun) -> Any:
        return ctx.eval(self.config.value)
