"""A run's item rows as a read-only sequence backed by the run store, not held in memory.

`RunResult.items` is one: a million-item run returns at once, and a caller that reads only the
first rows (or counts them) never loads the rest. Each read opens the store briefly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Iterator, overload

from pipelines.storage.run_store import RunStore


class StoredItems(Sequence):
    """`{item_id, status, error, outputs, gold, correct}` per item of `run_id`, in the order
    the items finished; compares equal to a list of the same rows."""

    def __init__(self, root: str | Path, run_id: str):
        self.root, self.run_id = Path(root).resolve(), run_id

    def __len__(self) -> int:
        store = RunStore(self.root)
        try:
            return store.item_count(self.run_id)
        finally:
            store.close()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return self._read(start, max(0, stop - start))
        position = index + len(self) if index < 0 else index
        found = self._read(position, 1) if position >= 0 else []
        if not found:
            raise IndexError(f"item {index} of run {self.run_id}: it has {len(self)} items")
        return found[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        store = RunStore(self.root)
        try:
            yield from store.iter_items(self.run_id)
        finally:
            store.close()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (StoredItems, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"StoredItems({str(self.root)!r}, {self.run_id!r})"

    def _read(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if limit == 0:
            return []
        store = RunStore(self.root)
        try:
            return list(store.iter_items(self.run_id, offset=offset, limit=limit))
        finally:
            store.close()
