"""The run store: one SQLite file (WAL) holding runs, every call, and every node output.

A completed call or node output is committed before anything depends on it, so a run killed at
any moment resumes (`pipe run --resume RUN`) without repeating or re-billing completed calls.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from typing import Any

from pipelines.storage.owner import owner_gone, this_owner
from pipelines.storage.sqlite import SqliteFile
from pipelines.types import CallRow, ItemStatus, RunStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, recipe_path TEXT, recipe_name TEXT, params TEXT, overrides TEXT,
    endpoint TEXT, model TEXT, status TEXT, exit_code INTEGER, items_total INTEGER,
    created_at REAL, finished_at REAL, max_cost REAL, owner_host TEXT, owner_pid INTEGER,
    owner_started TEXT);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, item_id TEXT, node TEXT, call_key TEXT,
    model TEXT, endpoint TEXT, started_at TEXT, latency_s REAL, attempts INTEGER, status TEXT,
    error TEXT, prompt_tokens INTEGER, cached_tokens INTEGER, cache_write_tokens INTEGER,
    completion_tokens INTEGER, reasoning_tokens INTEGER, cache_hit INTEGER, cost_usd REAL,
    would_cost_usd REAL, price_source TEXT, tier TEXT, finish_reason TEXT, response TEXT,
    messages TEXT);
CREATE INDEX IF NOT EXISTS calls_by_key ON calls (run_id, call_key, status);
CREATE TABLE IF NOT EXISTS node_outputs (
    run_id TEXT, item_id TEXT, node TEXT, value TEXT, PRIMARY KEY (run_id, item_id, node));
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT, item_id TEXT, status TEXT, error TEXT, outputs TEXT, gold TEXT, correct INTEGER,
    PRIMARY KEY (run_id, item_id));
CREATE TABLE IF NOT EXISTS reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, call_key TEXT, usd REAL);
"""
ADDED_COLUMNS = {
    "runs": {"owner_host": "TEXT", "owner_pid": "INTEGER", "owner_started": "TEXT"},
    "calls": {"messages": "TEXT"},
    "items": {"gold": "TEXT", "correct": "INTEGER"},
}
"""Columns newer than the first release: added to stores written before them."""

_RUN_FIGURES = """
    (SELECT SUM(correct) FROM items i WHERE i.run_id = r.run_id) AS correct,
    (SELECT COUNT(correct) FROM items i WHERE i.run_id = r.run_id) AS scored,
    (SELECT COUNT(*) FROM items i WHERE i.run_id = r.run_id AND i.status = 'ok') AS items_ok,
    (SELECT COALESCE(SUM(cost_usd), 0) FROM calls c WHERE c.run_id = r.run_id) AS usd,
    (SELECT COUNT(*) FROM calls c WHERE c.run_id = r.run_id AND c.status = 'ok'
                                        AND c.cost_usd IS NULL) AS unpriced_calls"""
"""Per-run figures `pipe runs` shows: accuracy counts, items finished, dollars."""

CALL_COLUMNS = CallRow.columns()
_INSERT_CALL = (f"INSERT INTO calls ({','.join(CALL_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(CALL_COLUMNS))})")


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(2)


class RunStore(SqliteFile):
    FILENAME = "runs.sqlite"
    SCHEMA = SCHEMA
    _migrated = False

    @property
    def db(self) -> sqlite3.Connection:
        db = super().db
        if not self._migrated:
            _add_missing_columns(db)
            self._migrated = True
        return db

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self.db:  # one short transaction per write
            self.db.execute(sql, args)

    # -- runs ----------------------------------------------------------------------------------
    def create_run(self, *, recipe_path: str, recipe_name: str, params: dict, overrides: dict,
                   endpoint: str, model: str, items_total: int, max_cost: float | None) -> str:
        run_id = new_run_id()
        self._write("INSERT INTO runs (run_id, recipe_path, recipe_name, params, overrides, "
                    "endpoint, model, status, items_total, created_at, max_cost, owner_host, "
                    "owner_pid, owner_started) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run_id, recipe_path, recipe_name, json.dumps(params), json.dumps(overrides),
                     endpoint, model, RunStatus.RUNNING, items_total, time.time(), max_cost,
                     *this_owner()))
        return run_id

    def run(self, run_id: str) -> dict[str, Any] | None:
        if not self.exists():
            return None
        row = self.db.execute(f"SELECT r.*, {_RUN_FIGURES} FROM runs r WHERE run_id=?",
                              (run_id,)).fetchone()
        return _run_row(row) if row else None

    def runs(self, *, recipe: str | None = None, status: str | None = None,
             limit: int | None = None) -> list[dict[str, Any]]:
        """Newest first; `recipe` matches the recipe's name, `status` the shown status (a run
        whose process died shows `interrupted`); at most `limit` rows."""
        if not self.exists():
            return []
        sql, args = f"SELECT r.*, {_RUN_FIGURES} FROM runs r", []
        if recipe is not None:
            sql, args = sql + " WHERE r.recipe_name = ?", [recipe]
        rows = (_run_row(r) for r in self.db.execute(sql + " ORDER BY created_at DESC", args))
        found = [r for r in rows if status is None or r["status"] == status]
        return found if limit is None else found[:limit]

    def finish_run(self, run_id: str, status: RunStatus, exit_code: int) -> None:
        self._write("UPDATE runs SET status=?, exit_code=?, finished_at=? WHERE run_id=?",
                    (status, exit_code, time.time(), run_id))

    def mark_running(self, run_id: str) -> None:
        """A resumed run: running again, owned by this process."""
        self._write("UPDATE runs SET status='running', finished_at=NULL, owner_host=?, "
                    "owner_pid=?, owner_started=? WHERE run_id=?", (*this_owner(), run_id))

    # -- calls ---------------------------------------------------------------------------------
    def record_call(self, row: CallRow) -> None:
        self._write(_INSERT_CALL, tuple(getattr(row, c) for c in CALL_COLUMNS))

    def completed_call(self, run_id: str, call_key: str) -> CallRow | None:
        """The successful call recorded under `call_key` in this run, if any (for resume)."""
        row = self.db.execute(
            "SELECT * FROM calls WHERE run_id=? AND call_key=? AND status='ok' LIMIT 1",
            (run_id, call_key)).fetchone()
        return CallRow.from_mapping(row) if row else None

    def spent(self, run_id: str) -> float:
        """USD the run may have cost so far, over all its attempts: its recorded calls (unknown
        prices count 0) plus the worst case of every call a killed attempt sent and never
        recorded (the endpoint may have billed it). `--max-cost` on resume starts from this."""
        if not self.exists():
            return 0.0
        row = self.db.execute(
            "SELECT (SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE run_id=?) + "
            "(SELECT COALESCE(SUM(usd), 0) FROM reservations WHERE run_id=?)",
            (run_id, run_id)).fetchone()
        return float(row[0])

    def open_reservation(self, run_id: str, call_key: str, usd: float) -> int:
        """Durably note a call about to be sent with its worst case; returns its id."""
        with self.db:
            cur = self.db.execute("INSERT INTO reservations (run_id, call_key, usd) "
                                  "VALUES (?,?,?)", (run_id, call_key, usd))
        return int(cur.lastrowid)

    def close_reservation(self, reservation_id: int) -> None:
        """The call's outcome is recorded: its reservation no longer counts."""
        self._write("DELETE FROM reservations WHERE id=?", (reservation_id,))

    def calls(self, run_id: str) -> list[CallRow]:
        """Every call of a run, in the order they were recorded."""
        if not self.exists():
            return []
        rows = self.db.execute("SELECT * FROM calls WHERE run_id=? ORDER BY id", (run_id,))
        return [CallRow.from_mapping(r) for r in rows]

    # -- node outputs and items ----------------------------------------------------------------
    def save_output(self, run_id: str, item_id: str, node: str, value: Any) -> None:
        self._write("INSERT OR REPLACE INTO node_outputs VALUES (?,?,?,?)",
                    (run_id, item_id, node, json.dumps(value)))

    def outputs(self, run_id: str, *, item_id: str | None = None, node: str | None = None
                ) -> dict[str, dict[str, Any]]:
        """item id -> node id -> output value; only one item's, or one node's, when given
        (a resumed item reads its own; scoring reads only the final vote's)."""
        found: dict[str, dict[str, Any]] = {}
        sql, args = "SELECT item_id, node, value FROM node_outputs WHERE run_id=?", [run_id]
        if item_id is not None:
            sql, args = sql + " AND item_id=?", [*args, item_id]
        if node is not None:
            sql, args = sql + " AND node=?", [*args, node]
        for r in self.db.execute(sql, args):
            found.setdefault(r["item_id"], {})[r["node"]] = json.loads(r["value"])
        return found

    def finish_item(self, run_id: str, item_id: str, status: ItemStatus, error: str | None,
                    outputs: dict[str, Any] | None) -> None:
        self._write("INSERT OR REPLACE INTO items (run_id, item_id, status, error, outputs) "
                    "VALUES (?,?,?,?,?)", (run_id, item_id, status, error, json.dumps(outputs)))

    def save_scores(self, run_id: str, scores: dict[str, tuple[str, bool]]) -> None:
        """Gold answer and correctness per item id (items without gold keep NULL)."""
        with self.db:
            self.db.executemany("UPDATE items SET gold=?, correct=? WHERE run_id=? AND item_id=?",
                                [(g, int(c), run_id, i) for i, (g, c) in scores.items()])

    def items(self, run_id: str) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        rows = self.db.execute("SELECT * FROM items WHERE run_id=? ORDER BY rowid", (run_id,))
        return [{**dict(r), "outputs": json.loads(r["outputs"] or "null")} for r in rows]


def _run_row(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["params"] = json.loads(d["params"] or "{}")
    d["overrides"] = json.loads(d["overrides"] or "{}")
    if d["status"] == RunStatus.RUNNING and owner_gone(d.get("owner_host"), d.get("owner_pid"),
                                                       d.get("owner_started")):
        d["status"] = RunStatus.INTERRUPTED.value
    return d


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        have = {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                try:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise
