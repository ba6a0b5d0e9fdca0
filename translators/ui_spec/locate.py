"""Where things are in a spec's YAML text: paths like `root.children[2].color` and their lines."""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str | int, ...]


Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster


def compose(text: str) -> yaml.Node | None:
    """The YAML node graph (marks included); raises yaml.YAMLError."""
    return yaml.compose(text, Loader=Loader)


def construct(root: yaml.Node | None) -> Any:
    """Plain data from a composed document, as yaml.safe_load would build it."""
    if root is None:
        return None
    return yaml.SafeLoader("").construct_document(root)


def line_index(root: yaml.Node | None) -> dict[Path, int]:
    """Map every mapping key / sequence element path of a composed document to its 1-based line."""
    lines: dict[Path, int] = {}
    stack: list[tuple[Path, Any]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if node is None:
            continue
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    lines[path + (key.value,)] = key.start_mark.line + 1
                    stack.append((path + (key.value,), value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((path + (i,), item))
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """Line of `path`, or of its nearest ancestor that exists in the text."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def format_path(path: Path) -> str:
    """('root', 'children', 2, 'color') -> 'root.children[2].color'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


def data_path(loc: tuple[Any, ...], data: Any, node_types: frozenset[str]) -> Path:
    """Turn a pydantic error location into a path through the data.

    Pydantic inserts the discriminator tag (`column`, `text`, ...) after every node and a
    member name (`int`, `literal[...]`) inside unions; neither is part of the document.
    """
    out: list[str | int] = []
    current = data
    tag_pending = True
    for part in loc:
        is_node = isinstance(current, dict) and current.get("type") in node_types
        if tag_pending and is_node and part == current.get("type"):
            tag_pending = False
            continue
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and not out[-1:] == [part]:
            out.append(part)  # a missing required key: still names the field
            break
        else:
            break
        out.append(part)
        tag_pending = True
    return tuple(out)
