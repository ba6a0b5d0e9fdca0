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

from pipelines.storage.sqlite import SqliteFile
from pipelines.types import CallRow, ItemStatus, RunStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, recipe_path TEXT, recipe_name TEXT, params TEXT, overrides TEXT,
    endpoint TEXT, model TEXT, status TEXT, exit_code INTEGER, items_total INTEGER,
    created_at REAL, finished_at REAL, max_cost REAL);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, item_id TEXT, node TEXT, call_key TEXT,
    model TEXT, endpoint TEXT, started_at TEXT, latency_s REAL, attempts INTEGER, status TEXT,
    error TEXT, prompt_tokens INTEGER, cached_tokens INTEGER, cache_write_tokens INTEGER,
    completion_tokens INTEGER, reasoning_tokens INTEGER, cache_hit INTEGER, cost_usd REAL,
    would_cost_usd REAL, price_source TEXT, tier TEXT, finish_reason TEXT, response TEXT);
CREATE INDEX IF NOT EXISTS calls_by_key ON calls (run_id, call_key, status);
CREATE TABLE IF NOT EXISTS node_outputs (
    run_id TEXT, item_id TEXT, node TEXT, value TEXT, PRIMARY KEY (run_id, item_id, node));
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT, item_id TEXT, status TEXT, error TEXT, outputs TEXT,
    PRIMARY KEY (run_id, item_id));
"""

CALL_COLUMNS = CallRow.columns()
_INSERT_CALL = (f"INSERT INTO calls ({','.join(CALL_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(CALL_COLUMNS))})")


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(2)


class RunStore(SqliteFile):
    FILENAME = "runs.sqlite"
    SCHEMA = SCHEMA

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self.db:  # one short transaction per write
            self.db.execute(sql, args)

    # -- runs ----------------------------------------------------------------------------------
    def create_run(self, *, recipe_path: str, recipe_name: str, params: dict, overrides: dict,
                   endpoint: str, model: str, items_total: int, max_cost: float | None) -> str:
        run_id = new_run_id()
        self._write("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run_id, recipe_path, recipe_name, json.dumps(params), json.dumps(overrides),
                     endpoint, model, RunStatus.RUNNING, None, items_total, time.time(), None, max_cost))
        return run_id

    def run(self, run_id: str) -> dict[str, Any] | None:
        if not self.exists():
            return None
        row = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return _run_row(row) if row else None

    def runs(self) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        return [_run_row(r) for r in self.db.execute("SELECT * FROM runs ORDER BY created_at DESC")]

    def finish_run(self, run_id: str, status: RunStatus, exit_code: int) -> None:
        self._write("UPDATE runs SET status=?, exit_code=?, finished_at=? WHERE run_id=?",
                    (status, exit_code, time.time(), run_id))

    def mark_running(self, run_id: str) -> None:
        self._write("UPDATE runs SET status='running', finished_at=NULL WHERE run_id=?", (run_id,))

    # -- calls ---------------------------------------------------------------------------------
    def record_call(self, row: CallRow) -> None:
        self._write(_INSERT_CALL, tuple(getattr(row, c) for c in CALL_COLUMNS))

    def completed_call(self, run_id: str, call_key: str) -> CallRow | None:
        """The successful call recorded under `call_key` in this run, if any (for resume)."""
        row = self.db.execute(
            "SELECT * FROM calls WHERE run_id=? AND call_key=? AND status='ok' LIMIT 1",
            (run_id, call_key)).fetchone()
        return CallRow.from_mapping(row) if row else None

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

    def outputs(self, run_id: str) -> dict[str, dict[str, Any]]:
        """item id -> node id -> output value."""
        found: dict[str, dict[str, Any]] = {}
        for r in self.db.execute("SELECT item_id, node, value FROM node_outputs WHERE run_id=?",
                                 (run_id,)):
            found.setdefault(r["item_id"], {})[r["node"]] = json.loads(r["value"])
        return found

    def finish_item(self, run_id: str, item_id: str, status: ItemStatus, error: str | None,
                    outputs: dict[str, Any] | None) -> None:
        self._write("INSERT OR REPLACE INTO items VALUES (?,?,?,?,?)",
                    (run_id, item_id, status, error, json.dumps(outputs)))

    def items(self, run_id: str) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        rows = self.db.execute("SELECT * FROM items WHERE run_id=? ORDER BY rowid", (run_id,))
        return [{**dict(r), "outputs": json.loads(r["outputs"] or "null")} for r in rows]


def _run_row(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["params"] = json.loads(d["params"] or "{}")
    d["overrides"] = json.loads(d["overrides"] or "{}")
    return d
