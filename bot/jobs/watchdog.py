"""The watchdog: jobs whose worker died, jobs the queue lost, and old rows
(docs/architecture.md, "Invariants": nothing lost).

- A running job whose heartbeat (its progress ``ts``) is older than
  ``heartbeat_timeout`` is re-enqueued under the same id as the next attempt.
- A queued job missing from the queue for ``missing_grace`` (a Redis restart, a
  submit while the store was down) is enqueued again.
- After ``max_attempts`` the job fails plainly (``worker_lost``); a job whose
  cancel was asked is cancelled instead.
- A job still queued ``queue_timeout`` after it was sent (no worker alive, or
  far too many ahead) fails plainly (``queue_timeout``) and leaves the queue:
  nobody waits forever for a painter who is not there.
- Housekeeping drops the store keys of long-finished jobs and, after
  ``retention``, their rows.
"""

from __future__ import annotations

import logging

from bot.jobs.guard import StoreGuard
from bot.jobs.table import JobState
from bot.jobs.upkeep import Upkeep
from engine.queue import JobQueue, JobSpec

log = logging.getLogger("lienzo.jobs")

MAX_ATTEMPTS = 3
MISSING_GRACE_S = 5.0
CLEANUP_AFTER_S = 600.0  # a finished job's store keys go after this long
CLEAN_AT_ONCE = 500  # finished jobs whose keys one housekeeping pass drops, at most


class Watchdog:
    """The timings are ``JobService``'s arguments (its defaults: the constants here
    and ``bot.config``'s)."""

    def __init__(self, table: Upkeep, queue: JobQueue, guard: StoreGuard, *,
                 heartbeat_timeout: float, missing_grace: float, max_attempts: int,
                 cleanup_after: float, retention: float, queue_timeout: float) -> None:
        self.table = table
        self.queue = queue
        self.guard = guard
        self.heartbeat_timeout = heartbeat_timeout
        self.missing_grace = missing_grace
        self.max_attempts = max_attempts
        self.cleanup_after = cleanup_after
        self.retention = retention
        self.queue_timeout = queue_timeout

    def check(self, now: float) -> None:
        """One look at every active job."""
        pending: dict[str, set[int]] | None = None
        for job in self.table.watched():
            job_id, attempts = job.id, job.attempts
            if job.state == JobState.RUNNING:
                if job.heartbeat_at is None:
                    self.table.heartbeat(job_id, now)
                elif now - job.heartbeat_at > self.heartbeat_timeout:
                    log.warning("job %s: no heartbeat for %.0f s (attempt %d)", job_id,
                                now - job.heartbeat_at, attempts)
                    self._retry(job_id, job.state, attempts, job.cancel_requested, job.spec,
                                now)
                continue
            if now - job.created_at > self.queue_timeout:
                self._time_out(job_id, attempts, now - job.created_at)
                continue
            if now - (job.queued_at or 0) < self.missing_grace:
                continue
            if pending is None:
                ok, pending = self.guard.call("listing the queue", self.queue.pending)
                if not ok or pending is None:
                    return
            if job_id in pending:
                if job.missing_since is not None:
                    self.table.found_in_queue(job_id)
                continue
            if job.missing_since is None:
                self.table.missing_from_queue(job_id, now)
            elif now - job.missing_since >= self.missing_grace:
                log.warning("job %s: queued but missing from the queue (attempt %d)", job_id,
                            attempts)
                self._retry(job_id, JobState.QUEUED, attempts, job.cancel_requested, job.spec,
                            now)

    def _retry(self, job_id: str, state: JobState, attempts: int, cancel: bool,
               spec: bytes | None, now: float) -> None:
        """Re-enqueue a lost job (same id, next attempt), or end it."""
        if cancel:
            self.finish(job_id, state, JobState.CANCELLED)
            return
        if attempts >= self.max_attempts or spec is None:
            self.finish(job_id, state, JobState.FAILED, "worker_lost",
                        f"The painting could not be finished: the engine stopped "
                        f"{attempts} times while working on it.")
            return
        ok, _ = self.guard.call("re-enqueueing", self.queue.requeue, JobSpec.decode(spec),
                                attempts + 1)
        if not ok:
            return  # store down: try again on a later pass
        self.table.requeued(job_id, state, attempts, now)
        log.info("job %s: re-enqueued as attempt %d", job_id, attempts + 1)

    def _time_out(self, job_id: str, attempts: int, waited: float) -> None:
        log.warning("job %s: still queued after %.0f s; dropped", job_id, waited)
        self.guard.call("dropping a job", self.queue.withdraw, job_id, attempts)
        self.finish(job_id, JobState.QUEUED, JobState.FAILED, "queue_timeout",
                    f"Nobody could paint this picture in {waited / 60:.0f} minutes.")

    def finish(self, job_id: str, state: JobState, outcome: JobState, code: str | None = None,
               message: str | None = None) -> None:
        """End a job here (no worker result), and clear its keys from the store."""
        self.table.finish(job_id, state, outcome, code, message)
        self.guard.call("cleaning up", self.queue.retire, job_id)

    def housekeeping(self, now: float) -> None:
        """Drop the store keys of long-finished jobs (duplicates included) and old rows."""
        for job_id in self.table.to_clean(now - self.cleanup_after, CLEAN_AT_ONCE):
            if not self.guard.call("housekeeping", self.queue.forget, job_id)[0]:
                return
            self.table.cleaned(job_id)
        self.table.drop_delivered(now - self.retention)
