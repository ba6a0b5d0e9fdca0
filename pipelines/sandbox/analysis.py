"""What a parsed expression or template reads, and what the sandbox would refuse, found
statically so that `pipe validate` reports it before any call (not item by item at run time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import meta, nodes
from jinja2.sandbox import (UNSAFE_ASYNC_GENERATOR_ATTRIBUTES, UNSAFE_COROUTINE_ATTRIBUTES,
                            UNSAFE_GENERATOR_ATTRIBUTES)

# methods that change a list, dict or set in place: the immutable sandbox refuses them
MUTATING = frozenset({"add", "append", "clear", "difference_update", "discard", "extend", "insert",
                      "intersection_update", "pop", "popitem", "remove", "reverse", "setdefault",
                      "sort", "symmetric_difference_update", "update"})
UNSAFE_ATTRS = (UNSAFE_GENERATOR_ATTRIBUTES | UNSAFE_COROUTINE_ATTRIBUTES
                | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES | {"mro", "func_globals", "f_globals"})


@dataclass
class Findings:
    names: set[str] = field(default_factory=set)
    """Free names read (node names, `item`, `params`, ...)."""
    item_fields: set[str] = field(default_factory=set)
    """`item.X` / `item['X']`: the dataset fields read."""
    params: set[str] = field(default_factory=set)
    """`params.X`: the params read."""
    unsafe: list[str] = field(default_factory=list)
    """What the sandbox would refuse at run time, one line each."""

    def merge(self, other: Findings) -> Findings:
        self.names |= other.names
        self.item_fields |= other.item_fields
        self.params |= other.params
        self.unsafe += [u for u in other.unsafe if u not in self.unsafe]
        return self


def analyse(ast: nodes.Template) -> Findings:
    found = Findings(names=set(meta.find_undeclared_variables(ast)))
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else _const_str(node.arg)
        if key is None:
            continue
        base = node.node.name if isinstance(node.node, nodes.Name) else None
        if base == "item":
            found.item_fields.add(key)
        elif base == "params":
            found.params.add(key)
        if key.startswith("__") or key in UNSAFE_ATTRS:
            found.unsafe.append(f"reads the internal attribute {key!r}")
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Getattr) and call.node.attr in MUTATING:
            found.unsafe.append(f"calls .{call.node.attr}(), which modifies a value in place")
    return found


def _const_str(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None
