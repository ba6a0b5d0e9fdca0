"""A validated recipe, unrolled into a DAG of nodes: what the scheduler executes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from pipelines.nodes.base import Node
from pipelines.recipe.source import Source
from pipelines.recipe.schema import Recipe


@dataclass
class Plan:
    recipe: Recipe
    source: Source
    params: dict[str, Any]
    nodes: dict[str, Node]
    """Graph node id -> node, in a topological order."""
    graph: nx.DiGraph
    outputs: dict[str, Any]
    top_scope: dict[str, str]
    """Top-level names -> graph node ids (used to evaluate `outputs`)."""
    dataset: dict[str, Any]
    """Dataset options with `${params...}` resolved."""
    endpoint: str | dict[str, Any] | None
    model: str
    warnings: list[str] = field(default_factory=list)
    meter: Any = None
    """The cost meter for this plan's pricing, loaded on first use."""

    @property
    def recipe_dir(self) -> Path:
        return self.source.path.resolve().parent

    @property
    def name(self) -> str:
        return self.recipe.name

    def order(self) -> list[str]:
        return list(self.nodes)

    def mermaid(self) -> str:
        lines = ["flowchart TD"]
        ids = {nid: f"n{i}" for i, nid in enumerate(self.nodes)}
        for nid, node in self.nodes.items():
            lines.append(f'    {ids[nid]}["{nid}<br/><i>{node.kind}</i>"]')
        lines += [f"    {ids[a]} --> {ids[b]}" for a, b in self.graph.edges]
        return "\n".join(lines) + "\n"

    def dot(self) -> str:
        lines = [f'digraph "{self.name}" {{', "    rankdir=TB;"]
        for nid, node in self.nodes.items():
            lines.append(f'    "{nid}" [label="{nid}\\n({node.kind})"];')
        lines += [f'    "{a}" -> "{b}";' for a, b in self.graph.edges]
        return "\n".join(lines) + "\n}\n"
