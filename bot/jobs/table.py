"""The job table: the bot's SQLite record of every job (docs/architecture.md,
"The job table").

huey forgets a message the moment a worker takes it, so a worker killed
mid-job would lose the job without this table; it is the source of truth.
Each job goes::

    held ──►
    queued ──► running ──► done | failed | cancelled ──► delivered
      ▲           │
      └───────────┘  stale heartbeat / missing from the queue: re-enqueued,
                     same job id, up to 3 attempts; then failed (worker_lost)

``held``: a photo over its person's free paintings, kept with no painting to
spend (``bot.fair_use``); it is queued as if new once one is paid for or the
next day's free ones come, or cancelled like a queued job.  Only the per-user
limit counts it: it is in no queue and the watchdog leaves it alone.

Every statement on the table is a method named for what it does: here those
of the service (submit, cancel, queries, /forget) and of delivery; in
``bot.jobs.upkeep`` those of the watcher's pass (progress and results in,
lost jobs re-queued, old rows out).  The file is opened through
``bot.stores.db`` (WAL, transactions, numbered migrations).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.jobs.errors import NotYourJob, QueueFull, UnknownJob, UserLimitReached
from bot.jobs.meta import JobMeta
from bot.stores.db import Database, Step
from engine.queue import JobResult, JobSpec, ProgressRecord


class JobState(StrEnum):
    HELD = "held"
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
WAITING = (JobState.HELD, *ACTIVE)  # a person's pictures not ended: what their limit counts
FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

MIGRATIONS: tuple[Step, ...] = (
    """create table if not exists jobs (
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
    )""",
    "create index if not exists jobs_state on jobs (state)",
    "create index if not exists jobs_user_state on jobs (user_id, state)",
)

NO_META = "{}"  # the meta column of a job submitted without the bot's context
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
    meta: JobMeta | None  # None: submitted without the bot's context (tests, benchmarks)
    state: JobState
    outcome: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    cancel_requested: bool
    progress: ProgressRecord | None  # the last progress record the watcher saw
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
                   read_meta(meta), JobState(state), outcome, error_code,
                   error_message, attempts, bool(cancel_requested),
                   json.loads(progress) if progress else None, worker, created_at, queued_at,
                   started_at, finished_at, delivered_at)


def read_meta(text: str | None) -> JobMeta | None:
    """The ``meta`` column: ``NO_META`` for a job submitted without one."""
    return JobMeta.from_json(text) if text and text != NO_META else None


def outcome_of(job_id: str, attempts: int, state: str, result: bytes | None,
               error_code: str | None, error_message: str | None) -> JobResult:
    """A finished job's outcome: the worker's result as stored, or the failure or
    cancellation the bot itself decided (no worker result then)."""
    if result is not None:
        return JobResult.decode(result)
    return JobResult(job_id, attempts, state, error_code=error_code,
                     error_message=error_message)


@dataclass(frozen=True)
class NewJob:
    """A job's row as ``JobService.submit`` writes it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int | None
    status_message_id: int | None
    meta: JobMeta | None
    spec: bytes  # the encoded JobSpec, kept for retries until the job ends


class JobTable:
    """The SQLite file (``jobs.db``, ``bot.stores.db``), shared by the service, the
    watchdog and the watcher's pass; every statement on it is here or, for the
    watcher's pass, in ``bot.jobs.upkeep``.  Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path, "jobs", MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    # -- reading -------------------------------------------------------------------
    def _jobs(self, where: str, params: Sequence[Any] = ()) -> list[Job]:
        """``select <JOB_COLUMNS> from jobs where <where>`` as Job values."""
        return [Job.from_row(r) for r in self.db.rows(f"select {JOB_COLUMNS} from jobs where "
                                                      f"{where}", params)]

    def job(self, job_id: str) -> Job | None:
        found = self._jobs("id = ?", (job_id,))
        return found[0] if found else None

    def user_jobs(self, user_id: int, states: Sequence[JobState], limit: int) -> list[Job]:
        """The user's jobs in ``states``, newest first."""
        return self._jobs(f"user_id = ? and state in ({marks(states)}) "
                          "order by rowid desc limit ?", (user_id, limit))

    def chat_jobs(self, chat_id: int) -> list[Job]:
        """Jobs of one chat not ended (held, queued, running)."""
        return self._jobs(f"chat_id = ? and state in ({marks(WAITING)})", (chat_id,))

    def active_jobs_of_person(self, user_id: int) -> list[Job]:
        """Jobs not ended the user asked for, or in their private chat (its id is theirs)."""
        return self._jobs(f"(user_id = ? or chat_id = ?) and state in ({marks(WAITING)})",
                          (user_id, user_id))

    def held(self, user_id: int | None = None) -> list[Job]:
        """Held jobs, oldest first: one person's, or everyone's."""
        if user_id is None:
            return self._jobs("state = ? order by rowid", (JobState.HELD,))
        return self._jobs("state = ? and user_id = ? order by rowid", (JobState.HELD, user_id))

    def ids_of_person(self, user_id: int) -> list[str]:
        """Every job the user asked for, or in their private chat."""
        return [r[0] for r in self.db.rows("select id from jobs where user_id = ? or "
                                           "chat_id = ?", (user_id, user_id))]

    def outcome(self, job_id: str) -> JobResult | None:
        """The stored outcome of a finished, undelivered job (None otherwise)."""
        row = self.db.row(f"select attempts, state, result, error_code, error_message from "
                          f"jobs where id = ? and state in ({marks(FINISHED)})", (job_id,))
        return outcome_of(job_id, *row) if row else None

    def spec(self, job_id: str) -> JobSpec | None:
        """A queued or running job's spec (kept for retries until the job ends)."""
        row = self.db.row("select spec from jobs where id = ? and spec is not null", (job_id,))
        return JobSpec.decode(row[0]) if row else None

    def finish_queued(self, job_id: str, result: JobResult) -> bool:
        """A queued job ended by the bot itself (an instant painting, ``bot.instant``):
        ``result`` stored as a worker's would be - if it is still queued; whether it was."""
        now = time.time()
        return self.db.run(
            "update jobs set state = ?, outcome = ?, result = ?, error_code = ?, "
            "error_message = ?, started_at = ?, finished_at = ?, spec = null "
            "where id = ? and state = ?",
            (result.status, result.status, result.encode(), result.error_code,
             result.error_message, now, now, job_id, JobState.QUEUED)) == 1

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        found = dict(self.db.rows("select state, count(*) from jobs group by state"))
        return {state.value: found.get(state.value, 0) for state in JobState}

    def oldest_queued_at(self) -> float | None:
        row = self.db.row("select min(created_at) from jobs where state = ?",
                          (JobState.QUEUED,))
        return row[0] if row else None

    def finished_since(self, when: float) -> list[tuple[str, float | None, float]]:
        """(outcome, started_at, finished_at) of every job finished since ``when``."""
        return self.db.rows("select outcome, started_at, finished_at from jobs "
                            "where finished_at >= ?", (when,))

    def ahead(self, job_id: str) -> int | None:
        """Queued jobs ahead of this one (None unless it is queued)."""
        with self.db.tx() as db:
            return self._ahead(db, job_id)

    @staticmethod
    def _ahead(db: sqlite3.Connection, job_id: str) -> int | None:
        row = db.execute("select queued_at, rowid, priority, state from jobs where id = ?",
                         (job_id,)).fetchone()
        if row is None or row[3] != JobState.QUEUED:
            return None
        # In the order they were queued (a released held job joins at the back).
        queued_at, rowid, priority, _ = row
        return int(db.execute(
            "select count(*) from jobs where state = ? and (priority > ? or (priority = ? "
            "and (queued_at < ? or (queued_at = ? and rowid < ?))))",
            (JobState.QUEUED, priority, priority, queued_at, queued_at, rowid)).fetchone()[0])

    # -- writing -------------------------------------------------------------------
    def recover(self, now: float) -> tuple[int, int, int]:
        """After a (re)start: running jobs get a fresh heartbeat, queued ones are
        checked against the queue again; how many running, queued and undelivered."""
        with self.db.tx() as db:
            running = db.execute("update jobs set heartbeat_at = ? where state = ?",
                                 (now, JobState.RUNNING)).rowcount
            queued = db.execute("update jobs set missing_since = null where state = ?",
                                (JobState.QUEUED,)).rowcount
            finished = db.execute(f"select count(*) from jobs where state in "
                                  f"({marks(FINISHED)})").fetchone()[0]
        return running, queued, finished

    def add(self, job: NewJob, now: float, *, user_limit: int, queue_cap: int,
            held: bool = False) -> tuple[int, bool]:
        """Queue ``job`` (or hold it: ``held``) - the per-user limit and the global cap
        checked in the same transaction (UserLimitReached, QueueFull; a held job is in
        no queue) - unless a job of that id exists; (queued jobs ahead of it, whether
        it existed)."""
        with self.db.tx() as db:
            if db.execute("select 1 from jobs where id = ?", (job.id,)).fetchone():
                return self._ahead(db, job.id) or 0, True
            self._check_user_limit(db, job.user_id, user_limit)
            total = db.execute(f"select count(*) from jobs where state in ({marks(ACTIVE)})"
                               ).fetchone()[0]
            if total >= queue_cap and not held:
                raise QueueFull(queue_cap)
            db.execute(
                "insert into jobs (id, user_id, chat_id, message_id, status_message_id, meta, "
                "spec, state, attempts, created_at, queued_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (job.id, job.user_id, job.chat_id, job.message_id, job.status_message_id,
                 job.meta.to_json() if job.meta else NO_META, job.spec,
                 JobState.HELD if held else JobState.QUEUED, now, now))
            return self._ahead(db, job.id) or 0, False

    def release(self, job_id: str, now: float, queue_cap: int) -> int | None:
        """A held job is queued, as if it had just been sent (its queue timeout starts
        now; QueueFull at the cap, as for a new one); queued jobs ahead of it, or None
        when it was not held."""
        with self.db.tx() as db:
            total = db.execute(f"select count(*) from jobs where state in ({marks(ACTIVE)})"
                               ).fetchone()[0]
            if total >= queue_cap:
                raise QueueFull(queue_cap)
            if db.execute("update jobs set state = ?, created_at = ?, queued_at = ? "
                          "where id = ? and state = ?",
                          (JobState.QUEUED, now, now, job_id, JobState.HELD)).rowcount != 1:
                return None
            return self._ahead(db, job_id) or 0

    def check_user_limit(self, user_id: int, limit: int) -> None:
        """Raise UserLimitReached if the user has ``limit`` jobs waiting or running."""
        with self.db.tx() as db:
            self._check_user_limit(db, user_id, limit)

    @staticmethod
    def _check_user_limit(db: sqlite3.Connection, user_id: int, limit: int) -> None:
        mine = db.execute(f"select count(*) from jobs where user_id = ? and state in "
                          f"({marks(WAITING)})", (user_id,)).fetchone()[0]
        if mine >= limit:
            raise UserLimitReached(limit)

    def update_meta(self, job_id: str, change: Callable[[JobMeta], JobMeta]) -> None:
        """The job's meta becomes ``change(meta)``, read and written in one transaction."""
        with self.db.tx() as db:
            row = db.execute("select meta from jobs where id = ?", (job_id,)).fetchone()
            meta = read_meta(row[0]) if row is not None else None
            if meta is None:
                raise UnknownJob(f"no job {job_id} with a meta")
            db.execute("update jobs set meta = ? where id = ?", (change(meta).to_json(), job_id))

    def cancel(self, job_id: str, user_id: int | None, now: float) -> tuple[JobState, int]:
        """A held or queued job is cancelled, a running one asked to stop (UnknownJob,
        NotYourJob when ``user_id`` is not its owner's); its state before, and attempts."""
        with self.db.tx() as db:
            row = db.execute("select user_id, state, attempts from jobs where id = ?",
                             (job_id,)).fetchone()
            if row is None:
                raise UnknownJob(f"no job {job_id}")
            owner, state, attempts = row
            if user_id is not None and owner != user_id:
                raise NotYourJob("Only the person who asked for this picture can cancel it.")
            if state in (JobState.HELD, JobState.QUEUED):
                db.execute("update jobs set state = ?, outcome = ?, cancel_requested = 1, "
                           "finished_at = ?, spec = null where id = ?",
                           (JobState.CANCELLED, JobState.CANCELLED, now, job_id))
            elif state == JobState.RUNNING:
                db.execute("update jobs set cancel_requested = 1 where id = ?", (job_id,))
        return JobState(state), attempts

    def delete(self, job_ids: Sequence[str]) -> None:
        """/forget: the rows go, with the photos, style images and results in them."""
        self.db.run_many("delete from jobs where id = ?", [(j,) for j in job_ids])

    def mark_delivered(self, job_id: str) -> bool:
        """Delivery succeeded: the job is ``delivered`` (its result blob dropped)."""
        return self.db.run(f"update jobs set state = ?, delivered_at = ?, result = null "
                           f"where id = ? and state in ({marks(FINISHED)})",
                           (JobState.DELIVERED, time.time(), job_id)) == 1

    def delivery_failed(self, job_id: str) -> None:
        """Delivery raised: retry later, backing off up to a minute."""
        with self.db.tx() as db:
            row = db.execute("select delivery_failures from jobs where id = ?",
                             (job_id,)).fetchone()
            failures = (row[0] if row else 0) + 1
            db.execute("update jobs set delivery_failures = ?, next_delivery_at = ? "
                       "where id = ?", (failures, time.time() + min(60.0, 2.0 ** failures),
                                        job_id))
