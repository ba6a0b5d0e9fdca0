"""Node kinds. Adding one = one module defining a `Node` subclass + one line below."""

from __future__ import annotations

from pipelines.nodes.base import Node, NodeRun
from pipelines.nodes.groups import GroupsNode
from pipelines.nodes.llm import LLMNode
from pipelines.nodes.python import PythonNode
from pipelines.nodes.score import ScoreNode
from pipelines.nodes.value import ValueNode
from pipelines.nodes.vote import VoteNode

NODE_KINDS: dict[str, type[Node]] = {
    "llm": LLMNode,
    "python": PythonNode,
    "groups": GroupsNode,
    "vote": VoteNode,
    "value": ValueNode,
    "score": ScoreNode,
}

__all__ = ["NODE_KINDS", "Node", "NodeRun"]
