"""The job table's schema and its rows (docs/architecture.md, "The job table")."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """Where a job is.  ``queued`` → ``running`` → ``done | failed | cancelled`` →
    ``delivered``; a lost job goes back to ``queued`` (same id, next attempt)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
