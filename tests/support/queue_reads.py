"""A job's result or progress as the bot reads them (``JobQueue.reports``): the
tests' way to look into the store through the contract's one door."""

from __future__ import annotations

from engine.queue import JobQueue, JobResult, ProgressRecord


def result_of(queue: JobQueue, job_id: str) -> JobResult | None:
    """The job's result, or None."""
    report = queue.reports([job_id]).get(job_id)
    return report.result if report else None


def progress_of(queue: JobQueue, job_id: str) -> ProgressRecord | None:
    """The job's newest progress record, or None."""
    report = queue.reports([job_id]).get(job_id)
    return report.progress if report else None
