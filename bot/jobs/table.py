"""The job table: the bot's SQLite record of every job (docs/architecture.md,
"The job table").

huey forgets a message the moment a worker takes it, so a worker killed
mid-job would lose the job without this table; it is the source of truth.
Each job goes::

    queued ──► running ──► done | failed | cancelled ──► delivered
      ▲           │
      └───────────┘  stale heartbeat / missing from the queue: re-enqueued,
                     same job id, up to 3 attempts; then failed (worker_lost)
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from engine.queue import JobResult


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"


class Cancelling(StrEnum):
    """What ``JobService.cancel`` did."""

    CANCELLED = "cancelled"  # it was queued: gone now
    STOPPING = "cancelling"  # it runs: the worker stops within one step
    TOO_LATE = "finished"  # it had ended


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

SCHEMA = """
create table if not exists jobs (
    id text primary key,
    user_id integer not null,
    chat_id integer not null,
    message_id integer,
    status_message_id integer,
    meta text not null default '{}',
    spec blob,
    state text not null,
    outcome text,
    error_code text,
    error_message text,
    attempts integer not null default 1,
    priority integer not null default 0,
    cancel_requested integer not null default 0,
    progress text,
    preview_seq integer not null default 0,
    worker text,
    result blob,
    delivery_failures integer not null default 0,
    next_delivery_at real not null default 0,
    created_at real not null,
    queued_at real,
    started_at real,
    finished_at real,
    delivered_at real,
    heartbeat_at real,
    missing_since real,
    cleaned integer not null default 0
);
create index if not exists jobs_state on jobs (state);
create index if not exists jobs_user_state on jobs (user_id, state);
"""

JOB_COLUMNS = ("id, user_id, chat_id, message_id, status_message_id, meta, state, outcome, "
               "error_code, error_message, attempts, cancel_requested, progress, worker, "
               "created_at, queued_at, started_at, finished_at, delivered_at")


def marks(states: Sequence[JobState]) -> str:
    """``'queued', 'running'`` for an SQL ``in (...)``: states are our own constants."""
    return ", ".join(f"'{s.value}'" for s in states)


@dataclass(frozen=True)
class Job:
    """A row of the job table, without its blobs."""

    id: str
    user_id: int
    chat_id: int
    message_id: int | None
    status_message_id: int | None
    meta: dict[str, Any]
    state: JobState
    outcome: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    cancel_requested: bool
    progress: dict[str, Any] | None
    worker: str | None
    created_at: float
    queued_at: float | None
    started_at: float | None
    finished_at: float | None
    delivered_at: float | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Job:
        """A row selected with ``JOB_COLUMNS``."""
        (id_, user_id, chat_id, message_id, status_message_id, meta, state, outcome,
         error_code, error_message, attempts, cancel_requested, progress, worker, created_at,
         queued_at, started_at, finished_at, delivered_at) = row
        return cls(id_, user_id, chat_id, message_id, status_message_id,
                   json.loads(meta or "{}"), JobState(state), outcome, error_code,
                   error_message, attempts, bool(cancel_requested),
                   json.loads(progress) if progress else None, worker, created_at, queued_at,
                   started_at, finished_at, delivered_at)


def outcome_of(job_id: str, attempts: int, state: str, result: bytes | None,
               error_code: str | None, error_message: str | None) -> JobResult:
    """A finished job's outcome: the worker's result as stored, or the failure or
    cancellation the bot itself decided (no worker result then)."""
    if result is not None:
        return JobResult.decode(result)
    return JobResult(job_id, attempts, state, error_code=error_code,
                     error_message=error_message)


class JobTable:
    """The SQLite file, shared by the service, the watchdog and the watcher's pass.
    Thread-safe: one connection behind a lock, short transactions."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.executescript(SCHEMA)

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT) under the lock."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            else:
                self._db.execute("commit")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def jobs(self, where: str, params: Sequence[Any] = ()) -> list[Job]:
        """``select <JOB_COLUMNS> from jobs where <where>`` as Job values."""
        return [Job.from_row(r) for r in self.rows(f"select {JOB_COLUMNS} from jobs where "
                                                   f"{where}", params)]

    def job(self, job_id: str) -> Job | None:
        found = self.jobs("id = ?", (job_id,))
        return found[0] if found else None

    def finish(self, job_id: str, state: JobState, outcome: JobState, code: str | None,
               message: str | None) -> None:
        """End a job the bot gave up on (cancelled, failed) - if it is still ``state``."""
        with self.tx() as db:
            db.execute("update jobs set state = ?, outcome = ?, error_code = ?, "
                       "error_message = ?, finished_at = ?, spec = null, heartbeat_at = null "
                       "where id = ? and state = ?",
                       (outcome, outcome, code, message, time.time(), job_id, state))

    def mark_delivered(self, job_id: str) -> bool:
        """Delivery succeeded: the job is ``delivered`` (its result blob dropped)."""
        with self.tx() as db:
            cur = db.execute(f"update jobs set state = ?, delivered_at = ?, result = null "
                             f"where id = ? and state in ({marks(FINISHED)})",
                             (JobState.DELIVERED, time.time(), job_id))
            return cur.rowcount == 1

    def delivery_failed(self, job_id: str) -> None:
        """Delivery raised: retry later, backing off up to a minute."""
        with self.tx() as db:
            row = db.execute("select delivery_failures from jobs where id = ?",
                             (job_id,)).fetchone()
            failures = (row[0] if row else 0) + 1
            db.execute("update jobs set delivery_failures = ?, next_delivery_at = ? "
                       "where id = ?", (failures, time.time() + min(60.0, 2.0 ** failures),
                                        job_id))

    def close(self) -> None:
        with self._lock:
            self._db.close()
