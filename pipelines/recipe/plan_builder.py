"""Recipe YAML -> validated, unrolled `Plan`. Every check runs here, before anything is spent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from pipelines.errors import Issue, RecipeError
from pipelines.sandbox.expr import ExprError, evaluate, names_in
from pipelines.plugins import NODE_KINDS
from pipelines.nodes.base import Node
from pipelines.recipe.plan import Plan
from pipelines.recipe.source import Source, load_yaml
from pipelines.recipe.schema import Recipe, coerce_param

BUILTIN_NAMES = {"params", "item"}
REPEAT_KEYS = {"kind", "times", "init", "output", "body"}


class _Builder:
    def __init__(self, source: Source, recipe: Recipe, params: dict[str, Any]):
        self.source, self.recipe, self.params = source, recipe, params
        self.issues: list[Issue] = []
        self.nodes: dict[str, Node] = {}

    def issue(self, message: str, loc: tuple, fix: str = "") -> None:
        self.issues.append(Issue(message, self.source.where(loc), fix))

    def static(self, value: Any, loc: tuple) -> Any:
        """Resolve a field that may only use `${params...}`."""
        extra = names_in(value) - {"params"}
        if extra:
            self.issue(f"this field is needed before the run, so it may only use ${{params...}}, "
                       f"not {sorted(extra)}", loc, "use a constant or a param here")
            return None
        try:
            return evaluate(value, {"params": self.params})
        except Exception as exc:  # jinja errors carry no line of ours
            self.issue(f"cannot evaluate expression: {exc}", loc, "check the param names used")
            return None

    # -- unrolling ---------------------------------------------------------------------------
    def times(self, raw: dict, loc: tuple) -> int:
        value = self.static(raw.get("times", 1), (*loc, "times"))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            if value is not None:
                self.issue(f"repeat times must be an integer >= 0, got {value!r}", (*loc, "times"),
                           "e.g. times: ${params.T - 1}")
            return 0
        return value

    def final_id(self, prefix: str, name: str, raw: Any, loc: tuple) -> str:
        if not (isinstance(raw, dict) and raw.get("kind") == "repeat"):
            return prefix + name
        t, out = self.times(raw, loc), raw.get("output")
        body = raw.get("body") or {}
        if t == 0 or out not in body:
            return f"{prefix}{name}.0"
        return self.final_id(f"{prefix}{name}.{t}.", out, body[out], (*loc, "body", out))

    def level(self, prefix: str, raws: dict, outer: dict[str, str], loc: tuple,
              locals_: dict[str, Any]) -> dict[str, str]:
        scope = dict(outer)
        for name, raw in raws.items():
            scope[name] = self.final_id(prefix, name, raw, (*loc, name))
        for name, raw in raws.items():
            self.node(prefix, name, raw, scope, (*loc, name), locals_)
        return scope

    def node(self, prefix: str, name: str, raw: Any, scope: dict[str, str], loc: tuple,
             locals_: dict[str, Any]) -> None:
        if not isinstance(raw, dict) or "kind" not in raw:
            self.issue("a node must be a mapping with a `kind`", loc,
                       f"add `kind:` (one of {sorted([*NODE_KINDS, 'repeat'])})")
            return
        if raw["kind"] == "repeat":
            self.repeat(prefix, name, raw, scope, loc, locals_)
            return
        kind = NODE_KINDS.get(raw["kind"]) if raw["kind"] in NODE_KINDS else None
        if kind is None:
            self.issue(f"unknown node kind {raw['kind']!r}", (*loc, "kind"),
                       f"use one of {sorted([*NODE_KINDS, 'repeat'])}")
            return
        resolved = {k: (v if k in kind.dynamic else self.static(v, (*loc, k)))
                    for k, v in raw.items()}
        try:
            config = kind.Config.model_validate(resolved)
        except ValidationError as exc:
            for err in exc.errors():
                field_loc = (*loc, *err["loc"])
                msg = err["msg"] if err["type"] != "extra_forbidden" else (
                    f"unknown key {err['loc'][-1]!r} for a {raw['kind']} node")
                fix = (f"allowed keys: {sorted(kind.Config.model_fields)}"
                       if err["type"] == "extra_forbidden" else "fix the value's type")
                self.issue(msg, field_loc, fix)
            return
        node_scope = {k: v for k, v in scope.items() if k != prefix + name}
        self.nodes[prefix + name] = kind(id=prefix + name, config=config, scope=node_scope,
                                         locals=dict(locals_), where=self.source.where(loc))

    def repeat(self, prefix: str, name: str, raw: dict, scope: dict[str, str], loc: tuple,
               locals_: dict[str, Any]) -> None:
        for key in set(raw) - REPEAT_KEYS:
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
        prev = f"{base}.0"
        for step in range(1, self.times(raw, loc) + 1):
            inner = self.level(f"{base}.{step}.", body, {**scope, "prev": prev}, (*loc, "body"),
                               {**locals_, "step": step})
            prev = inner[raw["output"]]

    # -- whole-graph checks --------------------------------------------------------------------
    def check_references(self) -> None:
        for node in self.nodes.values():
            visible = set(node.scope) | BUILTIN_NAMES | set(node.locals) | set(node.local_names)
            try:
                unknown = node.referenced() - visible
            except ExprError as exc:
                self.issues.append(Issue(str(exc), node.where, "fix the ${...} expression"))
                continue
            for name in sorted(unknown):
                self.issues.append(Issue(
                    f"node {node.id} references unknown name {name!r}", node.where,
                    f"valid names here: {sorted(visible - {node.id})}"))

    def graph(self) -> nx.DiGraph | None:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        for node in self.nodes.values():
            graph.add_edges_from((dep, node.id) for dep in node.deps() if dep in self.nodes)
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return graph
        path = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        self.issues.append(Issue(f"the nodes form a cycle: {path}", self.source.where(("nodes",)),
                                 "remove one of these references"))
        return None


def _recipe_model(source: Source) -> Recipe:
    if not isinstance(source.data, dict):
        raise RecipeError([Issue("a recipe must be a YAML mapping", source.where(()),
                                 "start with `name:`, `dataset:` and `nodes:`")])
    try:
        return Recipe.model_validate(source.data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                issues.append(Issue(f"unknown key {loc[-1]!r}", source.where(loc),
                                    "remove it or fix its spelling; see `pipe validate --help`"))
            elif err["type"] == "missing":
                issues.append(Issue(f"missing required field {'.'.join(map(str, loc))!r}",
                                    source.where(loc[:-1]), f"add `{loc[-1]}:`"))
            else:
                issues.append(Issue(err["msg"], source.where(loc), "fix the value's type"))
        raise RecipeError(issues) from None


def _params(source: Source, recipe: Recipe, overrides: dict[str, Any]) -> tuple[dict, list[Issue]]:
    values, issues = {}, []
    for name in overrides.keys() - recipe.params.keys():
        issues.append(Issue(f"unknown param {name!r}", "command line (-p)",
                            f"valid params: {sorted(recipe.params)}"))
    for name, spec in recipe.params.items():
        where = "command line (-p)" if name in overrides else source.where(("params", name))
        raw = overrides.get(name, spec.default)
        if raw is None:
            issues.append(Issue(f"param {name!r} has no default and no value", where,
                                f"pass -p {name}=VALUE or add a default"))
            continue
        values[name], found = coerce_param(name, spec, raw, where)
        issues += found
    return values, issues


def build_plan(path: str | Path, overrides: dict[str, Any] | None = None) -> Plan:
    """Load, validate and unroll a recipe. Raises RecipeError listing every problem found."""
    source = load_yaml(path)
    recipe = _recipe_model(source)
    params, issues = _params(source, recipe, overrides or {})
    if issues:
        raise RecipeError(issues)
    b = _Builder(source, recipe, params)
    top_scope = b.level("", recipe.nodes, {}, ("nodes",), {})
    b.check_references()
    graph = b.graph()
    model = b.static(recipe.model, ("model",))
    endpoint = b.static(recipe.endpoint, ("endpoint",))
    dataset = b.static(recipe.dataset.model_dump(), ("dataset",))
    for name, expr in recipe.outputs.items():
        unknown = names_in(expr) - set(top_scope) - BUILTIN_NAMES
        if unknown:
            b.issue(f"output {name} references unknown names {sorted(unknown)}", ("outputs", name),
                    f"valid names: {sorted(set(top_scope) | BUILTIN_NAMES)}")
    if b.issues or graph is None:
        raise RecipeError(b.issues)
    order = list(nx.lexicographical_topological_sort(graph, key=list(b.nodes).index))
    plan = Plan(recipe=recipe, source=source, params=params, nodes={n: b.nodes[n] for n in order},
                graph=graph, outputs=recipe.outputs, top_scope=top_scope, dataset=dataset,
                endpoint=endpoint, model=model)
    for node in plan.nodes.values():
        b.issues += node.check(plan)
    if b.issues:
        raise RecipeError(b.issues)
    return plan
