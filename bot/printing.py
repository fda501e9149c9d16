"""🖨 Print: a still painting ordered again at the print side, as a file
(docs/architecture.md, "Prints").

A result's and a /gallery page's "🖨 Print" (``r:print:<job>``; ``bot.handlers.buttons``
checks that the presser asked for the painting) calls ``Prints.order``.  A print is an
ordinary job with a bigger size: the same styles, blend, parameters and regions as the
painting, re-painted from the person's photo - fetched again from Telegram by the file
id the painting's ``JobMeta`` keeps, as every re-paint is - starting from the painting
they already have (its full-size PNG, else the picture Telegram holds), sent to the
worker as ``JobSpec.start``.  The worker decides the rest where the machine is known
(``engine.worker.printing``: ``LIENZO_PRINT_SIDE``, ``LIENZO_PRINT_TIME_LIMIT``, a
smaller photo upscaled first); ``bot.print_delivery`` sends the result as documents.

Refused with a line in the person's language, nothing spent and nothing lost: a clip's
result, an instant sketch, a painting whose job or photo is gone (/forget, the
retention purge, a photo Telegram no longer gives: ``fetching.PhotoGone``), and a
second print while one is on its way (one per person: the job table's active prints,
and the orders this process is still fetching).  A print is queued below every
ordinary painting (``engine.queue.priority_of``), costs ``fair_use.PRINT_PAINTINGS``
with fair use on (held like any photo when there are none), and is cancelled, timed
out and given back like any job.

The press is answered at once; like intake, the photo is fetched and the job submitted
by a task of its own, the update kept open in the inbox until then (a replay after a
restart finds the job: its id comes from the update).
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from typing import Any

from telegram import CallbackQuery, Message, ReplyParameters, User

from bot import fetching, keyboards
from bot.chat_gate import ChatGate
from bot.config import BotConfig
from bot.engine_view import EngineView
from bot.fair_use import FairUse
from bot.fetching import ChatLeft, PhotoGone
from bot.held import show_held
from bot.inbox import CURRENT, Inbox
from bot.intake import Intake, job_id_of
from bot.jobs import Job, JobService
from bot.jobs.meta import JobMeta
from bot.state import LienzoApp, Media
from bot.status import Settling, StatusMessage, quietly
from bot.stores.artworks import Artworks
from bot.texts import error_text, queued_text, t
from engine.errors import LienzoError

log = logging.getLogger("lienzo.printing")


def refusal(meta: JobMeta) -> str | None:
    """Why a job's painting cannot be printed (an alert's key), or None."""
    if meta.clip is not None:
        return "alert.print_clip"
    if meta.print_side is not None:  # a print is a file: it has no Print button
        return "alert.expired"
    if meta.style.instant:
        return "alert.print_instant"
    return None


def print_params(meta: JobMeta, side: int, time_limit_s: float) -> dict[str, Any]:
    """The painting's parameters (its styles' settings, regions, seed…) at the print's
    size and time limit; the worker caps both at its own machine's."""
    kept = {k: v for k, v in meta.params.items() if k not in ("size", "time_budget_s")}
    return kept | {"size": side, "time_budget_s": float(time_limit_s)}


class Prints:
    """``order``: a print from a painting's button.  Given what it uses: intake's status
    message and its error line (``Intake.acknowledge``, ``show_or_reply``), the kept
    PNGs (``artworks.full_size``), fair use, the workers' view (the print side), the
    inbox, the status messages settling and the chat gate."""

    def __init__(self, application: LienzoApp, config: BotConfig, jobs: JobService,
                 intake: Intake, artworks: Artworks, fair_use: FairUse, workers: EngineView,
                 inbox: Inbox, settling: Settling, gate: ChatGate) -> None:
        self.application = application
        self.config = config
        self.jobs = jobs
        self.intake = intake
        self.artworks = artworks
        self.fair_use = fair_use
        self.workers = workers
        self.inbox = inbox
        self.settling = settling
        self.gate = gate
        self._ordering: set[int] = set()  # people whose print is being fetched and submitted

    async def printing(self, user_id: int) -> bool:
        """Whether the person has a print on its way (ordered, held, queued or running)."""
        if user_id in self._ordering:
            return True
        return any(job.meta is not None and job.meta.print_side is not None
                   for job in await self.jobs.auser_jobs(user_id))

    async def order(self, query: CallbackQuery, message: Message | None, user: User,
                    lang: str, job: Job) -> None:
        """The press of ``job``'s Print, by its requester: refused with an alert, or
        answered at once and the print ordered (the status message, then ``_submit``)."""
        meta = job.meta
        assert meta is not None, "every job with buttons has its context"
        painting = Media.of(message) if message is not None else None
        reason = refusal(meta) or (None if painting is not None else "alert.expired")
        if reason is None and await self.printing(user.id):
            reason = "alert.print_busy"
        if reason is not None or message is None or painting is None:
            await query.answer(t(lang, reason or "alert.expired"), show_alert=True)
            return
        self._ordering.add(user.id)  # before any await: a second press now is refused
        try:
            await query.answer(t(lang, "alert.print_started"))
            side = self.workers.defaults().print_side
            origin = CURRENT.get()
            reply_to = ReplyParameters(message.message_id, allow_sending_without_reply=True)
            status = await self.intake.acknowledge(
                message.chat, painting, t(lang, "print.heading", side=side) + "\n"
                + t(lang, "print.ordered"), reply_to, origin)
            print_id = job_id_of(origin) if origin else uuid.uuid4().hex
            if origin is not None:
                self.inbox.keep(origin.update_id)  # done once the print is submitted
        except BaseException:
            self._ordering.discard(user.id)
            raise
        self.application.create_task(
            self._queue(print_id, status, reply_to, user, lang, job, meta, painting, side),
            name=f"lienzo-print-{status.chat_id}-{status.message_id}")

    async def _queue(self, print_id: str, status: StatusMessage, reply_to: ReplyParameters,
                     user: User, lang: str, job: Job, meta: JobMeta, painting: Media,
                     side: int) -> None:
        """Fetch, submit, and say "queued" (or held, or why not) in the status message."""
        origin = CURRENT.get()
        self.settling.begin(print_id)
        try:
            await self._submit(print_id, status, reply_to, user, lang, job, meta, painting,
                               side)
        except ChatLeft:
            log.info("chat %s left before its print was queued: no job", status.chat_id)
        except PhotoGone:
            await self.fair_use.refused(print_id)
            await self.intake.show_or_reply(status, t(lang, "print.photo_gone"), reply_to)
        except LienzoError as exc:  # the queue is full, the person's limit, …
            await self.fair_use.refused(print_id)
            await self.intake.show_or_reply(status, error_text(lang, exc), reply_to)
        except Exception:
            log.exception("ordering a print failed")
            await self.fair_use.refused(print_id)
            await self.intake.show_or_reply(status, error_text(lang, "engine_error"), reply_to)
        finally:
            self.settling.end(print_id)
            self._ordering.discard(user.id)
            if origin is not None:
                await self.inbox.release(origin.update_id)

    async def _submit(self, print_id: str, status: StatusMessage, reply_to: ReplyParameters,
                      user: User, lang: str, job: Job, meta: JobMeta, painting: Media,
                      side: int) -> None:
        bot = self.application.bot
        photo = await fetching.download(bot, meta.content)
        start = await asyncio.to_thread(self.artworks.full_size.read, job.id) or \
            await fetching.download(bot, painting)
        styles: list[tuple[Any, float]] = list(meta.styles)
        if meta.style_media is not None:
            styles.append((await fetching.download(bot, meta.style_media), 1.0))
        limit = self.config.engine.print_time_limit_s
        params = print_params(meta, side, limit)
        ordered = JobMeta(
            lang=lang, requester=user.first_name, group=status.chat_id != user.id,
            status_media=status.media, content=meta.content, styles=meta.styles,
            style_media=meta.style_media, params=params, cache_key="", label=meta.label,
            clip=None, print_side=side, print_of=job.id)
        if self.gate.is_closed(status.chat_id):
            raise ChatLeft("the chat left the bot")
        spend = await self.fair_use.spend(print_id, user.id, self.fair_use.cost(
            False, printed=True)) if self.fair_use.on else None
        held = self.fair_use.on and spend is None
        submitted = await self.jobs.asubmit(
            user_id=user.id, chat_id=status.chat_id, content=photo, styles=styles,
            params=params, message_id=reply_to.message_id,
            status_message_id=status.message_id, meta=ordered, job_id=print_id, held=held,
            start=start, is_print=True)
        if submitted.existed:  # the same press handled again after a restart: it goes on
            if spend is not None and spend.new:
                await self.fair_use.adopt(print_id)
            return
        if self.gate.is_closed(status.chat_id):  # it left while the job was written
            await self.jobs.acancel(print_id)
            return
        if held:
            await show_held(bot, self.config, status, lang, print_id)
            return
        waiting = t(lang, "queued.offline") if self.workers.offline else \
            queued_text(lang, submitted.ahead)
        text = "\n".join([t(lang, "print.heading", side=side), waiting,
                          t(lang, "print.waits", minutes=math.ceil(limit / 60))])
        await quietly(status.show(bot, text, keyboards.cancel(lang, print_id)))
