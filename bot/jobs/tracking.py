"""One pass of the watcher, blocking: what the queue store says about the active
jobs, copied into the job table and turned into events for delivery
(docs/architecture.md, "The life of a job").

- progress records move a job to ``running`` (or back to ``queued`` when a
  stopping worker handed it back) and refresh its heartbeat; a new step, state
  or preview is a ``ProgressEvent``;
- a worker's result is copied into the table (so a Redis restart cannot lose
  it) and the job becomes done, failed or cancelled; its keys are retired;
- every finished, undelivered job is a ``ResultEvent`` until delivery marks it
  delivered (``Watcher``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from bot.jobs.guard import StoreGuard
from bot.jobs.table import Job, JobState, JobTable
from bot.jobs.upkeep import Tracked, Upkeep
from bot.jobs.watchdog import Watchdog
from engine.errors import LienzoError
from engine.queue import (
    BadPayload,
    JobQueue,
    JobResult,
    ProgressRecord,
    ProgressState,
    Report,
    ResultStatus,
)
from engine.queue.payloads import MAX_BLOB_BYTES

log = logging.getLogger("lienzo.jobs")

HOUSEKEEPING_EVERY_S = 30.0
WATCHDOG_INTERVAL_S = 1.0
UNREADABLE = "The engine sent back something unreadable."


@dataclass(frozen=True)
class ProgressEvent:
    job: Job
    progress: ProgressRecord
    preview: bytes | None  # a new preview JPEG, or None


@dataclass(frozen=True)
class ResultEvent:
    job: Job
    outcome: JobResult


Event = ProgressEvent | ResultEvent


class Tracker:
    def __init__(self, table: JobTable, upkeep: Upkeep, queue: JobQueue, guard: StoreGuard,
                 watchdog: Watchdog, *, watchdog_interval: float) -> None:
        self.table = table
        self.upkeep = upkeep
        self.queue = queue
        self.guard = guard
        self.watchdog = watchdog
        self.watchdog_interval = watchdog_interval
        self.last_watchdog = 0.0
        self.last_housekeeping = 0.0

    def poll(self, skip: Iterable[str] = ()) -> list[Event]:
        """One pass: progress, results, watchdog, housekeeping.

        ``skip``: job ids whose delivery is in flight (not returned again).
        """
        now = time.time()
        events: list[Event] = []
        active = self.upkeep.tracked()
        ok = True
        if active:
            ok, reports = self.guard.call("polling", self.queue.reports,
                                          [job.id for job in active])
            for job in active if reports else ():
                report = reports.get(job.id) if reports else None
                if report is not None:
                    event = self._apply(job, report, now)
                    if event is not None:
                        events.append(event)
        if ok and now - self.last_watchdog >= self.watchdog_interval:
            self.last_watchdog = now
            self.watchdog.check(now)
        events += self._undelivered(set(skip), now)
        if now - self.last_housekeeping >= HOUSEKEEPING_EVERY_S:
            self.last_housekeeping = now
            self.watchdog.housekeeping(now)
        return events

    def _apply(self, job: Tracked, report: Report, now: float) -> ProgressEvent | None:
        if report.result is not None or report.bad_result is not None:
            self._accept_result(job.id, report)
            return None
        if report.bad_progress is not None:
            log.warning("job %s: ignoring bad progress record: %s", job.id, report.bad_progress)
        if report.progress is None:
            return None
        return self._apply_progress(job, report.progress, now)

    def _apply_progress(self, job: Tracked, record: ProgressRecord, now: float
                        ) -> ProgressEvent | None:
        job_id, state = job.id, job.state
        old = json.loads(job.progress) if job.progress else None
        if old is not None and old.get("ts") == record["ts"] and \
                old.get("state") == record["state"]:
            return None  # nothing new: the worker has not written since
        # A fresh ts is a heartbeat; only a new step, state or preview is news for people.
        news = old is None or any(old.get(k) != record.get(k)
                                  for k in ("state", "step", "preview", "attempt"))
        new_state = state
        if record["state"] == ProgressState.REQUEUED:
            new_state = JobState.QUEUED  # handed back by a stopping worker; same attempt
        elif state == JobState.QUEUED:
            new_state = JobState.RUNNING
        preview = None
        seq = record.get("preview", 0)
        if seq and seq != job.preview_seq:
            preview = self.guard.call("preview", self.queue.preview, job_id)[1]
        if not self.upkeep.record_progress(job_id, state, new_state, record, json.dumps(record),
                                           now):
            return None
        if record["state"] not in (ProgressState.STARTING, ProgressState.RUNNING) or not news:
            return None
        found = self.table.job(job_id)
        return ProgressEvent(found, record, preview) if found else None

    def _accept_result(self, job_id: str, report: Report) -> None:
        """Copy a worker's result into the table (the job becomes done/failed/cancelled)."""
        result = report.result
        problem = report.bad_result
        if result is not None and result.status == ResultStatus.DONE:
            from engine.media.images import decode_image

            try:
                decode_image(result.jpeg or b"")
                if result.mp4 is None:
                    decode_image(result.png or b"", max_bytes=MAX_BLOB_BYTES)
                elif result.mp4[4:8] != b"ftyp":  # a clip's (engine.media.mp4)
                    problem = "the painted clip is not an MP4"
            except LienzoError as e:
                problem = str(e)
        stored: bytes | None = None
        code: str | None = "bad_result"
        message: str | None = UNREADABLE
        status = JobState.FAILED
        if result is None or problem is not None:
            log.warning("job %s: unreadable result from the worker: %s", job_id, problem)
        else:
            stored = result.encode()
            status = JobState(result.status)  # a ResultStatus is the JobState of that name
            code, message = result.error_code, result.error_message
        if not self.upkeep.record_result(job_id, status, stored, code, message):
            log.info("job %s: a second result (a duplicate run) dropped", job_id)
        # The result is safe in the table: clear the store, and raise the cancel flag
        # so that a duplicate run of this job (if any) stops at its next step.
        self.guard.call("cleaning up", self.queue.retire, job_id)

    def _undelivered(self, skip: set[str], now: float) -> list[Event]:
        events: list[Event] = []
        for job_id in self.upkeep.undelivered(now):
            if job_id in skip:
                continue  # its delivery is in flight: do not load its images again
            job = self.table.job(job_id)
            if job is None:
                continue
            try:
                outcome = self.table.outcome(job_id)
            except BadPayload:  # cannot happen: checked when accepted; never block delivery
                outcome = JobResult(job_id, job.attempts, ResultStatus.FAILED,
                                    error_code="bad_result", error_message=UNREADABLE)
            if outcome is not None:  # None: delivered since
                events.append(ResultEvent(job, outcome))
        return events
