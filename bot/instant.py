"""Instant paintings: a queued job ended by the bot itself with its feed-forward look
(docs/architecture.md, "The first look").

Two ways in: a photo asked for with ``quality=instant`` (``bot.intake`` writes its
row without enqueueing it), and the "⚡ Instant picture now" button offered while
no engine worker is online (the job was queued; it is taken back).  Either way
the job's own spec (photo, styles, parameters: ``JobService.spec``) is painted
by ``bot.looks`` and stored as a worker's result would be
(``JobService.finish_instant``), so the watcher delivers it through the same
door as any painting: the status message becomes the artwork, exactly once,
with its buttons, gallery entry and result cache.

A picture the network refuses ends a job asked for at ``quality=instant`` with
that failure; a job whose person pressed the button keeps waiting for its
painting instead - the instant picture was an offer, the painting the request.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from bot.engine_view import EngineView
from bot.jobs import JobService, JobState
from bot.looks import WORKER_NAME, Looks
from engine.errors import LienzoError
from engine.queue import JobResult, ResultStatus

log = logging.getLogger("lienzo.instant")


class Instant(StrEnum):
    """What ``InstantPainter.paint`` did."""

    PAINTED = "painted"  # the job ended with its instant picture (or, asked for, its failure)
    NOT_QUEUED = "not_queued"  # cancelled, ended, being painted here, or a worker took it
    REFUSED = "refused"  # the look failed; the job waits for its painting as before


class InstantPainter:
    def __init__(self, jobs: JobService, looks: Looks, workers: EngineView) -> None:
        self.jobs = jobs
        self.looks = looks
        self.workers = workers
        self._painting: set[str] = set()  # jobs being painted here (a button pressed twice)

    async def paint(self, job_id: str, *, asked: bool) -> Instant:
        """End the queued job with its instant picture.  ``asked``: the person asked
        for ``quality=instant`` (a failure ends the job); else the offline button."""
        if job_id in self._painting:
            return Instant.NOT_QUEUED
        self._painting.add(job_id)
        try:
            return await self._paint(job_id, asked)
        finally:
            self._painting.discard(job_id)

    async def _paint(self, job_id: str, asked: bool) -> Instant:
        job = await self.jobs.astatus(job_id)
        spec = await self.jobs.aspec(job_id) if job and job.state == JobState.QUEUED else None
        if spec is None or spec.clip is not None:
            return Instant.NOT_QUEUED
        try:
            result = await self.looks.instant(spec, self.workers.defaults())
        except Exception as exc:  # LienzoError: the picture or a style; else a bug, logged
            log.log(logging.INFO if isinstance(exc, LienzoError) else logging.ERROR,
                    "job %s: no instant picture (%s: %s)", job_id, type(exc).__name__, exc)
            if not asked:
                return Instant.REFUSED
            code = exc.code if isinstance(exc, LienzoError) else "engine_error"
            result = JobResult(job_id, 1, ResultStatus.FAILED, worker=WORKER_NAME,
                               error_code=code, error_message=str(exc)[:500] or code,
                               finished=time.time())
        painted = await self.jobs.afinish_instant(job_id, result)
        return Instant.PAINTED if painted else Instant.NOT_QUEUED
