"""Checks of a recipe that are not about one node: node names, how far repeats unroll, fix
hints for schema errors, and whether the dataset's first rows carry the fields the recipe reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from pipelines.errors import Issue
from pipelines.recipe.datasets import check_dataset, flatten
from pipelines.sandbox.expr import ENV, findings_in, has_expr

RESERVED = frozenset({"item", "params", "prev", "each", "index", "step", "loop", "self",
                      "true", "false", "none", "True", "False", "None", "and", "or", "not", "in",
                      "is", "if", "else"}) | frozenset(ENV.globals)
"""Names a node may not take: names every expression already has, and jinja2's words."""
ROWS_CHECKED = 20
"""How many rows of a .jsonl dataset `pipe validate` reads."""


def name_problem(name: Any) -> tuple[str, str] | None:
    """(problem, fix) if `name` cannot be a node's name, else None."""
    if not isinstance(name, str) or not name.isidentifier():
        why = ("'.' is reserved for the nodes a repeat unrolls into (steps.1.aggregate)"
               if isinstance(name, str) and "." in name else
               "a name must be letters, digits and _ and not start with a digit, so that "
               "${NAME.output} can reach it")
        return f"node name {name!r} is not allowed: {why}", "rename it, e.g. solve_2"
    if name in RESERVED:
        return (f"node name {name!r} is reserved (expressions already use it)",
                f"rename it, e.g. {name}_node")
    return None


def schema_fix(err: dict[str, Any], raw_value: Any = None) -> str:
    """A fix line that fits a pydantic error: ranges get a range, types get a type."""
    kind, ctx = err["type"], err.get("ctx") or {}
    via = ""
    if has_expr(raw_value):
        params = sorted(findings_in(raw_value).params)
        via = f" (it comes from {', '.join(f'-p {p}=...' for p in params)})" if params else ""
    bounds = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"),
              "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        op, key = bounds[kind]
        return f"use a value {op} {ctx.get(key)}{via}"
    if kind == "finite_number":
        return f"use a finite number{via}"
    if kind == "literal_error":
        return f"use {ctx.get('expected')}"
    expected = {"int_": "an integer", "float_": "a number", "string_": "a string",
                "bool_": "true or false", "dict_": "a mapping", "list_": "a list",
                "model_": "a mapping", "tuple_": "a list"}
    for prefix, what in expected.items():
        if kind.startswith(prefix):
            return f"use {what} here{via}"
    return f"fix the value{via}"


def schema_message(err: dict[str, Any]) -> str:
    value = err.get("input")
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"{err['msg']}, got {shown}" if not isinstance(value, dict) else err["msg"]


def dataset_issues(options: dict[str, Any], base_dir: Path, reads: dict[str, str],
                   where: str, item_where: Callable[[int], str] | None = None) -> list[Issue]:
    """The dataset's source exists and takes these options; a .jsonl file exists and its first
    rows parse; inline items and those rows carry every field the recipe reads (`reads`: field
    -> where it is read). `item_where(i)` locates inline item i (0-based) in the recipe."""
    if not isinstance(options.get("source"), str):
        return [Issue(f"dataset.source must be a string, got {options.get('source')!r}", where,
                      "name a source (see `pipe validate --help`) or a .jsonl path")]
    problem = check_dataset(options)
    if problem:
        return [Issue(problem, where, "fix dataset.source or its options")]
    options = flatten(options)
    source = options.get("source", "")
    if source == "inline":
        items = options.get("items")
        if not isinstance(items, list) or not items:
            return [Issue("an inline dataset needs a non-empty `items` list", where,
                          "add items: [{id: a, question: ..., answer: ...}]")]
        locate = item_where or (lambda i: f"{where} (item {i + 1})")
        return _row_issues([(locate(i), row) for i, row in enumerate(items)], reads)
    if source.endswith(".jsonl") or (source == "jsonl" and "path" in options):
        return _jsonl_issues(base_dir / (options.get("path") or source), where, reads)
    return []


def _jsonl_issues(path: Path, where: str, reads: dict[str, str]) -> list[Issue]:
    if not path.is_file():
        return [Issue(f"dataset file {path} not found", where,
                      "fix dataset.source/path (relative to the recipe's folder)")]
    rows = []
    with path.open("rb") as lines:
        for lineno, raw in enumerate(lines, 1):
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                return [Issue("line is not UTF-8 text", f"{path}:{lineno}", "save it as UTF-8")]
            if not text:
                continue
            try:
                row = json.loads(text)
            except (ValueError, RecursionError) as exc:
                return [Issue(f"invalid JSON ({getattr(exc, 'msg', exc)})", f"{path}:{lineno}",
                              "make every line one JSON object")]
            rows.append((lineno, row))
            if len(rows) >= ROWS_CHECKED:
                break
    if not rows:
        return [Issue(f"dataset file {path} has no rows", where, "add one JSON object per line")]
    required = {"question": "every .jsonl row", "answer": "every .jsonl row", **reads}
    return _row_issues([(f"{path}:{n}", row) for n, row in rows], required)


def _row_issues(rows: list[tuple[str, Any]], reads: dict[str, str]) -> list[Issue]:
    """`rows`: (where the row is, the row)."""
    issues, seen_ids = [], set()
    for at, row in rows:
        if not isinstance(row, dict):
            issues.append(Issue(f"a dataset row must be a mapping, got {type(row).__name__}", at,
                                "write each row as {question: ..., answer: ...}"))
            continue
        if "id" in row and str(row["id"]) in seen_ids:
            issues.append(Issue(f"duplicate item id {row['id']!r}", at, "give every item its own id"))
        seen_ids.add(str(row.get("id", "")))
        for name in sorted(set(reads) - set(row) - {"id"}):
            issues.append(Issue(f"dataset row has no field {name!r}, which {reads[name]} reads",
                                at, f"add {name!r} to every row, or read a field the rows "
                                f"have: {sorted(row)}"))
        if len(issues) >= 5:  # enough to see the pattern
            break
    return issues
