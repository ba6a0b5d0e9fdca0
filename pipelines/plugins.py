"""Extension points: what a package adds to the engine, registered as a Python entry point.

The package that owns an extension declares it in `pyproject.toml`, so the engine never imports
`evals`, `translators` or `moe` itself:

    group                 an entry is                            used by
    pipe.node_kinds       a `Node` subclass                      recipe `kind:` fields
    pipe.extractors       (text) -> answer | None                `extract:` of vote / score
    pipe.equivalences     (a, b) -> bool                         `equivalence:` of vote / score
    pipe.datasets         (**options) -> list of item dicts      `dataset: {source: NAME}`
    pipe.commands         a click command                        `pipe NAME ...`
    pipe.show_sections    (RunStore, run_id) -> JSON value       extra sections of `pipe show`
    pipe.endpoints        an object with base_url, transport(),  `endpoint: embedded`
                          weights_digest()

An entry is imported the first time it is used, so a run that never votes never loads
math-verify. Programs that embed pipe may also `register` objects at run time.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any, Iterator


class Registry:
    """One entry-point group: names -> objects, each loaded once, on first use."""

    def __init__(self, group: str, what: str):
        self.group = group
        self.what = what
        """How errors name an entry, e.g. `node kind`."""
        self._entries: dict[str, Any] | None = None

    def _table(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = {ep.name: ep for ep in entry_points(group=self.group)}
        return self._entries

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._table())

    def __contains__(self, name: object) -> bool:
        return name in self._table()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> Any:
        """The object registered as `name`; KeyError (naming the known ones) if there is none."""
        table = self._table()
        if name not in table:
            raise KeyError(f"unknown {self.what} {name!r}; known: {self.names()}")
        entry = table[name]
        if isinstance(entry, EntryPoint):
            entry = table[name] = _load(entry)
        return entry

    def register(self, name: str, obj: Any) -> None:
        """Add (or replace) an entry at run time."""
        self._table()[name] = obj


def _load(entry: EntryPoint) -> Any:
    try:
        return entry.load()
    except (ImportError, AttributeError) as err:
        raise ImportError(f"{entry.group} entry point {entry.name!r} = {entry.value!r} cannot be "
                          f"loaded ({err}); if the package layout changed, reinstall pipe "
                          "(`pip install -e .`) to refresh its entry points") from err


NODE_KINDS = Registry("pipe.node_kinds", "node kind")
EXTRACTORS = Registry("pipe.extractors", "extractor")
EQUIVALENCES = Registry("pipe.equivalences", "equivalence")
DATASETS = Registry("pipe.datasets", "dataset source")
COMMANDS = Registry("pipe.commands", "command")
SHOW_SECTIONS = Registry("pipe.show_sections", "show section")
ENDPOINTS = Registry("pipe.endpoints", "in-process endpoint")
