"""JSONL datasets read as a run goes, never held whole: rows parsed one at a time, and the whole
file checked (bad lines, duplicate ids) in bounded memory.

A small file is checked before the run starts. A large one (over INLINE_CHECK_BYTES) would keep
the first call waiting for seconds (a million rows take ~12 s to parse twice), so its run starts
at once and the check runs beside it in a child process (`python -m pipelines.recipe.jsonl`):
the rows the run reads are parsed as they come, and a bad line or a repeated id stops the run
(resumable, nothing it did is lost) with the same error the check before the start would give.

Usage: python -m pipelines.recipe.jsonl FILE   # prints {"rows": N} or {"error": "..."}
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

from pipelines.errors import DatasetError

INLINE_CHECK_BYTES = 4 << 20
"""Files up to this size (about 60,000 short rows, under a second) are checked whole before the
run starts; larger ones while it runs."""
POLL_ROWS = 256
"""Rows read between two looks at the background check."""
MAX_ID_BITS = 1 << 27
"""Most bits (16 MB) the duplicate check of a streamed dataset holds, whatever its size."""


def numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of the file's non-blank lines, read one at a time. Lines end at \\n
    only: a JSON string may hold a raw U+2028, which str.splitlines() would break."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if raw.strip():
                yield lineno, raw


def jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The file's rows one at a time (ids default to the line number), checked as they come."""
    for lineno, raw in numbered_lines(path):
        yield _row(path, lineno, raw)


def _row(path: Path, lineno: int, raw: bytes) -> dict[str, Any]:
    try:
        row = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DatasetError(f"{path}:{lineno}: not UTF-8; fix: save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{lineno}: invalid JSON ({exc.msg}); fix that line") from None
    missing = [k for k in ("question", "answer") if not isinstance(row, dict) or k not in row]
    if missing:
        raise DatasetError(f"{path}:{lineno}: row has no {' or '.join(missing)}; "
                         "fix: every line needs question and answer")
    row.setdefault("id", str(lineno))
    row["id"] = str(row["id"])
    return row


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


def count_unique(path: Path, bits: int | None = None) -> int:
    """The file's rows, every one parsed, refusing duplicate ids without holding them
    (`KeyBits`): only rows whose slot is taken twice are compared by id, on a second pass."""
    ids, rows = KeyBits(path.stat().st_size, bits), 0
    for row in jsonl_rows(path):
        rows += 1
        ids.add(row["id"])
    seen: set[str] = set()
    for row in jsonl_rows(path) if ids.clashes else ():
        if ids.clashed(row["id"]):
            if row["id"] in seen:
                raise DatasetError(f"dataset {path}: duplicate item id {row['id']!r}; "
                                 "ids must be unique")
            seen.add(row["id"])
    return rows


def count_lines(path: Path) -> int:
    """The file's non-blank lines, unparsed (a million in a fraction of a second): the rows a
    valid file holds."""
    with open(path, "rb") as f:
        return sum(1 for raw in f if raw.strip())


class BackgroundCheck:
    """`count_unique` of a file in a child process, started at once; asked without waiting
    (`raise_if_failed`) or awaited (`wait`)."""

    def __init__(self, path: Path):
        self.path = path
        self.proc = subprocess.Popen([sys.executable, "-m", "pipelines.recipe.jsonl", str(path)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self._verdict: dict[str, Any] | None = None

    def raise_if_failed(self) -> None:
        """Raise the check's DatasetError if it has finished and failed; never waits."""
        if self._verdict is None and self.proc.poll() is not None:
            self._read()
        self._raise()

    async def wait(self) -> int:
        """The file's row count once the check is done; its DatasetError if it failed."""
        if self._verdict is None:
            await asyncio.to_thread(self.proc.wait)
            self._read()
        self._raise()
        return self._verdict["rows"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()

    def _read(self) -> None:
        out, err = self.proc.communicate()
        lines = out.decode().strip().splitlines()
        self._verdict = (json.loads(lines[-1]) if self.proc.returncode == 0 and lines else
                         {"error": f"dataset {self.path}: the check stopped ({err.decode()[-500:]})"})

    def _raise(self) -> None:
        if self._verdict is not None and "error" in self._verdict:
            raise DatasetError(self._verdict["error"])


class JsonlItems:
    """A JSONL dataset a run reads as it goes, read again from the file on every pass: memory
    holds neither its rows nor its ids. Checked whole before the run (small files) or beside it
    (`BackgroundCheck`); `len` is its row count either way."""

    def __init__(self, path: Path):
        self.path = path
        if path.stat().st_size <= INLINE_CHECK_BYTES:
            self._count, self._check = count_unique(path), None
        else:
            self._count, self._check = count_lines(path), BackgroundCheck(path)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for n, row in enumerate(jsonl_rows(self.path)):
            if self._check is not None and n % POLL_ROWS == 0:
                self._check.raise_if_failed()
            yield row

    async def checked(self) -> None:
        """Return once the whole file is known good; its DatasetError otherwise."""
        if self._check is not None:
            await self._check.wait()

    def close(self) -> None:
        """Stop the background check if it still runs."""
        if self._check is not None:
            self._check.close()


def main(argv: list[str]) -> int:
    try:
        print(json.dumps({"rows": count_unique(Path(argv[0]))}))
    except DatasetError as exc:
        print(json.dumps({"error": str(exc)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
