"""Node kinds: what one step of a recipe does for one item.

The engine's kinds live here (`llm`, `python`, `groups`, `vote`, `value`); every kind, these
and other packages' (`evals` adds `score`), is registered as a `pipe.node_kinds` entry point in
`pyproject.toml` and looked up through `pipelines.plugins.NODE_KINDS`. Adding one = one module
defining a `Node` subclass + one entry point.
"""

from __future__ import annotations

from pipelines.nodes.base import Node, NodeConfig, NodeRun, PlanView

__all__ = ["Node", "NodeConfig", "NodeRun", "PlanView"]
