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
from bot.jobs.table import ACTIVE, JobState, JobTable, marks
from engine.queue import RETRY_PRIORITY, JobQueue, JobSpec

log = logging.getLogger("lienzo.jobs")

MAX_ATTEMPTS = 3
MISSING_GRACE_S = 5.0
CLEANUP_AFTER_S = 600.0  # a finished job's store keys go after this long
RETENTION_S = 7 * 86400.0  # a delivered job's row goes after this long
QUEUE_TIMEOUT_S = 1800.0


class Watchdog:
    def __init__(self, table: JobTable, queue: JobQueue, guard: StoreGuard, *,
                 heartbeat_timeout: float, missing_grace: float = MISSING_GRACE_S,
                 max_attempts: int = MAX_ATTEMPTS, cleanup_after: float = CLEANUP_AFTER_S,
                 retention: float = RETENTION_S, queue_timeout: float = QUEUE_TIMEOUT_S) -> None:
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
        rows = self.table.rows("select id, state, attempts, heartbeat_at, created_at, "
                               "queued_at, missing_since, cancel_requested, spec from jobs "
                               f"where state in ({marks(ACTIVE)})")
        pending: dict[str, set[int]] | None = None
        for job_id, state, attempts, heartbeat_at, created_at, queued_at, missing_since, cancel, \
                spec in rows:
            if state == JobState.RUNNING:
                if heartbeat_at is None:
                    with self.table.tx() as db:
                        db.execute("update jobs set heartbeat_at = ? where id = ?",
                                   (now, job_id))
                elif now - heartbeat_at > self.heartbeat_timeout:
                    log.warning("job %s: no heartbeat for %.0f s (attempt %d)", job_id,
                                now - heartbeat_at, attempts)
                    self._retry(job_id, JobState(state), attempts, cancel, spec, now)
                continue
            if now - created_at > self.queue_timeout:
                self._time_out(job_id, attempts, now - created_at)
                continue
            if now - (queued_at or 0) < self.missing_grace:
                continue
            if pending is None:
                ok, pending = self.guard.call("listing the queue", self.queue.pending)
                if not ok or pending is None:
                    return
            if job_id in pending:
                if missing_since is not None:
                    with self.table.tx() as db:
                        db.execute("update jobs set missing_since = null where id = ?",
                                   (job_id,))
                continue
            if missing_since is None:
                with self.table.tx() as db:
                    db.execute("update jobs set missing_since = ? where id = ? and state = ?",
                               (now, job_id, JobState.QUEUED))
            elif now - missing_since >= self.missing_grace:
                log.warning("job %s: queued but missing from the queue (attempt %d)", job_id,
                            attempts)
                self._retry(job_id, JobState.QUEUED, attempts, cancel, spec, now)

    def _retry(self, job_id: str, state: JobState, attempts: int, cancel: int,
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
        with self.table.tx() as db:
            db.execute(
                "update jobs set state = ?, attempts = ?, priority = ?, queued_at = ?, "
                "heartbeat_at = null, missing_since = null, progress = null "
                "where id = ? and state = ? and attempts = ?",
                (JobState.QUEUED, attempts + 1, RETRY_PRIORITY, now, job_id, state, attempts))
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
        rows = self.table.rows("select id from jobs where cleaned = 0 and state != ? and "
                               "state != ? and finished_at < ? limit 500",
                               (JobState.QUEUED, JobState.RUNNING, now - self.cleanup_after))
        for (job_id,) in rows:
            if not self.guard.call("housekeeping", self.queue.forget, job_id)[0]:
                return
            with self.table.tx() as db:
                db.execute("update jobs set cleaned = 1 where id = ?", (job_id,))
        with self.table.tx() as db:
            db.execute("delete from jobs where state = ? and cleaned = 1 and delivered_at < ?",
                       (JobState.DELIVERED, now - self.retention))
