"""The job table's statements for the watcher's pass (``bot.jobs.tracking``,
``bot.jobs.watchdog``): what the queue store reports, written into the table
(progress, heartbeats, results), lost jobs re-queued or ended, old rows out.

The service's statements are in ``bot.jobs.table``, on the same connection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.jobs.table import ACTIVE, FINISHED, JobState, JobTable, marks
from engine.queue import RETRY_PRIORITY, ProgressRecord, ProgressState


@dataclass(frozen=True)
class Tracked:
    """An active job as the tracking pass compares it with its progress record."""

    id: str
    state: JobState
    progress: str | None  # the last progress record, JSON
    preview_seq: int


@dataclass(frozen=True)
class Watched:
    """An active job as the watchdog looks at it."""

    id: str
    state: JobState
    attempts: int
    heartbeat_at: float | None
    created_at: float
    queued_at: float | None
    missing_since: float | None
    cancel_requested: bool
    spec: bytes | None


class Upkeep:
    """The watcher's pass's statements on ``table``'s connection."""

    def __init__(self, table: JobTable) -> None:
        self.db = table.db

    # -- the tracking pass ----------------------------------------------------------
    def tracked(self) -> list[Tracked]:
        return [Tracked(i, JobState(s), p, seq) for i, s, p, seq in self.db.rows(
            f"select id, state, progress, preview_seq from jobs where state in "
            f"({marks(ACTIVE)})")]

    def record_progress(self, job_id: str, state: JobState, new_state: JobState,
                        record: ProgressRecord, progress: str, now: float) -> bool:
        """A progress record (``progress``, its JSON) is the job's heartbeat; the job
        moves to ``new_state`` - if it is still ``state``; whether it was."""
        return self.db.run(
            "update jobs set progress = ?, preview_seq = ?, heartbeat_at = ?, "
            "worker = ?, missing_since = null, state = ?, "
            "started_at = coalesce(started_at, case when ? = ? then ? end), "
            "priority = case when ? = ? then ? else priority end "
            "where id = ? and state = ?",
            (progress, record.get("preview", 0), now, record["worker"], new_state, new_state,
             JobState.RUNNING, now, record["state"], ProgressState.REQUEUED, RETRY_PRIORITY,
             job_id, state)) > 0

    def record_result(self, job_id: str, status: JobState, stored: bytes | None,
                      code: str | None, message: str | None) -> bool:
        """The job ends as ``status`` with the worker's result (``stored``) or the
        error - if it is still active; whether it was (not: a duplicate run's)."""
        return self.db.run(
            f"update jobs set state = ?, outcome = ?, result = ?, error_code = ?, "
            f"error_message = ?, finished_at = ?, spec = null, heartbeat_at = null "
            f"where id = ? and state in ({marks(ACTIVE)})",
            (status, status, stored, code, message, time.time(), job_id)) > 0

    def undelivered(self, now: float) -> list[str]:
        """Finished jobs whose delivery is due, oldest first."""
        return [r[0] for r in self.db.rows(f"select id from jobs where state in "
                                           f"({marks(FINISHED)}) and next_delivery_at <= ? "
                                           "order by finished_at", (now,))]

    # -- the watchdog ---------------------------------------------------------------
    def watched(self) -> list[Watched]:
        return [Watched(i, JobState(s), a, h, c, q, m, bool(x), spec)
                for i, s, a, h, c, q, m, x, spec in self.db.rows(
                    "select id, state, attempts, heartbeat_at, created_at, queued_at, "
                    f"missing_since, cancel_requested, spec from jobs where state in "
                    f"({marks(ACTIVE)})")]

    def heartbeat(self, job_id: str, now: float) -> None:
        self.db.run("update jobs set heartbeat_at = ? where id = ?", (now, job_id))

    def found_in_queue(self, job_id: str) -> None:
        self.db.run("update jobs set missing_since = null where id = ?", (job_id,))

    def missing_from_queue(self, job_id: str, now: float) -> None:
        self.db.run("update jobs set missing_since = ? where id = ? and state = ?",
                    (now, job_id, JobState.QUEUED))

    def requeued(self, job_id: str, state: JobState, attempts: int, now: float) -> None:
        """Re-enqueued as attempt ``attempts + 1``, at the front - if still as it was."""
        self.db.run("update jobs set state = ?, attempts = ?, priority = ?, queued_at = ?, "
                    "heartbeat_at = null, missing_since = null, progress = null "
                    "where id = ? and state = ? and attempts = ?",
                    (JobState.QUEUED, attempts + 1, RETRY_PRIORITY, now, job_id, state,
                     attempts))

    def finish(self, job_id: str, state: JobState, outcome: JobState, code: str | None,
               message: str | None) -> None:
        """End a job the bot gave up on (cancelled, failed) - if it is still ``state``."""
        self.db.run("update jobs set state = ?, outcome = ?, error_code = ?, "
                    "error_message = ?, finished_at = ?, spec = null, heartbeat_at = null "
                    "where id = ? and state = ?",
                    (outcome, outcome, code, message, time.time(), job_id, state))

    # -- housekeeping ---------------------------------------------------------------
    def to_clean(self, finished_before: float, limit: int) -> list[str]:
        """Ended jobs whose store keys are still to be dropped."""
        return [r[0] for r in self.db.rows(
            "select id from jobs where cleaned = 0 and state != ? and state != ? and "
            "finished_at < ? limit ?",
            (JobState.QUEUED, JobState.RUNNING, finished_before, limit))]

    def cleaned(self, job_id: str) -> None:
        self.db.run("update jobs set cleaned = 1 where id = ?", (job_id,))

    def drop_delivered(self, before: float) -> int:
        """Rows delivered before ``before`` (and cleaned) go; how many."""
        return self.db.run("delete from jobs where state = ? and cleaned = 1 and "
                           "delivered_at < ?", (JobState.DELIVERED, before))
