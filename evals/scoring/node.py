"""`score` node kind: the paper's per-step metrics of one population against the item's gold answer.

Registered by `evals` as the `score` entry of `pipe.node_kinds` (pyproject.toml), so recipes may
say `kind: score` while the engine never imports `evals`. Output: `{step, score_of, n, mean_acc,
majority_acc, pass_at_n, majority_answer, answers, correct, no_answer}`. `score_of` is the graph
node whose outputs were scored, so reports can join the population's output tokens from the run
store (`evals.steps`). An RSA recipe puts one score node after the first population and one in
the repeat body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import Field

from evals.scoring.score import score_population
from pipelines.answers import EQUIVALENCES, EXTRACTORS
from pipelines.errors import Issue
from pipelines.nodes import Node, NodeConfig, NodeRun
from pipelines.sandbox.expr import names_in


class ScoreConfig(NodeConfig):
    """Fields of a `kind: score` node."""

    model_config = {"populate_by_name": True, "extra": "forbid"}
    from_: Any = Field(alias="from")
    """The population to score (a list of texts, or one text), e.g. `${aggregate.output}`."""
    step: Any = None
    """The step number shown in reports; may use `step` inside a repeat body (`${step + 1}`).
    Default: 1 at top level, the repetition number + 1 inside a repeat."""
    extract: str | None = None
    """Extractor name (boxed | answer_tag | none); default: the item's `answer_format`."""
    equivalence: str | None = None
    """Equivalence name (exact | normalized | math); default: the item's `equivalence`.
    reasoning-gym items are always judged by their task's own scorer."""


class ScoreNode(Node):
    """Scores one population per item; `pipe show` and eval reports read its outputs."""

    kind = "score"
    Config = ScoreConfig
    dynamic = frozenset({"from", "step"})

    def check(self, plan) -> list[Issue]:
        """Unknown extractor or equivalence names, found before anything is spent."""
        issues = []
        if self.config.extract is not None and self.config.extract not in EXTRACTORS:
            issues.append(Issue(f"unknown extract {self.config.extract!r}", self.where,
                                f"use one of {sorted(EXTRACTORS)} or leave it out"))
        if self.config.equivalence is not None and self.config.equivalence not in EQUIVALENCES:
            issues.append(Issue(f"unknown equivalence {self.config.equivalence!r}", self.where,
                                f"use one of {sorted(EQUIVALENCES)} or leave it out"))
        return issues

    def scored_node(self) -> str | None:
        """The one graph node `from` reads (None when it reads several or none)."""
        sources = {self.scope[n] for n in names_in(self.config.from_) if n in self.scope}
        return sources.pop() if len(sources) == 1 else None

    async def run(self, ctx: NodeRun) -> dict[str, Any]:
        """Score the population `from` evaluates to; `{step, score_of, **score_population}`."""
        texts = ctx.eval(self.config.from_)
        texts = [texts] if isinstance(texts, str) else list(texts)
        step = ctx.eval(self.config.step) if self.config.step is not None else (
            int(self.locals.get("step", 0)) + 1)
        # math-verify answers over a pipe: keep the event loop free for other items' calls
        metrics = await asyncio.to_thread(score_population, ctx.item, texts,
                                          self.config.extract, self.config.equivalence)
        return {"step": step, "score_of": self.scored_node(), **metrics}
