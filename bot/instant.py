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
"""

from __future__ import annotations

import logging
import time

from bot.engine_view import EngineView
from bot.jobs import JobService
from bot.looks import WORKER_NAME, Looks
from engine.errors import LienzoError
from engine.queue import JobResult, ResultStatus

log = logging.getLogger("lienzo.instant")


class InstantPainter:
    def __init__(self, jobs: JobService, looks: Looks, workers: EngineView) -> None:
        self.jobs = jobs
        self.looks = looks
        self.workers = workers

    async def paint(self, job_id: str) -> bool:
        """End the queued job with its instant painting - or, if the look network
        refuses the picture, with that failure; False when the job is no longer
        queued (cancelled, ended, or a worker took it first: it paints it then)."""
        spec = await self.jobs.aspec(job_id)
        if spec is None or spec.clip is not None:
            return False
        try:
            result = await self.looks.instant(spec, self.workers.defaults())
        except LienzoError as exc:
            log.info("job %s: no instant painting (%s)", job_id, exc)
            result = JobResult(job_id, 1, ResultStatus.FAILED, worker=WORKER_NAME,
                               error_code=exc.code, error_message=str(exc)[:500],
                               finished=time.time())
        return await self.jobs.afinish_instant(job_id, result)
