"""Opening the project's SQLite files: WAL so that other processes read while one writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path


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
