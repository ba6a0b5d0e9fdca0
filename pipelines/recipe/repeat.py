"""Unrolling `repeat` nodes at plan time, and their adaptive stopping rule (`stop_when:`).

A repeat named `steps` with `times: T` becomes `steps.0` (a value node holding `init`) and T
copies of its body, `steps.1.NAME` ... `steps.T.NAME`, each reading the previous copy's output
as `prev`. With `stop_when:` each copy also gets a gate node `steps.S` that every node of copy S
waits for: it measures the population `prev` and, once the population agrees, the dataflow
skips copy S and every later one for that item (`pipelines.nodes.vote.StopGate`).
"""

from __future__ import annotations

from typing import Any

from pipelines.nodes.vote import StopConfig, StopGate

REPEAT_KEYS = {"kind", "times", "init", "output", "body", "stop_when"}
STOP_KEYS = sorted(set(StopConfig.model_fields) - {"kind", "from_"})
"""What `stop_when:` may set (the gate reads `${prev}` itself)."""


class RepeatUnroller:
    """The repeat half of the plan builder (`pipelines.recipe.plan_builder._Builder`)."""

    nodes: dict
    check_only: set
    clamp_times: bool
    after: dict[str, set[str]]
    """Node id -> gates it waits for besides its inputs (graph edges the fields do not show)."""

    def times(self, raw: dict, loc: tuple) -> int:
        value = self.static(raw.get("times", 1), (*loc, "times"))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            if value is not None:
                self.issue(f"repeat times must be an integer >= 0, got {value!r}", (*loc, "times"),
                           "e.g. times: ${params.T - 1}")
            return 0
        return min(value, 1) if self.clamp_times else value

    def unrolled_size(self, raws: Any, loc: tuple) -> int:
        """How many graph nodes `raws` unrolls into, computed without unrolling."""
        total = 0
        for name, raw in (raws.items() if isinstance(raws, dict) else ()):
            if isinstance(raw, dict) and raw.get("kind") == "repeat":
                inner = self.unrolled_size(raw.get("body"), (*loc, name, "body"))
                gate = 1 if raw.get("stop_when") is not None else 0
                total += 1 + self.times(raw, (*loc, name)) * (inner + gate)
            else:
                total += 1
        return total

    def final_id(self, prefix: str, name: str, raw: Any, loc: tuple) -> str:
        if not (isinstance(raw, dict) and raw.get("kind") == "repeat"):
            return prefix + name
        t, out = self.times(raw, loc), raw.get("output")
        body = raw.get("body") if isinstance(raw.get("body"), dict) else {}
        if t == 0 or out not in body:
            return f"{prefix}{name}.0"
        return self.final_id(f"{prefix}{name}.{t}.", out, body[out], (*loc, "body", out))

    def repeat(self, prefix: str, name: str, raw: dict, scope: dict[str, str], loc: tuple,
               locals_: dict[str, Any]) -> None:
        for key in sorted(set(raw) - REPEAT_KEYS, key=str):
            self.issue(f"unknown key {key!r} for a repeat node", (*loc, key),
                       f"allowed keys: {sorted(REPEAT_KEYS)}")
        body = raw.get("body")
        if not isinstance(body, dict) or not body:
            self.issue("repeat needs a non-empty `body` mapping of nodes", (*loc, "body"),
                       "add body: {name: {kind: ...}}")
            return
        if raw.get("output") not in body:
            self.issue(f"repeat output {raw.get('output')!r} is not a body node", (*loc, "output"),
                       f"set output to one of {sorted(body)}")
            return
        base = f"{prefix}{name}"
        init = {"kind": "value", "value": raw.get("init")}
        self.node(prefix, f"{name}.0", init, scope, (*loc, "init"), locals_)
        prev, times = f"{base}.0", self.times(raw, loc)
        rule = self.stop_rule(raw.get("stop_when"), (*loc, "stop_when"))
        before = set(self.nodes) if times == 0 else set()
        copies: list[tuple[str, set[str]]] = []
        for step in range(1, max(times, 1) + 1):
            start, gate = set(self.nodes), f"{base}.{step}"
            if rule is not None:
                self.build(gate, StopGate, {**rule, "from": "${prev}"}, {**scope, "prev": prev},
                           (*loc, "stop_when"), {**locals_, "step": step})
            if gate in self.nodes:
                self.nodes[gate].wheres = {k: self.source.where((*loc, "stop_when", k))
                                           for k in rule}
            inner = self.level(f"{base}.{step}.", body, {**scope, "prev": prev}, (*loc, "body"),
                               {**locals_, "step": step})
            prev = inner.get(raw["output"], prev)
            made = set(self.nodes) - start
            for node_id in made - {gate}:
                if gate in self.nodes:
                    self.after.setdefault(node_id, set()).add(gate)
            copies.append((gate, made))
        if times == 0:  # built once so that the body is checked; never run
            self.check_only |= set(self.nodes) - before
        self.link_gates(copies, prev)

    def link_gates(self, copies: list[tuple[str, set[str]]], output: str) -> None:
        """Tell each gate what it skips (its copy and every later one) and where the
        population it measured goes (the repeat's output node)."""
        order = {node_id: i for i, node_id in enumerate(self.nodes)}
        for i, (gate, _) in enumerate(copies):
            node = self.nodes.get(gate)
            if isinstance(node, StopGate):
                later = set().union(*(made for _, made in copies[i:])) - {gate} - self.check_only
                node.skips = tuple(sorted(later, key=order.__getitem__))
                node.carry = output

    def stop_rule(self, raw: Any, loc: tuple) -> dict[str, Any] | None:
        """`stop_when:`'s fields for the gates, or None (absent, disabled or refused)."""
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.issue(f"stop_when must be a mapping, got {raw!r}", loc,
                       "e.g. stop_when: {agreement: 0.75, extract: boxed, equivalence: math}")
            return None
        for key in sorted(set(raw) - set(STOP_KEYS), key=str):
            self.issue(f"unknown key {key!r} for stop_when", (*loc, key),
                       f"allowed keys: {STOP_KEYS}")
        if self.static(raw.get("enabled", True), (*loc, "enabled")) is False:
            return None
        return {"kind": "stop_when", **{k: v for k, v in raw.items() if k in STOP_KEYS}}
