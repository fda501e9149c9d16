"""``JobService``: what the bot asks of the job table and the queue - submit,
cancel, limits and queries (docs/architecture.md, "The life of a job").

Its methods block briefly (SQLite, the queue store): from asyncio, call the
``a*`` coroutines, which run them in a thread.  Once ``submit`` returns, the
job will get exactly one outcome whatever crashes: the watcher
(``bot.jobs.watcher``) delivers it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_HEARTBEAT_TIMEOUT_S, DEFAULT_QUEUE_CAP, DEFAULT_USER_QUEUE_LIMIT
from bot.jobs.errors import NotYourJob, QueueFull, UnknownJob, UserLimitReached
from bot.jobs.guard import StoreGuard
from bot.jobs.table import (
    ACTIVE,
    FINISHED,
    Cancelling,
    Job,
    JobState,
    JobTable,
    marks,
    outcome_of,
)
from bot.jobs.tracking import WATCHDOG_INTERVAL_S, Event, Tracker
from bot.jobs.watchdog import (
    CLEANUP_AFTER_S,
    MAX_ATTEMPTS,
    MISSING_GRACE_S,
    QUEUE_TIMEOUT_S,
    RETENTION_S,
    Watchdog,
)
from bot.jobs.watcher import POLL_INTERVAL_S, ProgressCallback, ResultCallback, Watcher
from engine.errors import EmptyImage, ImageTooLarge
from engine.images import MAX_BYTES
from engine.params import StyleParams
from engine.queue import Heartbeat, JobQueue, JobResult, JobSpec, StyleRef

log = logging.getLogger("lienzo.jobs")

Style = str | bytes | StyleRef | tuple[str | bytes, float]


@dataclass(frozen=True)
class Submitted:
    job_id: str
    ahead: int  # queued jobs before this one
    existed: bool = False  # submitted before (the same update handled again): nothing done


def style_refs(styles: Sequence[Style]) -> tuple[StyleRef, ...]:
    """'starry_night' | ('the_scream', 0.3) | (b'<jpeg>', 1.0) | StyleRef → StyleRef."""
    refs = []
    for s in styles:
        if isinstance(s, StyleRef):
            refs.append(s)
        elif isinstance(s, str):
            refs.append(StyleRef(id=s))
        elif isinstance(s, bytes):
            refs.append(StyleRef(image=s))
        else:
            what, weight = s
            if isinstance(what, str):
                refs.append(StyleRef(weight=float(weight), id=what))
            else:
                refs.append(StyleRef(weight=float(weight), image=bytes(what)))
    return tuple(refs)


class JobService:
    """The job table plus the queue: the bot's one object for jobs.  It owns the
    watchdog and the watcher (``start``/``stop``/``run``); the timing arguments are
    theirs (tests shorten them)."""

    def __init__(self, queue: JobQueue, db_path: Path, *,
                 user_limit: int = DEFAULT_USER_QUEUE_LIMIT,
                 queue_cap: int = DEFAULT_QUEUE_CAP,
                 heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT_S,
                 missing_grace: float = MISSING_GRACE_S, max_attempts: int = MAX_ATTEMPTS,
                 poll_interval: float = POLL_INTERVAL_S,
                 watchdog_interval: float = WATCHDOG_INTERVAL_S,
                 cleanup_after: float = CLEANUP_AFTER_S, retention: float = RETENTION_S,
                 queue_timeout: float = QUEUE_TIMEOUT_S) -> None:
        self.queue = queue
        self.table = JobTable(Path(db_path))
        self.guard = StoreGuard()
        self.user_limit = user_limit
        self.queue_cap = queue_cap
        self.watchdog = Watchdog(self.table, queue, self.guard,
                                 heartbeat_timeout=heartbeat_timeout, missing_grace=missing_grace,
                                 max_attempts=max_attempts, cleanup_after=cleanup_after,
                                 retention=retention, queue_timeout=queue_timeout)
        self.tracker = Tracker(self.table, queue, self.guard, self.watchdog,
                               watchdog_interval=watchdog_interval)
        self.watcher = Watcher(self.table, self.tracker, poll_interval)
        self._recover()

    def start(self, on_progress: ProgressCallback | None, on_result: ResultCallback
              ) -> asyncio.Task[None]:
        """Start delivering progress and results (the watcher, on the running loop)."""
        return self.watcher.start(on_progress, on_result)

    async def stop(self) -> None:
        await self.watcher.stop()

    async def run(self, on_progress: ProgressCallback | None, on_result: ResultCallback,
                  stop: asyncio.Event | None = None) -> None:
        """The watcher in the foreground until ``stop`` is set (tools and tests)."""
        await self.watcher.run(on_progress, on_result, stop)

    def poll(self, skip: Iterable[str] = ()) -> list[Event]:
        """One pass of the watcher, blocking (tests and tools)."""
        return self.tracker.poll(skip)

    def close(self) -> None:
        self.table.close()
        self.queue.close()

    def oldest_queued_age(self) -> float:
        """Seconds the oldest queued job has waited (0 with none queued)."""
        rows = self.table.rows("select min(created_at) from jobs where state = ?",
                               (JobState.QUEUED,))
        oldest = rows[0][0] if rows else None
        return max(0.0, time.time() - oldest) if oldest else 0.0

    def queue_health(self) -> tuple[bool, int]:
        """Whether the queue store answers, and how many messages wait in it."""
        ok, waiting = self.guard.call("health check", self.queue.pending_count)
        return ok, waiting or 0

    def _recover(self) -> None:
        """After a (re)start: give running jobs a full heartbeat timeout, re-check queued ones."""
        with self.table.tx() as db:
            running = db.execute("update jobs set heartbeat_at = ? where state = ?",
                                 (time.time(), JobState.RUNNING)).rowcount
            queued = db.execute("update jobs set missing_since = null where state = ?",
                                (JobState.QUEUED,)).rowcount
            finished = db.execute(f"select count(*) from jobs where state in "
                                  f"({marks(FINISHED)})").fetchone()[0]
        if running or queued or finished:
            log.info("picked up %d running, %d queued and %d undelivered jobs", running, queued,
                     finished)

    # -- submitting -----------------------------------------------------------------
    def submit(self, *, user_id: int, chat_id: int, content: bytes, styles: Sequence[Style],
               params: dict[str, Any] | None = None, message_id: int | None = None,
               status_message_id: int | None = None, meta: dict[str, Any] | None = None,
               job_id: str | None = None, clip: str | None = None) -> Submitted:
        """Accept a job or raise: UserLimitReached, QueueFull, InvalidParams, image errors,
        BadPayload (more than ``MAX_STYLES`` styles: the request parser stops that first).

        ``params``: StyleParams fields; size and quality may be left out (the worker
        picks its machine's defaults).  A ``job_id`` that exists already is not
        submitted again (``Submitted.existed``): submitting is idempotent.
        """
        if not content:
            raise EmptyImage("The image is empty (0 bytes).")
        if len(content) > MAX_BYTES:
            raise ImageTooLarge(f"The image is {len(content):,} bytes; the limit is "
                                f"{MAX_BYTES:,} bytes.")
        params = dict(params or {})
        StyleParams.from_dict(params)  # fail fast on what the worker would refuse
        job_id = job_id or uuid.uuid4().hex
        spec = JobSpec(job_id=job_id, content=bytes(content), styles=style_refs(styles),
                       params=params, created=time.time(), clip=clip)
        now = time.time()
        with self.table.tx() as db:
            if db.execute("select 1 from jobs where id = ?", (job_id,)).fetchone():
                return Submitted(job_id, self._ahead(db, job_id) or 0, existed=True)
            self._check_user_limit(db, user_id)
            total = db.execute(f"select count(*) from jobs where state in ({marks(ACTIVE)})"
                               ).fetchone()[0]
            if total >= self.queue_cap:
                raise QueueFull(self.queue_cap)
            db.execute(
                "insert into jobs (id, user_id, chat_id, message_id, status_message_id, meta, "
                "spec, state, attempts, created_at, queued_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (job_id, user_id, chat_id, message_id, status_message_id,
                 json.dumps(meta or {}), spec.encode(), JobState.QUEUED, now, now))
            ahead = self._ahead(db, job_id) or 0
        # Outside the lock.  If the store is down the row stays queued and the
        # watchdog enqueues it when the store is back: the photo is not lost.
        if not self.guard.call("submitting", self.queue.submit, spec)[0]:
            log.warning("job %s accepted while the queue store is down; enqueued later", job_id)
        return Submitted(job_id, ahead)

    def position(self, job_id: str) -> int | None:
        """Queued jobs ahead of this one (None unless it is queued)."""
        with self.table.tx() as db:
            return self._ahead(db, job_id)

    @staticmethod
    def _ahead(db: sqlite3.Connection, job_id: str) -> int | None:
        row = db.execute("select rowid, priority, state from jobs where id = ?",
                         (job_id,)).fetchone()
        if row is None or row[2] != JobState.QUEUED:
            return None
        rowid, priority, _ = row
        return int(db.execute("select count(*) from jobs where state = ? and "
                              "(priority > ? or (priority = ? and rowid < ?))",
                              (JobState.QUEUED, priority, priority, rowid)).fetchone()[0])

    def update_meta(self, job_id: str, **values: Any) -> None:
        with self.table.tx() as db:
            row = db.execute("select meta from jobs where id = ?", (job_id,)).fetchone()
            if row is None:
                raise UnknownJob(f"no job {job_id}")
            meta = dict(json.loads(row[0] or "{}"), **values)
            db.execute("update jobs set meta = ? where id = ?", (json.dumps(meta), job_id))

    # -- limits ---------------------------------------------------------------------
    def check_user_limit(self, user_id: int) -> None:
        """Raise UserLimitReached if the user has as many jobs waiting or running as
        allowed: the bot asks before acknowledging, ``submit`` again, atomically."""
        with self.table.tx() as db:
            self._check_user_limit(db, user_id)

    def _check_user_limit(self, db: sqlite3.Connection, user_id: int) -> None:
        mine = db.execute(f"select count(*) from jobs where user_id = ? and state in "
                          f"({marks(ACTIVE)})", (user_id,)).fetchone()[0]
        if mine >= self.user_limit:
            raise UserLimitReached(self.user_limit)

    # -- reading --------------------------------------------------------------------
    def status(self, job_id: str) -> Job | None:
        return self.table.job(job_id)

    def user_jobs(self, user_id: int, active_only: bool = True, limit: int = 20) -> list[Job]:
        states = ACTIVE if active_only else tuple(JobState)
        return self.table.jobs(f"user_id = ? and state in ({marks(states)}) "
                               "order by rowid desc limit ?", (user_id, limit))

    def chat_jobs(self, chat_id: int) -> list[Job]:
        """Active jobs of one chat (to cancel them when the chat is gone)."""
        return self.table.jobs(f"chat_id = ? and state in ({marks(ACTIVE)})", (chat_id,))

    def counts(self) -> dict[str, int]:
        found = dict(self.table.rows("select state, count(*) from jobs group by state"))
        return {state.value: found.get(state.value, 0) for state in JobState}

    def workers(self, fresh_within: float = 60.0) -> dict[str, Heartbeat]:
        """Engine workers whose heartbeat is recent (the worker's own clock)."""
        ok, found = self.guard.call("listing workers", self.queue.workers)
        if not ok or found is None:
            return {}
        now = time.time()
        return {n: w for n, w in found.items() if now - w["ts"] <= fresh_within}

    def outcome(self, job_id: str) -> JobResult | None:
        """The stored outcome of a finished, undelivered job (None otherwise)."""
        rows = self.table.rows("select attempts, state, result, error_code, error_message "
                               "from jobs where id = ?", (job_id,))
        if not rows or rows[0][1] not in FINISHED:
            return None
        return outcome_of(job_id, *rows[0])

    def stats_today(self) -> dict[str, float]:
        """Jobs finished since midnight (local time): done, failed, mean engine seconds."""
        midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
        rows = self.table.rows("select outcome, started_at, finished_at from jobs "
                               "where finished_at >= ?", (midnight,))
        seconds = [end - start for outcome, start, end in rows
                   if outcome == JobState.DONE and start and end]
        return {"done": sum(1 for r in rows if r[0] == JobState.DONE),
                "failed": sum(1 for r in rows if r[0] == JobState.FAILED),
                "mean_s": round(sum(seconds) / len(seconds), 1) if seconds else 0}

    # -- cancelling -----------------------------------------------------------------
    def cancel(self, job_id: str, user_id: int | None = None) -> Cancelling:
        """Cancel a queued job, or ask a running one to stop.  Raises UnknownJob /
        NotYourJob.  The cancellation still reaches delivery (status ``cancelled``)
        like any outcome."""
        with self.table.tx() as db:
            row = db.execute("select user_id, state, attempts from jobs where id = ?",
                             (job_id,)).fetchone()
            if row is None:
                raise UnknownJob(f"no job {job_id}")
            owner, state, attempts = row
            if user_id is not None and owner != user_id:
                raise NotYourJob("Only the person who asked for this picture can cancel it.")
            if state == JobState.QUEUED:
                db.execute("update jobs set state = ?, outcome = ?, cancel_requested = 1, "
                           "finished_at = ?, spec = null where id = ?",
                           (JobState.CANCELLED, JobState.CANCELLED, time.time(), job_id))
            elif state == JobState.RUNNING:
                db.execute("update jobs set cancel_requested = 1 where id = ?", (job_id,))
            else:
                return Cancelling.TOO_LATE
        if state == JobState.QUEUED:
            self.guard.call("cancelling", self.queue.withdraw, job_id, attempts)
            return Cancelling.CANCELLED
        self.guard.call("cancelling", self.queue.request_cancel, job_id)
        return Cancelling.STOPPING

    def forget_user(self, user_id: int) -> list[str]:
        """/forget: cancel the user's active jobs, drop every job of theirs (or of their
        private chat) from the queue store and the table - photos, uploaded style
        images and results go with the rows; their ids (for the result cache and PNGs)."""
        where = "user_id = ? or chat_id = ?"
        for job in self.table.jobs(f"({where}) and state in ({marks(ACTIVE)})",
                                   (user_id, user_id)):
            try:
                self.cancel(job.id)
            except UnknownJob:
                pass
        ids = [row[0] for row in self.table.rows(f"select id from jobs where {where}",
                                                 (user_id, user_id))]
        for job_id in ids:
            self.guard.call("forgetting", self.queue.forget, job_id)
        with self.table.tx() as db:
            db.executemany("delete from jobs where id = ?", [(j,) for j in ids])
        return ids

    # -- asyncio ---------------------------------------------------------------------
    async def asubmit(self, **kwargs: Any) -> Submitted:
        return await asyncio.to_thread(lambda: self.submit(**kwargs))

    async def acancel(self, job_id: str, user_id: int | None = None) -> Cancelling:
        return await asyncio.to_thread(self.cancel, job_id, user_id)

    async def cancel_chat(self, chat_id: int) -> int:
        """The chat is gone (the bot was blocked or removed): cancel its active jobs."""
        count = 0
        for job in await asyncio.to_thread(self.chat_jobs, chat_id):
            if await self.acancel(job.id) != Cancelling.TOO_LATE:
                count += 1
        if count:
            log.info("chat %s is gone: cancelled %d job(s)", chat_id, count)
        return count

    async def astatus(self, job_id: str) -> Job | None:
        return await asyncio.to_thread(self.status, job_id)

    async def acheck_user_limit(self, user_id: int) -> None:
        await asyncio.to_thread(self.check_user_limit, user_id)

    async def auser_jobs(self, user_id: int, active_only: bool = True) -> list[Job]:
        return await asyncio.to_thread(self.user_jobs, user_id, active_only)


__all__ = ["JobService", "Submitted", "style_refs"]
