"""Reading recipe YAML safely while remembering where every key came from (for errors).

Before anything is built, the file's size, encoding, document count, nesting depth and the
number of values it holds once aliases are expanded are checked against limits (an alias
bomb is a few hundred bytes that expand to billions of values), and duplicate keys, which
YAML would silently resolve to the last one, are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import Issue, RecipeError
from pipelines.sandbox.limits import limit, limit_hint, over

Path_ = tuple[str | int, ...]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


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


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > limit("recipe_bytes"):
            raise RecipeError([Issue(over("recipe_bytes", size, "the file's size in bytes"),
                                     str(path), "move large inline data into a .jsonl dataset; "
                                     + limit_hint("recipe_bytes"))])
        raw = path.read_bytes()
    except OSError as exc:
        raise RecipeError([Issue(f"cannot read file: {exc.strerror}", str(path),
                                 "check the path")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecipeError([Issue(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                                 f"offset {exc.start})", f"{path}:{line}",
                                 "save the recipe as UTF-8")]) from None


def _prescan(path: Path, text: str) -> None:
    """Walk the parser's events (no tree is built): one document, bounded depth, bounded size
    once every alias is expanded."""
    max_depth, max_nodes = limit("yaml_depth"), limit("yaml_nodes")
    sizes: dict[str, int] = {}  # anchor -> expanded size of its value
    stack: list[list[Any]] = []  # [size so far, anchor] per open mapping/sequence
    total = documents = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = f"{path}:{event.start_mark.line + 1}"
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise RecipeError([Issue("the file holds more than one YAML document (`---`)",
                                         line, "keep one recipe per file; remove the `---` "
                                         "separator and what follows, or split the file")])
        elif isinstance(event, yaml.CollectionStartEvent):
            stack.append([1, event.anchor])
            total += 1
            if len(stack) > max_depth:
                raise RecipeError([Issue(over("yaml_depth", len(stack), "the nesting depth"),
                                         line, "flatten the structure; "
                                         + limit_hint("yaml_depth"))])
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionEndEvent)):
            if isinstance(event, yaml.CollectionEndEvent):
                size, anchor = stack.pop()
            else:
                size = sizes.get(event.anchor, 1) if isinstance(event, yaml.AliasEvent) else 1
                anchor = event.anchor if isinstance(event, yaml.ScalarEvent) else None
                total += size
            if anchor:
                sizes[anchor] = size
            if stack:
                stack[-1][0] += size
            if total > max_nodes:
                raise RecipeError([Issue(over("yaml_nodes", total, "the number of YAML values "
                                              "(aliases expanded)"), line,
                                         "use fewer or smaller aliases (*name); "
                                         + limit_hint("yaml_nodes"))])


def _duplicate_keys(path: Path, root: yaml.Node) -> list[Issue]:
    issues, seen_nodes, todo = [], set(), [root]
    while todo:
        node = todo.pop()
        if id(node) in seen_nodes:  # an alias: its value was checked where it was defined
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, value_node in node.value:
                todo.append(value_node)
                if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                    continue
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    issues.append(Issue(f"duplicate key {key_node.value!r} (first at line "
                                        f"{first[key_node.value]}); YAML would keep only the last",
                                        f"{path}:{line}", "remove or rename one of them"))
                first.setdefault(key_node.value, line)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return sorted(issues, key=lambda i: int(i.where.rsplit(":", 1)[1]))


def load_yaml(path: str | Path) -> Source:
    """Load a YAML file with `yaml.safe_load` semantics; raise RecipeError with file:line."""
    path = Path(path)
    text = _read_text(path)
    try:  # libyaml when available: large inline datasets parse ~10x faster
        _prescan(path, text)
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        fix = ("use plain YAML values: no !!tags, no lists or mappings as keys"
               if isinstance(exc, yaml.constructor.ConstructorError)
               else "fix the indentation or quoting at that line")
        raise RecipeError([Issue(f"YAML syntax error: {problem}", where, fix)]) from None
    if root is not None:
        duplicates = _duplicate_keys(path, root)
        if duplicates:
            raise RecipeError(duplicates)
    source = Source(path=path, data=data)
    if root is not None:
        source.lines[()] = 1
        _record_lines(root, (), source.lines)
    return source
