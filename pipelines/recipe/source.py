"""Reading recipe YAML safely while remembering where every key came from (for errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import Issue, RecipeError

Path_ = tuple[str | int, ...]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Source:
    """A parsed YAML document plus the line of every mapping key and sequence entry."""

    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def where(self, loc: Path_) -> str:
        """`file:line (field.path)` for the deepest located prefix of `loc`."""
        dotted = ".".join(str(p) for p in loc)
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return f"{self.path}:{line} ({dotted})" if dotted else f"{self.path}:{line}"
        return f"{self.path} ({dotted})" if dotted else str(self.path)


def _record_lines(node: yaml.Node, prefix: Path_, lines: dict[Path_, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            lines.setdefault(key, key_node.start_mark.line + 1)
            _record_lines(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            key = (*prefix, i)
            lines.setdefault(key, child.start_mark.line + 1)
            _record_lines(child, key, lines)


def load_yaml(path: str | Path) -> Source:
    """Load a YAML file with `yaml.safe_load` semantics; raise RecipeError with file:line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError([Issue(f"cannot read file: {exc.strerror}", str(path),
                                 "check the path")]) from None
    try:  # libyaml when available: large inline datasets parse ~10x faster
        data = yaml.load(text, Loader=_LOADER)
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RecipeError([Issue(f"YAML syntax error: {problem}", where,
                                 "fix the indentation or quoting at that line")]) from None
    source = Source(path=path, data=data)
    if root is not None:
        source.lines[()] = 1
        _record_lines(root, (), source.lines)
    return source
