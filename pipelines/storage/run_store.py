"""The run store: one SQLite file (WAL) holding runs, every call, and every node output.

A completed call or node output is committed before anything depends on it, so a run killed at
any moment resumes (`pipe run --resume RUN`) without repeating or re-billing completed calls.

Commits are grouped (one per event-loop turn, not one per row): inside a running event loop a
call's row is written at once but committed with the next node output, which commits at the
end of the loop turn it was saved in, before any task started by that output first runs. So a
call is durable before its node completes, and one commit serves every call and output of a
turn. A row also commits once GROUP_ROWS rows or GROUP_S seconds are waiting (a python node
making many calls), and every other write (runs, reservations) commits at once. Outside an
event loop each write commits on its own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from typing import Any, Iterator

from pipelines.storage.owner import owner_gone, this_owner
from pipelines.storage.sqlite import SqliteFile, paged
from pipelines.types import CallRow, ItemStatus, RunStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, recipe_path TEXT, recipe_name TEXT, params TEXT, overrides TEXT,
    endpoint TEXT, model TEXT, status TEXT, exit_code INTEGER, items_total INTEGER,
    created_at REAL, finished_at REAL, max_cost REAL, owner_host TEXT, owner_pid INTEGER,
    owner_started TEXT, given TEXT);
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
    "runs": {"owner_host": "TEXT", "owner_pid": "INTEGER", "owner_started": "TEXT",
             "given": "TEXT"},
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

GROUP_ROWS = 512
"""Most rows written but not yet committed."""
GROUP_S = 0.5
"""Longest a written row waits for its commit."""

CALL_COLUMNS = CallRow.columns()
_INSERT_CALL = (f"INSERT INTO calls ({','.join(CALL_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(CALL_COLUMNS))})")


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(2)


class RunStore(SqliteFile):
    FILENAME = "runs.sqlite"
    SCHEMA = SCHEMA
    _migrated = False
    _waiting = 0
    """Rows written in the open transaction, not yet committed."""
    _commit_handle: asyncio.Handle | None = None
    _timer: asyncio.TimerHandle | None = None

    @property
    def db(self) -> sqlite3.Connection:
        db = super().db
        if not self._migrated:
            _add_missing_columns(db)
            self._migrated = True
        return db

    def _write(self, sql: str, args: tuple = ()) -> None:
        """Write and commit now (with any grouped rows written before)."""
        self.db.execute(sql, args)
        self.commit()

    def _group(self, sql: str, args: tuple, *, durable_soon: bool) -> None:
        """Write now in the open group; commit at the end of this loop turn if `durable_soon`
        (a node output: what runs next may depend on it), else with the next commit."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop to group in: commit each write
            self._write(sql, args)
            return
        db = self.db
        if not db.in_transaction:
            db.execute("BEGIN")
            self._timer = loop.call_later(GROUP_S, self.commit)  # however quiet the run gets
        db.execute(sql, args)
        self._waiting += 1
        if self._waiting >= GROUP_ROWS:
            self.commit()
        elif durable_soon and self._commit_handle is None:
            self._commit_handle = loop.call_soon(self.commit)

    def commit(self) -> None:
        """Commit every grouped row now."""
        for handle in (self._commit_handle, self._timer):
            if handle is not None:
                handle.cancel()
        self._commit_handle = self._timer = None
        self._waiting = 0
        if self._db is not None and self._db.in_transaction:
            self._db.execute("COMMIT")

    def close(self) -> None:
        self.commit()
        super().close()

    # -- runs ----------------------------------------------------------------------------------
    def create_run(self, *, recipe_path: str, recipe_name: str, params: dict, overrides: dict,
                   endpoint: str, model: str, items_total: int, max_cost: float | None,
                   given: dict[str, Any] | None = None) -> str:
        """A new run, `running`; `given`: what the run was given in place of the recipe's own
        (`dataset`, `endpoint`, `model`, `pricing`), which a resume runs with again."""
        run_id = new_run_id()
        self._write("INSERT INTO runs (run_id, recipe_path, recipe_name, params, overrides, "
                    "endpoint, model, status, items_total, created_at, max_cost, owner_host, "
                    "owner_pid, owner_started, given) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run_id, recipe_path, recipe_name, json.dumps(params), json.dumps(overrides),
                     endpoint, model, RunStatus.RUNNING, items_total, time.time(), max_cost,
                     *this_owner(), json.dumps(given or {}, default=str)))
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
        """Grouped: committed with its node's output at the latest (see the module doc)."""
        self._group(_INSERT_CALL, tuple(getattr(row, c) for c in CALL_COLUMNS), durable_soon=False)

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
        cur = self.db.execute("INSERT INTO reservations (run_id, call_key, usd) "
                              "VALUES (?,?,?)", (run_id, call_key, usd))
        self.commit()
        return int(cur.lastrowid)

    def close_reservation(self, reservation_id: int) -> None:
        """The call's outcome is recorded: its reservation no longer counts."""
        self._write("DELETE FROM reservations WHERE id=?", (reservation_id,))

    def calls(self, run_id: str) -> list[CallRow]:
        """Every call of a run, in the order they were recorded."""
        return [CallRow.from_mapping(r) for r in self.iter_calls(run_id)]

    # -- node outputs and items ----------------------------------------------------------------
    def save_output(self, run_id: str, item_id: str, node: str, value: Any) -> None:
        """Committed, with the calls written before it, before any task started after it runs."""
        self._group("INSERT OR REPLACE INTO node_outputs VALUES (?,?,?,?)",
                    (run_id, item_id, node, json.dumps(value)), durable_soon=True)

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
        self._group("INSERT OR REPLACE INTO items (run_id, item_id, status, error, outputs) "
                    "VALUES (?,?,?,?,?)", (run_id, item_id, status, error, json.dumps(outputs)),
                    durable_soon=False)  # its node outputs are stored: a resume rebuilds it

    def save_scores(self, run_id: str, scores: dict[str, tuple[str, bool]]) -> None:
        """Gold answer and correctness per item id (items without gold keep NULL)."""
        self.commit()
        self.db.execute("BEGIN")
        try:
            self.db.executemany("UPDATE items SET gold=?, correct=? WHERE run_id=? AND item_id=?",
                                ((g, int(c), run_id, i) for i, (g, c) in scores.items()))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def finished_items(self, run_id: str) -> FinishedItems:
        """The ids of the run's items that finished ok, as a lookup (`in`, `len`), not a set."""
        return FinishedItems(self, run_id)

    def reused_calls(self, run_id: str) -> int:
        """Successful calls of items that finished ok or of nodes whose output is stored: what
        a resume keeps without looking them up."""
        return self.db.execute(
            "SELECT COUNT(*) FROM calls c WHERE c.run_id=? AND c.status='ok' AND ("
            "EXISTS (SELECT 1 FROM items i WHERE i.run_id=c.run_id AND i.item_id=c.item_id "
            "AND i.status='ok') OR EXISTS (SELECT 1 FROM node_outputs o WHERE "
            "o.run_id=c.run_id AND o.item_id=c.item_id AND o.node=c.node))",
            (run_id,)).fetchone()[0]

    def item_states(self, run_id: str, item_ids: list[str]) -> list[dict[str, Any]]:
        """`{item_id, status}` of those of `item_ids` that finished (at most SQL_IDS ids)."""
        marks = ",".join("?" * len(item_ids))
        return [dict(r) for r in self.db.execute(
            f"SELECT item_id, status FROM items WHERE run_id=? AND item_id IN ({marks})",
            (run_id, *item_ids))]

    def node_outputs(self, run_id: str, node: str, item_ids: list[str]) -> dict[str, Any]:
        """item id -> `node`'s output, for those of `item_ids` that have one (at most SQL_IDS)."""
        marks = ",".join("?" * len(item_ids))
        return {r["item_id"]: json.loads(r["value"]) for r in self.db.execute(
            f"SELECT item_id, value FROM node_outputs WHERE run_id=? AND node=? "
            f"AND item_id IN ({marks})", (run_id, node, *item_ids))}

    def items(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.iter_items(run_id))

    def iter_items(self, run_id: str, *, offset: int = 0, limit: int = -1
                   ) -> Iterator[dict[str, Any]]:
        """Item rows in the order they finished, read in pages (a million-item run streams)."""
        if not self.exists():
            return
        first = self.db.execute("SELECT rowid FROM items WHERE run_id=? ORDER BY rowid LIMIT 1 "
                                "OFFSET ?", (run_id, offset)).fetchone()
        if first is not None:
            for r in paged(self.db, "*", "items", "run_id=?", (run_id,), page=PAGE,
                           after=first[0] - 1, limit=limit):
                yield _item_row(r)

    def iter_calls(self, run_id: str, *, columns: str = "*") -> Iterator[sqlite3.Row]:
        """A run's call rows (`columns` of table `calls`), in the order they were recorded,
        read in pages."""
        if self.exists():
            yield from paged(self.db, columns, "calls", "run_id=?", (run_id,), key="id",
                             page=PAGE)

    def iter_outputs(self, run_id: str) -> Iterator[tuple[str, str, Any]]:
        """`(item id, node id, output value)` of every stored node output, read in pages."""
        if self.exists():
            for r in paged(self.db, "item_id, node, value", "node_outputs", "run_id=?",
                           (run_id,), page=PAGE):
                yield r["item_id"], r["node"], json.loads(r["value"])

    def item_count(self, run_id: str) -> int:
        if not self.exists():
            return 0
        return self.db.execute("SELECT COUNT(*) FROM items WHERE run_id=?",
                               (run_id,)).fetchone()[0]


class FinishedItems:
    """Item ids of a run that finished ok, answered by the store (`id in finished`); `len` is
    their number when it was made."""

    def __init__(self, store: RunStore, run_id: str):
        self.store, self.run_id = store, run_id
        self.count = store.db.execute("SELECT COUNT(*) FROM items WHERE run_id=? AND "
                                      "status='ok'", (run_id,)).fetchone()[0]

    def __len__(self) -> int:
        return self.count

    def __contains__(self, item_id: object) -> bool:
        return self.store.db.execute("SELECT 1 FROM items WHERE run_id=? AND item_id=? AND "
                                     "status='ok'", (self.run_id, item_id)).fetchone() is not None


SQL_IDS = 500
"""Ids per `IN (...)` query (well under SQLite's bound on parameters)."""
PAGE = 1000
"""Rows per page when a run's items, calls or outputs are read in order."""


def _item_row(row: sqlite3.Row) -> dict[str, Any]:
    d = {k: row[k] for k in row.keys() if k != "page_key"}
    d["outputs"] = json.loads(d["outputs"] or "null")
    return d


def _run_row(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["params"] = json.loads(d["params"] or "{}")
    d["overrides"] = json.loads(d["overrides"] or "{}")
    d["given"] = json.loads(d.get("given") or "{}")  # NULL in runs of older stores
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
