"""Dataset sources: name -> function returning item dicts ({id, question, answer, ...}): a list,
or an iterator for a source that generates them (a run then makes them as it reads them).

Sources are `pipe.datasets` entry points (`pipelines.plugins`), loaded only when used; the engine
ships `inline` and `jsonl`, other packages add theirs (`arith`, `reasoning_gym`, `figma`). A
source whose name ends in .jsonl (or `source: jsonl` with `path:`) reads a file relative to the
recipe.
"""

from __future__ import annotations

import inspect
import json
import random
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pipelines.errors import InputError
from pipelines.plugins import DATASETS


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
    items = list(_jsonl_rows(_existing(path)))
    if size is not None and size < len(items):
        items = random.Random(seed).sample(items, size) if seed is not None else items[:size]
    return items


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: dataset file not found (fix: check `dataset.path`)")
    return path


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The file's rows one at a time (ids default to the line number), checked as they come."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                yield _jsonl_row(path, lineno, line)


def _jsonl_row(path: Path, lineno: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{lineno}: invalid JSON ({exc.msg}); fix that line") from None
    missing = [k for k in ("question", "answer") if not isinstance(row, dict) or k not in row]
    if missing:
        raise InputError(f"{path}:{lineno}: row has no {' or '.join(missing)}; "
                         "fix: every line needs question and answer")
    row.setdefault("id", str(lineno))
    row["id"] = str(row["id"])
    return row


class JsonlItems:
    """A JSONL dataset that a run reads as it goes: checked whole once when opened (bad lines,
    duplicate ids: one clear error before anything is spent) keeping only its ids, then read
    again from the file on every pass. Memory does not hold the rows, only their ids."""

    def __init__(self, path: Path):
        self.path = path
        self._count = _count_unique(path)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return _jsonl_rows(self.path)


MAX_ID_BITS = 1 << 27
"""Most bits (16 MB) the duplicate check of a streamed dataset holds, whatever its size."""


class KeyBits:
    """Which keys may have been seen twice, in bounded memory: one bit per hash slot (about one
    per byte of the input, at most MAX_ID_BITS). A key whose slot was taken twice is only a
    candidate (`clashed`); a second look at those keys alone confirms a duplicate or clears a
    hash collision."""

    def __init__(self, size_hint: int, bits: int | None = None):
        self.bits = bits or min(MAX_ID_BITS, max(1 << 16, size_hint))
        self.taken = bytearray(self.bits // 8 + 1)
        self.clashes: set[int] = set()

    def add(self, key: str) -> None:
        slot = hash(key) % self.bits
        if self.taken[slot >> 3] & (1 << (slot & 7)):
            self.clashes.add(slot)
        self.taken[slot >> 3] |= 1 << (slot & 7)

    def clashed(self, key: str) -> bool:
        return hash(key) % self.bits in self.clashes


def _count_unique(path: Path, bits: int | None = None) -> int:
    """The file's rows, refusing duplicate ids without holding them (`KeyBits`): only rows
    whose slot is taken twice are read again and compared by id."""
    ids, rows = KeyBits(path.stat().st_size, bits), 0
    for row in _jsonl_rows(path):
        rows += 1
        ids.add(row["id"])
    seen: set[str] = set()
    for row in _jsonl_rows(path) if ids.clashes else ():
        if ids.clashed(row["id"]):
            if row["id"] in seen:
                raise InputError(f"dataset {path}: duplicate item id {row['id']!r}; "
                                 "ids must be unique")
            seen.add(row["id"])
    return rows


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
