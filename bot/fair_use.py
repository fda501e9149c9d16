"""Fair use: free paintings a day, then paintings paid in Stars (docs/architecture.md,
"Fair use and Stars").  Off unless ``LIENZO_FREE_PER_DAY`` is set.

What a picture costs (``cost``): a still painting 1, a painted clip
``CLIP_PAINTINGS`` (its frames take several paintings' worth of GPU time), a print
``PRINT_PAINTINGS`` (up to ``LIENZO_PRINT_TIME_LIMIT`` of a worker, six paintings'
time limits); a re-paint from a result's buttons is a painting like any other.  Free: an
instant picture and a first look (the bot's CPU, not a GPU), and an answer from
the result cache (nothing is painted).

A job spends when intake submits it (``spend``): from the person's free
paintings of the UTC day, else from their paid ones.  With neither, the job is
*held* (``bot.jobs.table``): its photo kept, its status message offering the
packs.  ``release_held`` queues a person's held jobs when they can spend again
(a payment, or the next day's free paintings: ``release_due`` looks every
``RELEASE_EVERY_S``; all of them once fair use is switched off).  A job that
ends without a picture for a reason that is not the person's, or is cancelled
before a worker took it, or is ended by an instant picture instead, has its
painting given back (``give_back``, from delivery).  Every one of these is keyed by the
job id in the ledger (``bot.stores.ledger``), so a crash and a replay never
spend or give back twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from bot.config import BotConfig
from bot.jobs import Job, JobService, JobState
from bot.jobs.errors import QueueFull
from bot.metrics import Metrics
from bot.stores.ledger import Balance, Ledger, Spend

log = logging.getLogger("lienzo.fair_use")

CLIP_PAINTINGS = 3  # a moving picture's cost in paintings (at most a day's free ones)
PRINT_PAINTINGS = 3  # a print's (bot.printing), by the same rule
RELEASE_EVERY_S = 60.0  # how often held photos are looked at (a new UTC day frees them)

# Failures of the person's own making (their file, their request): the painting is
# spent.  Any other failure - the engine's error, a lost worker, a time limit with no
# picture, the queue's timeout, the painter offline - gives it back.
THEIRS = frozenset({
    "bad_image", "empty_image", "not_an_image", "image_too_large", "image_too_small",
    "corrupt_image", "unknown_style", "invalid_params", "bad_clip", "not_a_clip",
    "corrupt_clip", "clip_too_large",
})


def today(now: dt.datetime | None = None) -> str:
    """The UTC day, YYYY-MM-DD: free paintings are counted per UTC day."""
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d")


def until_tomorrow(now: dt.datetime | None = None) -> float:
    """Seconds until the next UTC midnight, when the free paintings come back."""
    now = now or dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return (midnight - now).total_seconds()


@dataclass(frozen=True)
class Released:
    """A held job queued at last: the job, and how many queued jobs are ahead of it."""

    job: Job
    ahead: int


class FairUse:
    """The quota and the ledger's spends, for intake, delivery and payments."""

    def __init__(self, config: BotConfig, ledger: Ledger, jobs: JobService,
                 metrics: Metrics) -> None:
        self.config = config
        self.ledger = ledger
        self.jobs = jobs
        self.metrics = metrics

    @property
    def on(self) -> bool:
        """Whether paintings are counted (``LIENZO_FREE_PER_DAY`` set)."""
        return self.config.fair_use

    def cost(self, clip: bool, printed: bool = False) -> int:
        """A still is 1 painting, a clip ``CLIP_PAINTINGS``, a print ``PRINT_PAINTINGS`` -
        but never more than a day's free ones, or it could never be painted free and
        would stay held for good."""
        paintings = CLIP_PAINTINGS if clip else PRINT_PAINTINGS if printed else 1
        return min(paintings, self.config.free_per_day or paintings)

    async def spend(self, job_id: str, user_id: int, paintings: int, *,
                    refusal_counts: bool = True) -> Spend | None:
        """The job's paintings taken (free first, then paid); None: the person has not
        enough of either (the job is to be held).  Only called while ``on``.
        ``refusal_counts``: a refusal is a photo held now (not a held one looked at
        again)."""
        spend = await asyncio.to_thread(self.ledger.spend, job_id, user_id, paintings,
                                        today(), self.config.free_per_day)
        if spend is None and refusal_counts:
            self.metrics.quota_refusals.inc()
        elif spend is not None and spend.paid and spend.new:
            self.metrics.paintings_paid.inc(spend.paintings)
        return spend

    async def give_back(self, job_id: str) -> bool:
        """The job's paintings returned (once, however often this is called); whether
        they are back now - False when it had spent none."""
        spend, now = await asyncio.to_thread(self.ledger.give_back, job_id)
        if spend is not None and now:
            self.metrics.paintings_returned.inc(spend.paintings)
            log.info("job %s: %d painting(s) given back to %s", job_id, spend.paintings,
                     spend.user_id)
        return spend is not None

    @staticmethod
    def owes_back(state: str, error_code: str | None, started: bool, instant: bool = False
                  ) -> bool:
        """Whether an ended job's painting goes back: it failed on our side, was
        cancelled before a worker took it, or ended as an instant picture (the painter
        offline, the person took a sketch instead), which costs nothing."""
        if state == JobState.CANCELLED:
            return not started
        if state == JobState.DONE:
            return instant
        return state == JobState.FAILED and error_code not in THEIRS

    async def balance(self, user_id: int) -> Balance:
        """The person's free paintings used today and paid ones left (/balance)."""
        return await asyncio.to_thread(self.ledger.balance, user_id, today())

    def free_left(self, balance: Balance) -> int:
        """Free paintings left today."""
        return max(0, self.config.free_per_day - balance.free_used)

    async def release_held(self, user_id: int) -> list[Released]:
        """The person's held jobs queued, oldest first, as long as they can pay for them
        (all of them once fair use is off)."""
        released = []
        for job in await self.jobs.aheld(user_id):
            if self.on:  # off (switched off since the job was held): nothing to spend
                paintings = self.cost(job.meta is not None and job.meta.clip is not None,
                                      job.meta is not None and job.meta.print_side is not None)
                if await self.spend(job.id, user_id, paintings, refusal_counts=False) is None:
                    continue  # a cheaper one behind it may fit
            try:
                ahead = await self.jobs.arelease(job.id)
            except QueueFull:  # held a while longer: the queue is at its cap
                await self.give_back(job.id)
                break
            if ahead is None:  # released by another pass, or ended meanwhile
                await self._settle(job.id)
                continue
            released.append(Released(job, ahead))
        return released

    async def _settle(self, job_id: str) -> None:
        """A spend whose job was not released here: given back if the job is gone
        (/forget) or ended in a way that owes it (cancelled while held); left alone
        if it is queued, painting or painted."""
        now = await self.jobs.astatus(job_id)
        if now is None or (now.outcome is not None and self.owes_back(
                now.outcome, now.error_code, now.started_at is not None)):
            await self.give_back(job_id)

    async def adopt(self, job_id: str) -> None:
        """A spend made just now for a job that existed without one (held, or cancelled
        while held; the update handled again after the person paid): a held job is
        released on it, anything else gives it back."""
        try:
            if await self.jobs.arelease(job_id) is not None:
                return
        except QueueFull:
            pass
        await self.give_back(job_id)

    async def refused(self, job_id: str) -> None:
        """Intake refused or failed a picture after a spend may have been made for it
        (a run killed after spending, a store error): given back unless a job of that
        id exists, which settles its own (``give_back`` from delivery)."""
        if self.on and await self.jobs.astatus(job_id) is None:
            await self.give_back(job_id)

    async def release_due(self) -> list[Released]:
        """Everyone's held jobs that can be paid for now (a new day's free paintings)."""
        people = dict.fromkeys(job.user_id for job in await self.jobs.aheld())
        released = []
        for user_id in people:
            released += await self.release_held(user_id)
        return released
