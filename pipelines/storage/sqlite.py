"""Opening the project's SQLite files: WAL so that other processes read while one writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator


def open_db(path: Path, schema: str, *, busy_timeout_ms: int = 10000) -> sqlite3.Connection:
    """Autocommit connection (callers open their own transactions) with rows as sqlite3.Row,
    the folder created and `schema` (idempotent CREATE ... IF NOT EXISTS) applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    db.executescript(schema)
    return db


class SqliteFile:
    """A SQLite file opened on first use (so read-only commands never create it)."""

    FILENAME = "store.sqlite"
    SCHEMA = ""

    def __init__(self, root: str | Path = ".pipe"):
        self.root = Path(root)
        self.path = self.root / self.FILENAME
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_db(self.path, self.SCHEMA)
        return self._db

    def exists(self) -> bool:
        return self.path.is_file()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def paged(db: sqlite3.Connection, columns: str, source: str, where: str, args: tuple, *,
          key: str = "rowid", page: int = 1000, after: int = -(2**63), limit: int = -1
          ) -> Iterator[sqlite3.Row]:
    """`SELECT columns FROM source WHERE where`, in `key` order, read `page` rows per query by
    keyset (`key > last`): a million-row read holds one page, and each query costs the same
    however far into the table it is. `key` must be unique and indexed (a rowid); rows after
    `after`, at most `limit` (-1: all)."""
    sql = (f"SELECT {key} AS page_key, {columns} FROM {source} WHERE ({where}) AND {key} > ? "
           f"ORDER BY {key} LIMIT ?")
    last, left = after, limit
    while left != 0:
        size = page if left < 0 else min(page, left)
        rows = db.execute(sql, (*args, last, size)).fetchall()
        yield from rows
        if len(rows) < size:
            return
        last, left = rows[-1]["page_key"], left - len(rows)
