"""Dataset sources: name -> function returning item dicts ({id, question, answer, ...}): a list,
or an iterator for a source that generates them (a run then makes them as it reads them).

Sources are `pipe.datasets` entry points (`pipelines.plugins`), loaded only when used; the engine
ships `inline` and `jsonl`, other packages add theirs (`arith`, `reasoning_gym`, `figma`). A
source whose name ends in .jsonl (or `source: jsonl` with `path:`) reads a file relative to the
recipe.
"""

from __future__ import annotations

import inspect
import random
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pipelines.errors import InputError
from pipelines.plugins import DATASETS
from pipelines.recipe.jsonl import JsonlItems, jsonl_rows


def register_source(name: str, fn: Callable[..., list[dict[str, Any]]]) -> None:
    """Add a dataset source at run time (packages register theirs as entry points)."""
    DATASETS.register(name, fn)


def inline_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(i) for i in items]


def jsonl_items(path: str | Path, size: int | None = None, seed: int | None = None
                ) -> list[dict[str, Any]]:
    """Read {question, answer, ...} rows; a bad line is an InputError naming file:line.

    With `size`, keep that many rows: the first ones, or a seeded random subset if `seed` is set.
    """
    items = list(jsonl_rows(_existing(path)))
    if size is not None and size < len(items):
        items = random.Random(seed).sample(items, size) if seed is not None else items[:size]
    return items


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: dataset file not found (fix: check `dataset.path`)")
    return path


def stream_items(options: dict[str, Any], base_dir: Path
                 ) -> JsonlItems | GeneratedItems | list[dict[str, Any]]:
    """The dataset as a run reads it: a whole JSONL file lazily (`JsonlItems`), a source that
    generates its items (returns an iterator, e.g. `arith`, `reasoning_gym`) on demand
    (`GeneratedItems`), any other source (or a sampled subset of a file) as `load_items`
    gives it."""
    flat = flatten(options)
    source = flat.get("source", "")
    path = source if source.endswith(".jsonl") else flat.get("path") if source == "jsonl" else None
    if path is not None and not set(flat) - {"source", "path", "seed"}:
        return JsonlItems(_existing(base_dir / path))
    name, kwargs = _call(options, base_dir)
    fn = _resolve(name)
    first = fn(**kwargs)
    size = kwargs.get("size", _default(fn, "size"))
    if isinstance(first, list) or not isinstance(size, int):
        return _checked_ids(name, list(first))
    return GeneratedItems(lambda: _resolve(name)(**kwargs), size, first)


def _default(fn: Callable[..., Any], name: str) -> Any:
    param = inspect.signature(fn).parameters.get(name)
    return None if param is None or param.default is param.empty else param.default


class GeneratedItems:
    """A generated dataset, made as it is read: every pass calls the source again with the
    same options (the first reuses the call that checked them), so only the items in flight
    are held. Ids default to the item's index; a generating source numbers its own items, so
    they are not checked for repeats (that would make every item once more up front)."""

    def __init__(self, make: Callable[[], Iterable[dict[str, Any]]], size: int,
                 first: Iterable[dict[str, Any]]):
        self.make, self.size, self._first = make, size, first

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[dict[str, Any]]:
        made, self._first = (self._first if self._first is not None else self.make()), None
        for index, item in enumerate(made):
            item["id"] = str(item.get("id", index))
            yield item


def _resolve(name: str) -> Callable[..., list[dict[str, Any]]]:
    return DATASETS.get(name)


def flatten(options: dict[str, Any]) -> dict[str, Any]:
    """Merge a nested `options:` mapping into the dataset block, so a recipe can pass
    source-specific options through one dict param (`-p dataset_options='{"task": "x"}'`)."""
    options = dict(options)
    extra = options.pop("options", None) or {}
    if not isinstance(extra, dict):
        raise InputError(f"dataset.options must be a mapping, got {extra!r}")
    return {**options, **extra}


def check_dataset(options: dict[str, Any]) -> str | None:
    """Return an error message if the source is unknown or takes other options; else None."""
    try:
        options = flatten(options)
    except InputError as exc:
        return str(exc)
    source = options.get("source", "")
    if source.endswith(".jsonl"):
        return None
    if source not in DATASETS:
        return f"unknown dataset source {source!r}; known: {DATASETS.names()} or a .jsonl path"
    try:
        fn = _resolve(source)
    except ImportError as exc:
        return f"dataset source {source!r} cannot be loaded: {exc}"
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    unknown = set(options) - {"source"} - set(params)
    if unknown:
        return f"dataset source {source!r} takes no {sorted(unknown)}; it takes {sorted(params)}"
    return None


def load_items(options: dict[str, Any], base_dir: Path) -> list[dict[str, Any]]:
    """Materialise a dataset. Items get string ids (their index when the source gives none)."""
    name, kwargs = _call(options, base_dir)
    return _checked_ids(name, list(_resolve(name)(**kwargs)))


def _call(options: dict[str, Any], base_dir: Path) -> tuple[str, dict[str, Any]]:
    """The source's name and the keyword options to call it with (a path made absolute)."""
    options = flatten(options)
    source = options.pop("source")
    if source.endswith(".jsonl"):
        options, source = {"path": source, **options}, "jsonl"
    if "path" in options:
        options["path"] = base_dir / options["path"]
    return source, options


def _checked_ids(source: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        item["id"] = str(item.get("id", index))
        if item["id"] in seen:
            raise InputError(f"dataset {source}: duplicate item id {item['id']!r}; ids must be unique")
        seen.add(item["id"])
    return items
