"""Recipe YAML -> validated, unrolled `Plan`. Every check runs here, before anything is spent.

Problems are collected, never raised one at a time, so one cannot hide another; a node a
repeat unrolls into many is checked once (its first copy), so a typo is reported once; and a
repeat that would unroll past PIPE_MAX_NODES is refused before it is unrolled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import networkx as nx
from pydantic import ValidationError

from pipelines.errors import Issue, RecipeError
from pipelines.nodes.base import Node
from pipelines.plugins import NODE_KINDS
from pipelines.recipe.checks import dataset_issues, name_problem, schema_fix, schema_message
from pipelines.recipe.plan import Plan
from pipelines.recipe.repeat import RepeatUnroller
from pipelines.recipe.schema import Recipe, coerce_param
from pipelines.recipe.source import Source, load_yaml
from pipelines.sandbox.expr import ExprError, evaluate, expr_chunks, findings_in
from pipelines.sandbox.guard import SandboxLimitError
from pipelines.sandbox.limits import limit, limit_hint, over

BUILTIN_NAMES = {"params", "item"}
_PLACEHOLDERS = {"name": "recipe", "dataset": {"source": "inline", "items": [{}]}, "nodes": {}}


class _Builder(RepeatUnroller):
    def __init__(self, source: Source, recipe: Recipe, params: dict[str, Any], bad_params: set[str]):
        self.source, self.recipe, self.params, self.bad_params = source, recipe, params, bad_params
        self.issues: list[Issue] = []
        self.nodes: dict[str, Node] = {}
        self.check_only: set[str] = set()
        """Nodes built only so that a repeat's body is checked even when it runs 0 times."""
        self.clamp_times = False
        """Unroll every repeat at most once (the full plan is over PIPE_MAX_NODES)."""
        self.after: dict[str, set[str]] = {}
        """Node id -> the `stop_when` gates it waits for (`pipelines.recipe.repeat`)."""

    def issue(self, message: str, loc: tuple, fix: str = "") -> None:
        self.issues.append(Issue(message, self.source.where(loc), fix))

    def expr_findings(self, value: Any, loc: tuple):
        """Findings of a field's `${...}`s; None (and an issue) if one is malformed or unsafe."""
        try:
            found = findings_in(value)
        except ExprError as exc:
            fix = "add the missing `}`" if "unclosed" in str(exc) else "fix the ${...} expression"
            self.issue(str(exc), loc, fix)
            return None
        for what in found.unsafe:
            self.issue(f"the expression {what}; the sandbox refuses it", loc,
                       "use only the values' fields and filters")
        if found.params and "*" in self.bad_params:  # the params block itself is broken
            return None
        unknown = found.params - self.params.keys() - self.bad_params
        for name in sorted(unknown):
            self.issue(f"unknown param {name!r}", loc, f"declare it under params:, or use one of "
                       f"{sorted(self.params)}")
        return None if found.unsafe or unknown or found.params & self.bad_params else found

    def static(self, value: Any, loc: tuple) -> Any:
        """Resolve a field that may only use `${params...}`."""
        found = self.expr_findings(value, loc)
        if found is None:
            return None
        extra = found.names - {"params"}
        if extra:
            fix = ("message content is a jinja template: write {{ item.question }}, or pass "
                   "values in through vars:") if "messages" in loc or "prompt" in loc \
                else "use a constant or a param here"
            self.issue(f"this field is needed before the run, so it may only use ${{params...}}, "
                       f"not {sorted(extra)}", loc, fix)
            return None
        return self.evaluate(value, {"params": self.params}, loc)

    def evaluate(self, value: Any, context: dict[str, Any], loc: tuple) -> Any:
        try:
            return evaluate(value, context)
        except SandboxLimitError as exc:
            self.issue(str(exc), loc, exc.fix)
        except Exception as exc:  # jinja errors carry no line of ours
            self.issue(f"cannot evaluate expression: {exc}", loc, "check the names and types used")
        return None

    def dynamic(self, raw: dict, kind: type[Node], loc: tuple, locals_: dict[str, Any]) -> None:
        """Per-item fields: syntax, sandbox and params now; parts that read only params and
        constants are evaluated now too, so a `${ 7 ** 7 ** 9 }` fails here, not per item."""
        for key in kind.dynamic & raw.keys():
            if self.expr_findings(raw[key], (*loc, key)) is None:
                continue
            context = {"params": self.params, **locals_}
            for chunk in expr_chunks(raw[key]):
                if findings_in(chunk).names <= context.keys():
                    self.evaluate(chunk, context, (*loc, key))

    def level(self, prefix: str, raws: dict, outer: dict[str, str], loc: tuple,
              locals_: dict[str, Any]) -> dict[str, str]:
        scope = dict(outer)
        for name, raw in raws.items():
            problem = name_problem(name)
            if problem:
                self.issue(problem[0], (*loc, str(name)), problem[1])
                continue
            scope[name] = self.final_id(prefix, name, raw, (*loc, name))
        for name, raw in raws.items():
            if name in scope:
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
        kind = NODE_KINDS.get(raw["kind"]) if isinstance(raw["kind"], str) and \
            raw["kind"] in NODE_KINDS else None
        if kind is None:
            self.issue(f"unknown node kind {raw['kind']!r}", (*loc, "kind"),
                       f"use one of {sorted([*NODE_KINDS, 'repeat'])}")
            return
        self.build(prefix + name, kind, raw, scope, loc, locals_)

    def build(self, node_id: str, kind: type[Node], raw: dict, scope: dict[str, str], loc: tuple,
              locals_: dict[str, Any]) -> None:
        """Resolve, validate and add one node of `kind` (problems become issues)."""
        reported = len(self.issues)
        resolved = {k: (v if k in kind.dynamic else self.static(v, (*loc, k)))
                    for k, v in raw.items()}
        static_failed = len(self.issues) > reported
        self.dynamic(raw, kind, loc, locals_)
        if static_failed:
            return  # a field already reported: the node's own checks would report it again
        try:
            config = kind.Config.model_validate(resolved)
        except ValidationError as exc:
            for err in exc.errors():
                field_loc = (*loc, *err["loc"])
                if err["type"] == "extra_forbidden":
                    self.issue(f"unknown key {err['loc'][-1]!r} for a {raw['kind']} node", field_loc,
                               f"allowed keys: {sorted(kind.Config.model_fields)}")
                elif err["type"] == "missing":
                    self.issue(f"missing required key {err['loc'][-1]!r} for a {raw['kind']} node",
                               loc, f"add `{err['loc'][-1]}:`")
                elif err["input"] is not None:
                    self.issue(schema_message(err), field_loc, schema_fix(err, raw.get(err["loc"][0])))
            return
        node_scope = {k: v for k, v in scope.items() if k != node_id}
        self.nodes[node_id] = kind(id=node_id, config=config, scope=node_scope,
                                   locals=dict(locals_), where=self.source.where(loc))

    # -- whole-graph checks --------------------------------------------------------------------
    def first_copies(self) -> list[Node]:
        """One node per place in the file: a repeat's later copies add no new problem."""
        seen: dict[str, Node] = {}
        for node in self.nodes.values():
            seen.setdefault(node.where, node)
        return list(seen.values())

    def check_references(self) -> None:
        for node in self.first_copies():
            visible = set(node.scope) | BUILTIN_NAMES | set(node.locals) | set(node.local_names)
            try:
                unknown = node.referenced() - visible
            except ExprError:  # reported with its field by dynamic()
                continue
            for name in sorted(unknown):
                self.issues.append(Issue(
                    f"node {node.id} references unknown name {name!r}", node.where,
                    f"valid names here: {sorted(visible - {node.id})}"))

    def graph(self) -> nx.DiGraph | None:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        for node in self.nodes.values():
            try:
                graph.add_edges_from((dep, node.id) for dep in node.deps() if dep in self.nodes)
                graph.add_edges_from((gate, node.id) for gate in self.after.get(node.id, ()))
            except ExprError:  # reported with its field by dynamic()
                continue
        if nx.is_directed_acyclic_graph(graph):  # far quicker than find_cycle on big plans
            return graph
        cycle = nx.find_cycle(graph)
        path = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        self.issues.append(Issue(f"the nodes form a cycle: {path}", self.source.where(("nodes",)),
                                 "remove one of these references"))
        return None

    def outputs(self, top_scope: dict[str, str]) -> dict[str, str]:
        """Check `outputs:` like a node's fields; the item fields they read -> where."""
        reads = {}
        for name, expr in self.recipe.outputs.items():
            found = self.expr_findings(expr, ("outputs", name))
            if found is None:
                continue
            unknown = found.names - set(top_scope) - BUILTIN_NAMES
            if unknown:
                self.issue(f"output {name} references unknown names {sorted(unknown)}",
                           ("outputs", name), f"valid names: {sorted(set(top_scope) | BUILTIN_NAMES)}")
            reads.update({f: f"outputs.{name}" for f in found.item_fields})
        return reads


def _recipe_model(source: Source) -> tuple[Recipe | None, list[Issue], set[str]]:
    """The Recipe, the schema's problems, and the top-level keys that were unusable (replaced
    by defaults or placeholders so that the rest can still be checked)."""
    if not isinstance(source.data, dict):
        return None, [Issue("a recipe must be a YAML mapping", source.where(()),
                            "start with `name:`, `dataset:` and `nodes:`")], set()
    data, issues, broken = dict(source.data), [], set()
    try:
        return Recipe.model_validate(data), [], set()
    except ValidationError as exc:
        errors = exc.errors()
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            issues.append(Issue(f"unknown key {loc[-1]!r}", source.where(loc),
                                f"remove it or fix its spelling; known keys: {sorted(Recipe.model_fields)}"))
        elif err["type"] == "missing":
            issues.append(Issue(f"missing required field {'.'.join(map(str, loc))!r}",
                                source.where(loc[:-1]), f"add `{loc[-1]}:`"))
        else:
            issues.append(Issue(schema_message(err), source.where(loc), schema_fix(err)))
        top = loc[0]
        if top == "params" and len(loc) > 1 and isinstance(data.get("params"), dict):
            data["params"] = {k: v for k, v in data["params"].items() if k != loc[1]}
            broken.add(f"params.{loc[1]}")
            continue
        data.pop(top, None)
        broken.add(str(top))
        if top in _PLACEHOLDERS:
            data[top] = _PLACEHOLDERS[top]
    try:
        return Recipe.model_validate(data), issues, broken
    except ValidationError:
        return None, issues, broken


def _params(source: Source, recipe: Recipe, overrides: dict[str, Any], broken: set[str]
            ) -> tuple[dict, list[Issue], set[str]]:
    values, issues, bad = {}, [], {b.split(".", 1)[1] for b in broken if b.startswith("params.")}
    if "params" in broken:
        bad.add("*")  # every ${params.X} would fail: say so once, not at every use
    for name in sorted(overrides.keys() - recipe.params.keys() - bad):
        issues.append(Issue(f"unknown param {name!r}", "command line (-p)",
                            f"valid params: {sorted(recipe.params)}"))
    for name, spec in recipe.params.items():
        is_default = name not in overrides
        where = source.where(("params", name)) if is_default else "command line (-p)"
        raw = overrides.get(name, spec.default)
        if raw is None:
            issues.append(Issue(f"param {name!r} has no default and no value", where,
                                f"pass -p {name}=VALUE or add a default"))
            bad.add(name)
            continue
        values[name], found = coerce_param(name, spec, raw, where, is_default=is_default)
        if found:
            issues += found
            bad.add(name)
            del values[name]
    return values, issues, bad


def build_plan(path: str | Path, overrides: dict[str, Any] | None = None, *,
               dataset: dict[str, Any] | None = None, endpoint: Any = None, model: str | None = None,
               check_endpoint: Callable[[Any], tuple[str, str] | None] | None = None) -> Plan:
    """Load, validate and unroll a recipe. Raises RecipeError listing every problem found.

    `dataset`, `endpoint`, `model` replace the recipe's own (command-line overrides);
    `check_endpoint(spec)` returns (what is wrong, fix) for the endpoint, if anything."""
    source = load_yaml(path)
    recipe, issues, broken = _recipe_model(source)
    if recipe is None:
        raise RecipeError(issues)
    params, found, bad_params = _params(source, recipe, overrides or {}, broken)
    b = _Builder(source, recipe, params, bad_params)
    b.issues = issues + found
    if not recipe.nodes and "nodes" not in broken:
        b.issue("the recipe has no nodes", ("nodes",), "add at least one node under nodes:")
    size = b.unrolled_size(recipe.nodes, ("nodes",))
    if size > limit("nodes"):
        b.issue(over("nodes", size, "the number of nodes after unrolling repeats"), ("nodes",),
                f"lower the repeats' `times`; {limit_hint('nodes')}")
        b.clamp_times = True  # still check every node once
    top_scope = b.level("", recipe.nodes, {}, ("nodes",), {})
    b.check_references()
    graph = b.graph()
    plan_model = model or b.static(recipe.model, ("model",))
    plan_endpoint = endpoint if endpoint is not None else b.static(recipe.endpoint, ("endpoint",))
    plan_dataset = dataset if dataset is not None else b.static(recipe.dataset.model_dump(), ("dataset",))
    reads = b.outputs(top_scope)
    plan = _plan(b, recipe, source, params, graph, top_scope, plan_dataset, plan_endpoint, plan_model)
    refused: set[str] = set()  # places whose node failed its own check
    for node in b.first_copies():
        try:
            found = node.check(plan)
            fields = node.item_fields(plan)
        except ExprError:  # a malformed ${...}: reported with its field already
            refused.add(node.where)
            continue
        b.issues += found
        refused |= {node.where} if found else set()
        reads.update({f: node.where.rsplit(" ", 1)[-1].strip("()") for f in fields if f not in reads})
    _check_calls_per_item(b, plan, refused)
    if isinstance(plan_dataset, dict) and "dataset" not in broken:
        where = source.where(("dataset",)) if dataset is None else "dataset"
        b.issues += dataset_issues(plan_dataset, plan.recipe_dir, reads, where,
                                   None if dataset is not None else
                                   lambda i: source.where(("dataset", "items", i)))
    if check_endpoint is not None:
        problem = check_endpoint(plan_endpoint)
        if problem:
            b.issues.append(Issue(problem[0], "command line (--endpoint)" if endpoint is not None
                                  else source.where(("endpoint",)), problem[1]))
    issues = list(dict.fromkeys(b.issues))  # each problem once, in the order found
    if issues or graph is None or b.clamp_times:
        raise RecipeError(issues)
    return plan


def _plan(b: _Builder, recipe: Recipe, source: Source, params: dict[str, Any],
          graph: nx.DiGraph | None, top_scope: dict[str, str], dataset: Any, endpoint: Any,
          model: Any) -> Plan:
    position = {node_id: i for i, node_id in enumerate(b.nodes)}
    graph = graph if graph is not None else nx.DiGraph()
    graph.remove_nodes_from(b.check_only)
    order = (list(nx.lexicographical_topological_sort(graph, key=position.__getitem__))
             if nx.is_directed_acyclic_graph(graph) else [n for n in b.nodes if n not in b.check_only])
    return Plan(recipe=recipe, source=source, params=params, nodes={n: b.nodes[n] for n in order},
                graph=graph, outputs=recipe.outputs, top_scope=top_scope, dataset=dataset,
                endpoint=endpoint, model=model)


def _check_calls_per_item(b: _Builder, plan: Plan, refused: set[str]) -> None:
    """Refuse a plan whose items would each make more calls than PIPE_MAX_CALLS_PER_ITEM
    (nodes that failed their own checks are not counted: they may not even load)."""
    if b.clamp_times or any("PIPE_MAX_FANOUT" in i.message for i in b.issues):
        return  # already refused; the count would repeat that problem
    calls = sum(node.calls_per_item(plan) for node in plan.nodes.values()
                if node.where not in refused)
    if calls > limit("calls_per_item"):
        b.issue(over("calls_per_item", calls, "the number of LLM calls one item would make"),
                ("nodes",), f"lower n, the repeats' `times` or the groups' `count`; "
                f"{limit_hint('calls_per_item')}")
