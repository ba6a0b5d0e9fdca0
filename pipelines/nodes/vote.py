"""`vote`: majority over answers extracted from a list of texts, with a pluggable equivalence."""

from __future__ import annotations

import asyncio
from typing import Any

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
        issues = []
        if self.config.extract not in EXTRACTORS:
            issues.append(Issue(f"unknown extract {self.config.extract!r}", self.where,
                                f"use one of {sorted(EXTRACTORS)}"))
        if self.config.equivalence not in EQUIVALENCES:
            issues.append(Issue(f"unknown equivalence {self.config.equivalence!r}", self.where,
                                f"use one of {sorted(EQUIVALENCES)}"))
        return issues

    async def run(self, ctx: NodeRun) -> dict[str, Any]:
        texts = ctx.eval(self.config.from_)
        if isinstance(texts, str):
            texts = [texts]
        extract = extractor(self.config.extract)
        extracted = [extract(t) if isinstance(t, str) else None for t in texts]
        # equivalences such as math-verify are slow: keep the event loop free for other items
        clusters = await asyncio.to_thread(cluster, extracted, equivalence(self.config.equivalence))
        best = majority(clusters)
        return {"answer": best["answer"] if best else None, "votes": best["count"] if best else 0,
                "clusters": clusters, "extracted": extracted}
