"""The batch job store: one SQLite file (WAL) with every job and every request's state.

A request's result (response or error, usage and price) is committed in one transaction, and
only while the request is still pending: a job killed at any moment resumes by sending the
requests still pending, so each custom_id gets exactly one result and one bill. Readers in
other processes (`pipe batch status`) see every committed result at once.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import time
from contextlib import contextmanager
from typing import Any, Collection, Iterator

from pipelines.batch.requests import BatchRequest, Rejected
from pipelines.storage.sqlite import SqliteFile, paged

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, created_at TEXT, source TEXT, endpoint TEXT, endpoint_spec TEXT,
    api TEXT, pricing TEXT, max_cost REAL, state TEXT, plan TEXT, remote TEXT,
    owner_pid INTEGER, owner_host TEXT, heartbeat REAL, measured_tok_s REAL, note TEXT,
    finished_at TEXT, total INTEGER);
CREATE TABLE IF NOT EXISTS requests (
    job_id TEXT, seq INTEGER, custom_id TEXT, line INTEGER, url TEXT, body TEXT, model TEXT,
    state TEXT, retryable INTEGER, status_code INTEGER, response TEXT, error_code TEXT,
    error_message TEXT, started_at TEXT, latency_s REAL, attempts INTEGER,
    prompt_tokens INTEGER, cached_tokens INTEGER, cache_write_tokens INTEGER,
    completion_tokens INTEGER, reasoning_tokens INTEGER, tier TEXT, cost_usd REAL,
    standard_usd REAL, price_source TEXT, PRIMARY KEY (job_id, custom_id));
CREATE INDEX IF NOT EXISTS requests_by_state ON requests (job_id, state, seq);
CREATE INDEX IF NOT EXISTS requests_by_seq ON requests (job_id, seq);
CREATE TABLE IF NOT EXISTS rejects (job_id TEXT, line INTEGER, custom_id TEXT, message TEXT);
"""

RESULT_COLUMNS = (
    "state retryable status_code response error_code error_message started_at latency_s "
    "attempts prompt_tokens cached_tokens cache_write_tokens completion_tokens reasoning_tokens "
    "tier cost_usd standard_usd price_source").split()
FINAL_STATES = frozenset({"completed", "cancelled", "failed", "expired"})
LIVE_STATES = frozenset({"submitted", "waiting", "running", "cancelling"})
PAGE = 1000
"""Rows per query when a job's requests are read in order."""
STALE_S = 60.0
"""A job whose owner has not written a heartbeat for this long may be taken over."""


def new_job_id() -> str:
    return "batch_" + time.strftime("%Y%m%d_%H%M%S_", time.gmtime()) + secrets.token_hex(3)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore(SqliteFile):
    FILENAME = "batch.sqlite"
    SCHEMA = SCHEMA

    # -- jobs ------------------------------------------------------------------------------
    def create_job(self, *, created_at: str, source: str, endpoint: str, endpoint_spec: dict,
                   api: str, pricing: str | None, max_cost: float | None, plan: dict,
                   requests: Collection[BatchRequest], rejected: list[Rejected]) -> str:
        """Insert the job and all its requests in one transaction (all or nothing): the
        connection is autocommit, so the transaction is opened and committed explicitly; a
        process killed before COMMIT leaves no trace of the job. `requests` is read once, as
        it is inserted (a file's `FileRequests` streams)."""
        job_id = new_job_id()
        with self._transaction():
            self.db.execute(
                "INSERT INTO jobs (job_id, created_at, source, endpoint, endpoint_spec, api, "
                "pricing, max_cost, state, plan, remote, total) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (job_id, created_at, source, endpoint, json.dumps(endpoint_spec), api, pricing,
                 max_cost, "submitted", json.dumps(plan), "{}", len(requests)))
            self.db.executemany(
                "INSERT INTO requests (job_id, seq, custom_id, line, url, body, model, state) "
                "VALUES (?,?,?,?,?,?,?,'pending')",
                ((job_id, seq, r.custom_id, r.line, r.url, json.dumps(r.body), r.model)
                 for seq, r in enumerate(requests)))
            self.db.executemany("INSERT INTO rejects VALUES (?,?,?,?)",
                                [(job_id, r.line, r.custom_id, r.message) for r in rejected])
        return job_id

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error): several writes as one."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def job(self, job_id: str) -> dict[str, Any] | None:
        if not self.exists():
            return None
        row = self.db.execute("SELECT * FROM jobs WHERE job_id=?", (job_id,)).fetchone()
        return _job_row(row) if row else None

    def jobs(self) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        return [_job_row(r) for r in self.db.execute("SELECT * FROM jobs ORDER BY created_at DESC")]

    def update_job(self, job_id: str, **fields: Any) -> None:
        for key in ("plan", "remote"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.db:
            self.db.execute(f"UPDATE jobs SET {sets} WHERE job_id=?", (*fields.values(), job_id))

    def set_state(self, job_id: str, state: str, note: str | None = None) -> None:
        finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if state in FINAL_STATES \
            else None
        self.update_job(job_id, state=state, note=note, finished_at=finished)

    def set_live_state(self, job_id: str, state: str, note: str | None = None) -> None:
        """Set a running job's state, unless a cancel was asked for meanwhile."""
        with self.db:
            self.db.execute("UPDATE jobs SET state=?, note=? WHERE job_id=? AND state!='cancelling'",
                            (state, note, job_id))

    def request_cancel(self, job_id: str) -> str:
        """Mark the job for cancellation; returns the state it had (read and write at once)."""
        with self._transaction():
            row = self.db.execute("SELECT state FROM jobs WHERE job_id=?", (job_id,)).fetchone()
            if row["state"] not in FINAL_STATES:
                self.db.execute("UPDATE jobs SET state='cancelling' WHERE job_id=?", (job_id,))
        return row["state"]

    # -- ownership: one process runs a job at a time ---------------------------------------
    def owner_alive(self, job: dict[str, Any]) -> bool:
        pid, host, beat = job.get("owner_pid"), job.get("owner_host"), job.get("heartbeat")
        if pid is None or beat is None:
            return False
        fresh = time.time() - beat < STALE_S
        if host == socket.gethostname():
            return fresh and _pid_alive(pid)
        return fresh

    def claim(self, job_id: str) -> bool:
        """Become the job's runner unless another live process is; atomic across processes."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = self.db.execute("SELECT * FROM jobs WHERE job_id=?", (job_id,)).fetchone()
            if row is None or self.owner_alive(dict(row)):
                self.db.execute("ROLLBACK")
                return False
            self.db.execute("UPDATE jobs SET owner_pid=?, owner_host=?, heartbeat=? WHERE job_id=?",
                            (os.getpid(), socket.gethostname(), time.time(), job_id))
            self.db.execute("COMMIT")
            return True
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def heartbeat(self, job_id: str, measured_tok_s: float | None = None) -> None:
        self.update_job(job_id, heartbeat=time.time(), measured_tok_s=measured_tok_s)

    def release(self, job_id: str) -> None:
        self.update_job(job_id, owner_pid=None, owner_host=None, heartbeat=None)

    # -- requests ----------------------------------------------------------------------------
    def pending(self, job_id: str) -> Iterator[BatchRequest]:
        """Pending requests in input order (read in pages of PAGE, so huge jobs stream)."""
        return (request for _, request in self._pending(job_id, after=-1, limit=-1))

    def pending_page(self, job_id: str, after: int, limit: int) -> list[tuple[int, BatchRequest]]:
        """Up to `limit` pending requests after input position `after`, in order, each with
        its position: one keyset query, which costs the same however far into the job."""
        return list(self._pending(job_id, after=after, limit=limit))

    def _pending(self, job_id: str, *, after: int, limit: int
                 ) -> Iterator[tuple[int, BatchRequest]]:
        for r in paged(self.db, "custom_id, line, url, body", "requests",
                       "job_id=? AND state='pending'", (job_id,), key="seq", page=PAGE,
                       after=after, limit=limit):
            yield r["page_key"], BatchRequest(r["custom_id"], r["line"], r["url"],
                                              json.loads(r["body"]))

    def record(self, job_id: str, custom_id: str, result: dict[str, Any]) -> bool:
        """Commit one request's result if it is still pending; False if it already had one."""
        cols = [c for c in RESULT_COLUMNS if c in result]
        values = [json.dumps(result[c]) if c == "response" else result[c] for c in cols]
        with self.db:
            cur = self.db.execute(
                f"UPDATE requests SET {', '.join(f'{c}=?' for c in cols)} "
                "WHERE job_id=? AND custom_id=? AND state='pending'", (*values, job_id, custom_id))
        return cur.rowcount == 1

    def retry_failed(self, job_id: str) -> int:
        """Put requests that failed for a transient reason back to pending (on resume)."""
        with self.db:
            cur = self.db.execute("UPDATE requests SET state='pending', retryable=NULL, "
                                  "error_code=NULL, error_message=NULL, status_code=NULL "
                                  "WHERE job_id=? AND state='failed' AND retryable=1", (job_id,))
        return cur.rowcount

    def counts(self, job_id: str) -> dict[str, int]:
        found = {"pending": 0, "done": 0, "failed": 0}
        for r in self.db.execute("SELECT state, COUNT(*) n FROM requests WHERE job_id=? "
                                 "GROUP BY state", (job_id,)):
            found[r["state"]] = r["n"]
        found["rejected"] = self.db.execute("SELECT COUNT(*) FROM rejects WHERE job_id=?",
                                            (job_id,)).fetchone()[0]
        return found

    def rows(self, job_id: str) -> list[dict[str, Any]]:
        """Every request row, in input order, with the response decoded."""
        return list(self.iter_rows(job_id))

    def iter_rows(self, job_id: str) -> Iterator[dict[str, Any]]:
        """`rows`, read in pages of PAGE (a million-request job's results stream)."""
        last = -1
        while True:
            page = self.db.execute("SELECT * FROM requests WHERE job_id=? AND seq>? ORDER BY seq "
                                   "LIMIT ?", (job_id, last, PAGE)).fetchall()
            for r in page:
                d = dict(r)
                d["response"] = json.loads(d["response"]) if d["response"] else None
                yield d
            if len(page) < PAGE:
                return
            last = page[-1]["seq"]

    def rejects(self, job_id: str) -> list[Rejected]:
        return [Rejected(r["line"], r["custom_id"], r["message"]) for r in self.db.execute(
            "SELECT * FROM rejects WHERE job_id=? ORDER BY line", (job_id,))]

    def tier_totals(self, job_id: str) -> list[dict[str, Any]]:
        """Per tier: completed requests, tokens, bill, bill at standard prices, unpriced count."""
        return [dict(r) for r in self.db.execute(
            "SELECT COALESCE(tier, 'unknown') AS tier, COUNT(*) AS requests, "
            "COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, "
            "COALESCE(SUM(completion_tokens), 0) AS completion_tokens, "
            "COALESCE(SUM(cost_usd), 0.0) AS cost_usd, "
            "COALESCE(SUM(standard_usd), 0.0) AS standard_usd, "
            "SUM(cost_usd IS NULL) AS unknown_cost FROM requests "
            "WHERE job_id=? AND state='done' GROUP BY 1 ORDER BY 1", (job_id,))]

    def spent(self, job_id: str) -> float:
        row = self.db.execute("SELECT SUM(cost_usd) FROM requests WHERE job_id=?", (job_id,))
        return row.fetchone()[0] or 0.0


def _job_row(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    for key in ("plan", "remote", "endpoint_spec"):
        d[key] = json.loads(d[key]) if d[key] else {}
    return d
