"""``JobService``: what the bot asks of the job table and the queue - submit,
cancel, limits and queries (docs/architecture.md, "The life of a job").

Its methods block briefly (SQLite, the queue store): from asyncio, call the
``a*`` coroutines, which run them in a thread.  Once ``submit`` returns, the
job will get exactly one outcome whatever crashes: the watcher
(``bot.jobs.watcher``) delivers it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import (
    DEFAULT_HEARTBEAT_TIMEOUT_S,
    DEFAULT_QUEUE_CAP,
    DEFAULT_QUEUE_TIMEOUT_S,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_USER_QUEUE_LIMIT,
)
from bot.jobs.errors import UnknownJob
from bot.jobs.guard import StoreGuard
from bot.jobs.meta import JobMeta
from bot.jobs.table import WAITING, Cancelling, Job, JobState, JobTable, NewJob
from bot.jobs.tracking import WATCHDOG_INTERVAL_S, Event, Tracker
from bot.jobs.upkeep import Upkeep
from bot.jobs.watchdog import CLEANUP_AFTER_S, MAX_ATTEMPTS, MISSING_GRACE_S, Watchdog
from bot.jobs.watcher import POLL_INTERVAL_S, ProgressCallback, ResultCallback, Watcher
from engine.errors import EmptyImage, ImageTooLarge
from engine.media.images import MAX_BYTES
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
                 cleanup_after: float = CLEANUP_AFTER_S,
                 retention: float = DEFAULT_RETENTION_DAYS * 86400.0,
                 queue_timeout: float = DEFAULT_QUEUE_TIMEOUT_S) -> None:
        self.queue = queue
        self.table = JobTable(Path(db_path))
        self.guard = StoreGuard()
        self.user_limit = user_limit
        self.queue_cap = queue_cap
        upkeep = Upkeep(self.table)
        self.watchdog = Watchdog(upkeep, queue, self.guard,
                                 heartbeat_timeout=heartbeat_timeout, missing_grace=missing_grace,
                                 max_attempts=max_attempts, cleanup_after=cleanup_after,
                                 retention=retention, queue_timeout=queue_timeout)
        self.tracker = Tracker(self.table, upkeep, queue, self.guard, self.watchdog,
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
        oldest = self.table.oldest_queued_at()
        return max(0.0, time.time() - oldest) if oldest else 0.0

    def queue_health(self) -> tuple[bool, int]:
        """Whether the queue store answers, and how many messages wait in it."""
        ok, waiting = self.guard.call("health check", self.queue.pending_count)
        return ok, waiting or 0

    def _recover(self) -> None:
        """After a (re)start: give running jobs a full heartbeat timeout, re-check queued ones."""
        running, queued, finished = self.table.recover(time.time())
        if running or queued or finished:
            log.info("picked up %d running, %d queued and %d undelivered jobs", running, queued,
                     finished)

    # -- submitting -----------------------------------------------------------------
    def submit(self, *, user_id: int, chat_id: int, content: bytes, styles: Sequence[Style],
               params: dict[str, Any] | None = None, message_id: int | None = None,
               status_message_id: int | None = None, meta: JobMeta | None = None,
               job_id: str | None = None, clip: str | None = None,
               enqueue: bool = True, held: bool = False, start: bytes | None = None,
               is_print: bool = False) -> Submitted:
        """Accept a job or raise: UserLimitReached, QueueFull, InvalidParams, image errors,
        BadPayload (more than ``MAX_STYLES`` styles: the request parser stops that first).

        ``params``: StyleParams fields; size and quality may be left out (the worker
        picks its machine's defaults).  A ``job_id`` that exists already is not
        submitted again (``Submitted.existed``): submitting is idempotent.
        ``enqueue=False``: the row only, for a job the bot ends itself at once
        (``finish_instant``); should the bot die first, the watchdog finds the job
        missing from the queue and enqueues it, and a worker paints it.
        ``held``: kept, not queued, until ``release`` (no painting to spend on it:
        ``bot.fair_use``).  ``is_print``, ``start``: a print and the painting it starts
        from (``bot.printing``), queued below the paintings (``engine.queue.priority_of``).
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
                       params=params, created=time.time(), clip=clip, start=start,
                       is_print=is_print)
        ahead, existed = self.table.add(
            NewJob(job_id, user_id, chat_id, message_id, status_message_id, meta, spec.encode()),
            time.time(), user_limit=self.user_limit, queue_cap=self.queue_cap, held=held)
        if existed:
            return Submitted(job_id, ahead, existed=True)
        if enqueue and not held:
            self._enqueue(spec)
        return Submitted(job_id, ahead)

    def _enqueue(self, spec: JobSpec) -> None:
        # Outside the lock.  If the store is down the row stays queued and the
        # watchdog enqueues it when the store is back: the photo is not lost.
        if not self.guard.call("submitting", self.queue.submit, spec)[0]:
            log.warning("job %s accepted while the queue store is down; enqueued later",
                        spec.job_id)

    def release(self, job_id: str) -> int | None:
        """A held job is queued (``bot.fair_use``: a painting was spent on it); queued
        jobs ahead of it, or None when it was not held (released or ended before);
        QueueFull at ``queue_cap``."""
        ahead = self.table.release(job_id, time.time(), self.queue_cap)
        spec = self.table.spec(job_id) if ahead is not None else None
        if spec is not None:
            self._enqueue(spec)
        return ahead

    def held(self, user_id: int | None = None) -> list[Job]:
        """Held jobs, oldest first: one person's, or everyone's."""
        return self.table.held(user_id)

    def unstarted_of_person(self, user_id: int) -> list[str]:
        """The person's held and queued jobs (/forget gives their paintings back)."""
        return [job.id for job in self.table.active_jobs_of_person(user_id)
                if job.state in (JobState.HELD, JobState.QUEUED)]

    def spec(self, job_id: str) -> JobSpec | None:
        """A queued or running job's spec: what it paints (None once it has ended)."""
        return self.table.spec(job_id)

    def finish_instant(self, job_id: str, result: JobResult) -> bool:
        """A queued job ended by the bot (an instant painting, or its failure): stored as
        a worker's result, delivered by the watcher like one, and withdrawn from the
        queue; False when it was no longer queued (a worker took it first)."""
        job = self.table.job(job_id)
        if job is None or not self.table.finish_queued(job_id, result):
            return False
        self.guard.call("withdrawing", self.queue.withdraw, job_id, job.attempts)
        return True

    def update_meta(self, job_id: str, change: Callable[[JobMeta], JobMeta]) -> None:
        """The job's meta becomes ``change(meta)``, read and written in one transaction."""
        self.table.update_meta(job_id, change)

    # -- limits ---------------------------------------------------------------------
    def check_user_limit(self, user_id: int) -> None:
        """Raise UserLimitReached if the user has as many jobs waiting or running as
        allowed: the bot asks before acknowledging, ``submit`` again, atomically."""
        self.table.check_user_limit(user_id, self.user_limit)

    # -- reading --------------------------------------------------------------------
    def status(self, job_id: str) -> Job | None:
        return self.table.job(job_id)

    def user_jobs(self, user_id: int, active_only: bool = True, limit: int = 20) -> list[Job]:
        states = WAITING if active_only else tuple(JobState)
        return self.table.user_jobs(user_id, states, limit)

    def chat_jobs(self, chat_id: int) -> list[Job]:
        """Jobs of one chat not ended (to cancel them when the chat is gone)."""
        return self.table.chat_jobs(chat_id)

    def counts(self) -> dict[str, int]:
        return self.table.counts()

    def workers(self, fresh_within: float) -> dict[str, Heartbeat]:
        """Engine workers whose heartbeat is at most ``fresh_within`` s old (the worker's
        own clock; the bot's ``LIENZO_WORKER_OFFLINE_AFTER``)."""
        ok, found = self.guard.call("listing workers", self.queue.workers)
        if not ok or found is None:
            return {}
        now = time.time()
        return {n: w for n, w in found.items() if now - w["ts"] <= fresh_within}

    def outcome(self, job_id: str) -> JobResult | None:
        """The stored outcome of a finished, undelivered job (None otherwise)."""
        return self.table.outcome(job_id)

    def stats_today(self) -> dict[str, float]:
        """Jobs finished since midnight (local time): done, failed, mean engine seconds."""
        midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
        rows = self.table.finished_since(midnight)
        seconds = [end - start for outcome, start, end in rows
                   if outcome == JobState.DONE and start and end]
        return {"done": sum(1 for r in rows if r[0] == JobState.DONE),
                "failed": sum(1 for r in rows if r[0] == JobState.FAILED),
                "mean_s": round(sum(seconds) / len(seconds), 1) if seconds else 0}

    # -- cancelling -----------------------------------------------------------------
    def cancel(self, job_id: str, user_id: int | None = None) -> Cancelling:
        """Cancel a held or queued job, or ask a running one to stop.  Raises UnknownJob /
        NotYourJob.  The cancellation still reaches delivery (status ``cancelled``)
        like any outcome."""
        state, attempts = self.table.cancel(job_id, user_id, time.time())
        if state not in WAITING:
            return Cancelling.TOO_LATE
        if state == JobState.HELD:
            return Cancelling.CANCELLED
        if state == JobState.QUEUED:
            self.guard.call("cancelling", self.queue.withdraw, job_id, attempts)
            return Cancelling.CANCELLED
        self.guard.call("cancelling", self.queue.request_cancel, job_id)
        return Cancelling.STOPPING

    def forget_user(self, user_id: int) -> list[str]:
        """/forget: cancel the user's active jobs, drop every job of theirs (or of their
        private chat) from the queue store and the table - photos, uploaded style
        images and results go with the rows; their ids (for the result cache and PNGs)."""
        for job in self.table.active_jobs_of_person(user_id):
            try:
                self.cancel(job.id)
            except UnknownJob:
                pass
        ids = self.table.ids_of_person(user_id)
        for job_id in ids:
            self.guard.call("forgetting", self.queue.forget, job_id)
        self.table.delete(ids)
        return ids

    # -- asyncio ---------------------------------------------------------------------
    async def asubmit(self, **kwargs: Any) -> Submitted:
        return await asyncio.to_thread(lambda: self.submit(**kwargs))

    async def aspec(self, job_id: str) -> JobSpec | None:
        return await asyncio.to_thread(self.spec, job_id)

    async def afinish_instant(self, job_id: str, result: JobResult) -> bool:
        return await asyncio.to_thread(self.finish_instant, job_id, result)

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

    async def arelease(self, job_id: str) -> int | None:
        return await asyncio.to_thread(self.release, job_id)

    async def aheld(self, user_id: int | None = None) -> list[Job]:
        return await asyncio.to_thread(self.held, user_id)

    async def astatus(self, job_id: str) -> Job | None:
        return await asyncio.to_thread(self.status, job_id)

    async def acheck_user_limit(self, user_id: int) -> None:
        await asyncio.to_thread(self.check_user_limit, user_id)

    async def auser_jobs(self, user_id: int, active_only: bool = True) -> list[Job]:
        return await asyncio.to_thread(self.user_jobs, user_id, active_only)


__all__ = ["JobService", "Submitted", "style_refs"]
