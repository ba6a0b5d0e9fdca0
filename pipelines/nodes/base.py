"""What every node kind implements, and the per-item context a node runs in."""

from __future__ import annotations

import hashlib
import random
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from pipelines.errors import Issue
from pipelines.sandbox.expr import evaluate, findings_in, names_in

_OUTPUT_REF = re.compile(r"^\$\{\s*([A-Za-z_]\w*)(\.output)?\s*\}$")


class PlanView(Protocol):
    """What a node may read of the plan it belongs to (`pipelines.recipe.Plan`) when it checks
    itself: nodes sit below recipes, so they see the plan only through this."""

    recipe: Any
    """The parsed recipe (`pipelines.recipe.schema.Recipe`)."""
    params: dict[str, Any]
    nodes: dict[str, Node]

    @property
    def recipe_dir(self) -> Path: ...


class NodeConfig(BaseModel):
    """Fields shared by every node kind (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    """The node kind (llm, python, groups, vote, repeat, ...)."""


class ChatFn(Protocol):
    async def __call__(self, messages: list[dict[str, str]], *, sample: int = 0,
                       **params: Any) -> str: ...


@dataclass
class NodeRun:
    """Everything a node needs to run for one item."""

    item: dict[str, Any]
    params: dict[str, Any]
    env: dict[str, Any]
    """Names visible to this node's expressions: params, item, {name: {"output": value}}."""
    chat: ChatFn
    """Issue one metered, cached, resumable LLM call for this (item, node)."""
    recipe_dir: Path
    artifacts_dir: Path
    seed: int = 0

    def eval(self, value: Any, **extra: Any) -> Any:
        return evaluate(value, {**self.env, **extra} if extra else self.env)

    def rng(self, node_id: str) -> random.Random:
        """An RNG seeded per (recipe seed, item, node): reproducible, independent across items."""
        material = f"{self.seed}|{self.item.get('id')}|{node_id}".encode()
        return random.Random(int.from_bytes(hashlib.sha256(material).digest()[:8], "big"))


@dataclass
class Node(ABC):
    """One node of the unrolled DAG. Subclasses set `kind`, `Config` and `dynamic`."""

    kind: ClassVar[str]
    Config: ClassVar[type[NodeConfig]] = NodeConfig
    dynamic: ClassVar[frozenset[str]] = frozenset()
    """YAML keys evaluated per item at run time; all other keys may only use `${params...}`."""
    local_names: ClassVar[frozenset[str]] = frozenset()
    """Names a node binds for its own dynamic fields (e.g. `each` for a mapped llm node)."""

    id: str
    config: NodeConfig
    scope: dict[str, str] = field(default_factory=dict)
    """Name visible in expressions -> id of the graph node whose output it refers to."""
    locals: dict[str, Any] = field(default_factory=dict)
    """Extra constant names in scope (e.g. `step` inside a repeat body)."""
    where: str = ""

    def referenced(self) -> set[str]:
        """Names this node's dynamic fields read."""
        values = [getattr(self.config, name) for name, f in self.Config.model_fields.items()
                  if (f.alias or name) in self.dynamic]
        return set().union(*(names_in(v) for v in values)) - set(self.local_names) if values else set()

    def deps(self) -> set[str]:
        return {self.scope[n] for n in self.referenced() if n in self.scope}

    def dynamic_values(self) -> list[Any]:
        """The raw values of this node's dynamic (per-item) fields."""
        return [getattr(self.config, name) for name, f in self.Config.model_fields.items()
                if (f.alias or name) in self.dynamic]

    def item_fields(self, plan: PlanView) -> set[str]:
        """Dataset fields this node reads (`item.X`), for checking the dataset's rows."""
        return findings_in(self.dynamic_values()).item_fields

    def source_node(self, plan: PlanView, value: Any) -> Node | None:
        """The node whose output `value` is exactly (`${name.output}` or `${prev}`), if any."""
        match = _OUTPUT_REF.match(value) if isinstance(value, str) else None
        if match is None or (match.group(2) is None and match.group(1) != "prev"):
            return None
        return plan.nodes.get(self.scope.get(match.group(1), ""))

    def output_length(self, plan: PlanView) -> int | None:
        """How long the list this node outputs is, when the plan alone tells (else None)."""
        return None

    def check(self, plan: PlanView) -> list[Issue]:
        """Kind-specific validation (files, templates). Runs before anything is spent."""
        return []

    def calls_per_item(self, plan: PlanView) -> int:
        """How many LLM calls one item makes here (for --estimate)."""
        return 0

    @abstractmethod
    async def run(self, ctx: NodeRun) -> Any:
        """This node's output for one item (JSON-serialisable)."""
