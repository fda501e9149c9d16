"""A picture's way in: quick checks → result cache → acknowledge → fetch → check →
submit (docs/architecture.md, "The life of a job").

No handler waits for the engine, nor for a download.  A handler calls
``Intake.submit``, which checks only what needs no network (the request, the
sizes Telegram announced, the result cache, the user's limit) and sends the
status message (``bot.status``: the photo back, "⏳ Got it…") at once.  A task
of its own (``_queue``) then downloads and checks the picture(s) and submits
the job, and the status message becomes "queued, N ahead" - or the error if
the picture turns out bad: one message, nothing lost.  ``bot.delivery`` takes
the job from there, once the status message has settled (``bot.status.Settling``).
The "queued" edit carries the job's first look (``bot.looks``) as the status
message's new picture when one could be made in time; a job asked for at
``quality=instant`` is not queued at all but painted at once by the bot
(``bot.instant``), and delivery sends it like any painting.
A clip (``Media.clip``) takes the same way, without the result cache;
``bot.clip_intake`` reads it after the download (its check) and "queued" gains
its frames, the estimate and any cut.  With fair use on (``bot.fair_use``) the job
spends a painting as it is submitted; a person with none left has the job *held*
and its status message offers the packs (``bot.held``).  A chat that left the
bot (``bot.chat_gate``) gets no job: nobody would see it.  The job's context - language, chat,
pictures, styles, parameters - goes with it as one ``JobMeta`` (``bot.jobs.meta``).

Durable (``bot.inbox``): the update stays open until the job is submitted or
refused; handled again after a crash, it reuses its status message and finds
the job it already submitted (the job id comes from the update).

Fetching waits until every update that has arrived is answered: handlers are
counted while they run (``bot.answering``), so in a burst of photos every "⏳" is
sent before the downloads start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import uuid
from typing import Any

from telegram import Chat, InlineKeyboardMarkup, InputMediaPhoto, ReplyParameters, User
from telegram.error import TelegramError

from bot import clip_intake, fetching, keyboards
from bot.answering import Answering
from bot.catalogue import Catalogue
from bot.chat_gate import ChatGate
from bot.config import BotConfig
from bot.engine_view import EngineView
from bot.fair_use import FairUse
from bot.fetching import ChatLeft, Fetched
from bot.held import show_held
from bot.inbox import CURRENT, Inbox, Origin
from bot.instant import InstantPainter
from bot.jobs import JobService
from bot.jobs.errors import UnknownJob
from bot.jobs.meta import JobMeta
from bot.jobs.service import style_refs
from bot.looks import LookInput, Looks
from bot.metrics import Metrics
from bot.request import BadSplit, EmptyRequest, StyleRequest, TooManyStyles, to_params
from bot.state import LienzoApp, Media
from bot.status import Settling, StatusMessage, quietly, send_status
from bot.stores.result_cache import ResultCache
from bot.stores.user_settings import SettingsStore, UserSettings
from bot.texts import PARSE_MODE, error_text, queued_text, t
from engine.errors import LienzoError
from engine.media.images import RGB
from engine.params import INSTANT, MAX_STYLES

log = logging.getLogger("lienzo.intake")

# Pictures fetched (downloaded, checked, submitted) at once: bounds the memory (a
# document may be 20 MB) and the CPU of a burst; at Telegram's ~0.2 s per download
# that is still ~20 photos/s, more than the engine paints.
FETCH_AT_ONCE = 4
ANSWER_FIRST_MAX_WAIT_S = 1.0  # at most this long does fetching wait for handlers
# A job started by an update has an id derived from it (``bot.inbox.Origin``): the
# same update handled again after a restart finds its job instead of making another.
JOB_IDS = uuid.UUID("5e0c1a2f-6d1b-4c39-9b3e-7a1f2c3d4e5f")
# The StyleParams every job sends (``job_params``); size and quality only when chosen.
ALWAYS_SENT = ("strength", "color_mode", "seed", "faces", "style_scale", "split")


def job_id_of(origin: Origin) -> str:
    """The job an update starts: the same whenever that update is handled again."""
    return uuid.uuid5(JOB_IDS, origin.key).hex


def painted_here(content: Media, look: LookInput) -> bool:
    """An instant picture of a still: the bot paints it (``bot.instant``), unqueued."""
    return content.clip is None and look.params.instant


def style_pairs(request: StyleRequest | None) -> list[list[Any]]:
    """The request's catalogue styles as JSON-ready [id, weight] pairs."""
    return [list(s) for s in (request.styles if request else ())]


class Intake:
    """``submit``: a picture from a handler to a job.  Given exactly what it uses: the
    handlers' count (``answering``: fetching waits for it) and the status messages
    still settling (``settling``: delivery waits for them) are shared with others."""

    def __init__(self, application: LienzoApp, config: BotConfig, jobs: JobService,
                 settings: SettingsStore, results: ResultCache, metrics: Metrics,
                 catalogue: Catalogue, workers: EngineView, inbox: Inbox, answering: Answering,
                 settling: Settling, looks: Looks, instant: InstantPainter, fair_use: FairUse,
                 gate: ChatGate) -> None:
        self.application = application
        self.inbox = inbox
        self.config = config
        self.jobs = jobs
        self.settings = settings
        self.results = results
        self.metrics = metrics
        self.catalogue = catalogue
        self.workers = workers
        self.answering = answering
        self.settling = settling
        self.looks = looks
        self.instant = instant
        self.fair_use = fair_use
        self.gate = gate
        self._fetching = asyncio.Semaphore(FETCH_AT_ONCE)

    # -- what is asked ----------------------------------------------------------------
    async def job_params(self, user_id: int, request: StyleRequest | None) -> dict[str, Any]:
        """The job's StyleParams fields: user settings < request.

        Size and quality are sent only when someone chose them; otherwise the
        worker uses its machine's defaults (a GPU paints bigger than a CPU).  Faces,
        brush (``style_scale``) and split are always sent: they change the picture,
        so they are part of the result cache's key (``_cache_key``), and a re-paint
        (the result buttons copy these params) keeps them.
        """
        settings = await asyncio.to_thread(self.settings.settings, user_id)
        if settings != UserSettings():  # kept while in use (bot.stores.user_settings)
            await asyncio.to_thread(self.settings.used, user_id)
        values = to_params(request, settings, self.workers.max_side).to_dict()
        asked = set(request.overrides) if request is not None else set()
        sent = [*ALWAYS_SENT, *(name for name in ("size", "quality")
                                if getattr(settings, name) or name in asked)]
        return {name: values[name] for name in sent} | \
            {"time_budget_s": float(self.config.job_time_limit_s)}

    # -- acknowledge ------------------------------------------------------------------
    async def submit(self, chat: Chat, user: User, content: Media, request: StyleRequest | None,
                     *, lang: str, style_media: Media | None = None,
                     params: dict[str, Any] | None = None, ack: str | None = None) -> None:
        """Acknowledge at once; fetch, check and queue the picture afterwards.

        With 100 photos at once, fetching and checking them all takes seconds, so
        the status message is the first thing sent.  A cache hit is answered with
        the earlier result and nothing else.  ``params``: the job's (a result's
        button repeats a job with a change), else from the settings and request.
        ``ack``: the status message's first text where "⏳ Got it" says too
        little (an album).
        """
        reply_to = ReplyParameters(content.message_id, allow_sending_without_reply=True)
        try:
            if request is not None and not request.styles and style_media is None:
                raise EmptyRequest()  # options, but no style and no painting of their own
            if request is not None and style_media is not None \
                    and len(request.styles) + 1 > MAX_STYLES:  # the painting is one more
                raise TooManyStyles(len(request.styles) + 1)
            fetching.check_sizes(content, style_media)
            params = params or await self.job_params(user.id, request)
            if content.clip is not None and params.get("quality") == INSTANT:
                # An instant clip would be a sketch per frame: clips are painted, at the
                # workers' default quality (docs/architecture.md, "The first look").
                params = {k: v for k, v in params.items() if k != "quality"}
            if params.get("split", "none") != "none" and style_media is not None:
                raise BadSplit("painting")  # two regions, three styles
            key = self._cache_key(user.id, content, request, style_media, params)
            if content.clip is None and await self._send_cached(chat, key, reply_to):
                await self._no_job()
                return
            await self.jobs.acheck_user_limit(user.id)  # submit checks again, atomically
        except LienzoError as exc:  # EmptyRequest, BadSplit, FileTooBig, UserLimitReached
            await self._no_job()
            await chat.send_message(error_text(lang, exc), parse_mode=PARSE_MODE,
                                    reply_parameters=reply_to)
            return
        origin = CURRENT.get()
        status = await self.acknowledge(chat, content, ack or t(lang, "received"), reply_to,
                                         origin)
        job_id = job_id_of(origin) if origin else uuid.uuid4().hex
        if origin is not None:
            self.inbox.keep(origin.update_id)  # done once the job is submitted (or refused)
        self.application.create_task(
            self._queue(job_id, status, reply_to, user, content, request, style_media, params,
                        key, lang),
            name=f"lienzo-queue-{chat.id}-{status.message_id}")

    async def _no_job(self) -> None:
        """The update is answered without a job (refused, or from the result cache): a
        painting that a run killed before submitting spent for it goes back."""
        if (origin := CURRENT.get()) is not None:
            await self.fair_use.refused(job_id_of(origin))

    async def acknowledge(self, chat: Chat, content: Media, text: str,
                           reply_to: ReplyParameters, origin: Origin | None) -> StatusMessage:
        """The status message: sent now, or - the update handled again after a
        restart - the one sent the first time (``bot.inbox``)."""
        if origin is not None:
            ref = await asyncio.to_thread(self.inbox.status_of, origin.update_id)
            if ref is not None:
                return StatusMessage.of(ref)
        status = await send_status(chat, content, text, reply_to)
        if origin is not None:
            # Written at once, in the loop (~1 ms): a thread hop could wait behind others,
            # and a crash before this line leaves an acknowledgement nobody will edit.
            self.inbox.remember_status(origin.update_id, status.ref)
        return status

    # -- fetch, check, submit -------------------------------------------------------------
    async def _queue(self, job_id: str, status: StatusMessage, reply_to: ReplyParameters,
                     user: User, content: Media, request: StyleRequest | None,
                     style_media: Media | None, params: dict[str, Any], key: str,
                     lang: str) -> None:
        """Fetch, check and submit; then the status message says "queued" or the error.

        A task of its own, after the handler has returned.  It waits until every
        update that has arrived is answered (``bot.answering``), then takes one of
        ``FETCH_AT_ONCE`` places: fetching a photo costs several times the CPU of
        acknowledging one, and in a burst the last "⏳" would otherwise wait for
        dozens of downloads.  The update stays open in the inbox until this ends.
        """
        origin = CURRENT.get()
        self.settling.begin(job_id)
        try:
            await self.answering.all_answered(ANSWER_FIRST_MAX_WAIT_S)
            async with self._fetching:
                fetched = await self._fetch_and_submit(
                    job_id, status, user, content, request, style_media, params, key, lang)
        except ChatLeft:
            log.info("chat %s left before its picture was queued: no job", status.chat_id)
        except LienzoError as exc:  # the picture is bad, the queue is full, …
            await self.fair_use.refused(job_id)
            await self.show_or_reply(status, error_text(lang, exc), reply_to)
        except Exception:
            log.exception("queueing a picture failed")
            await self.fair_use.refused(job_id)
            await self.show_or_reply(status, error_text(lang, "engine_error"), reply_to)
        else:
            submitted, note, look = fetched.submitted, fetched.note, fetched.look
            if not submitted.existed:
                self.metrics.submitted.inc()
            if self.gate.is_closed(status.chat_id):  # it left while the job was written
                await self.jobs.acancel(job_id)
                return
            if fetched.held:
                await show_held(self.application.bot, self.config, status, lang, job_id)
                return
            instant = painted_here(content, look)
            if instant:  # also after a restart (its row may still wait): delivery sends it
                await self.instant.paint(job_id, asked=True)
            if submitted.existed or instant:  # handled again after a restart: it goes on
                return
            offline = self.workers.offline
            text = t(lang, "queued.offline") if offline else queued_text(lang, submitted.ahead)
            if offline and content.clip is None:
                text += "\n" + t(lang, "look.offer_instant")
            if request is not None and request.size_capped:
                text += "\n" + t(lang, "note.size_capped", max_side=self.workers.max_side,
                                 requested=request.requested_size)
            text += f"\n{note}" if note else ""
            markup = keyboards.cancel(lang, job_id, instant=offline and content.clip is None)
            # If this edit is lost (flood control), the worker's progress edits carry on.
            if not (status.media
                    and await self._show_look(job_id, status, look, text, markup, lang)):
                await quietly(status.show(self.application.bot, text, markup))
        finally:
            self.settling.end(job_id)
            if origin is not None:
                await self.inbox.release(origin.update_id)

    async def _fetch_and_submit(self, job_id: str, status: StatusMessage, user: User,
                                content: Media,
                                request: StyleRequest | None, style_media: Media | None,
                                params: dict[str, Any], key: str, lang: str) -> Fetched:
        """Download and check the picture(s), then submit the job, its status message
        known; a clip's note (frames, estimate, cut: ``bot.clip_intake``); what its
        look is made of (a clip's: its first frame).  An instant job is written but
        not queued: the bot paints it (``bot.instant``).  Any other job spends its
        painting(s) first (fair use on), or is held."""
        data = await fetching.download(self.application.bot, content)
        clip, note = None, ""
        first: bytes | RGB = data
        defaults = self.workers.defaults()
        if content.clip is not None:
            clip, first = await clip_intake.probe(data, defaults)
            note = clip_intake.note(lang, clip, clip_intake.estimate_seconds(
                clip, params, defaults, self.workers.has_gpu))
        styles = request.styles if request else ()
        styles_arg: list[tuple[Any, ...]] = list(styles)
        if style_media is not None:
            styles_arg.append((await fetching.download(self.application.bot, style_media), 1.0))
        # As the workers will read it: LIENZO_DEFAULT_QUALITY=instant makes it instant.
        look = LookInput(first, style_refs(styles_arg), defaults.params(params))
        meta = JobMeta(
            lang=lang, requester=user.first_name, group=status.chat_id != user.id,
            status_media=status.media, content=content,
            styles=styles, style_media=style_media,
            params=params, cache_key=key,
            label=self.catalogue.label(lang, request, params.get("split")), clip=clip)
        instant = painted_here(content, look)
        if self.gate.is_closed(status.chat_id):
            raise ChatLeft("the chat left the bot")
        counted = self.fair_use.on and not instant  # an instant picture costs no painting
        spend = await self.fair_use.spend(job_id, user.id, self.fair_use.cost(
            content.clip is not None)) if counted else None
        submitted = await self.jobs.asubmit(
            user_id=user.id, chat_id=status.chat_id, content=data, styles=styles_arg,
            params=params, message_id=content.message_id, status_message_id=status.message_id,
            meta=meta, job_id=job_id, clip=content.clip, enqueue=not instant,
            held=counted and spend is None)  # refused or failed: ``_queue`` gives it back
        if submitted.existed and spend is not None and spend.new:
            await self.fair_use.adopt(job_id)  # a replay meets a job from before the spend
        return Fetched(submitted, note, look, counted and spend is None)

    async def _show_look(self, job_id: str, status: StatusMessage, look: LookInput,
                         text: str, markup: InlineKeyboardMarkup, lang: str) -> bool:
        """The status message's picture becomes the job's first look, captioned "first
        look" and ``text``; False when there is none (off, busy, failed) or Telegram
        refused it (the caption edit is made instead)."""
        jpeg = await self.looks.first_look(look)
        if jpeg is None:
            return False
        media = InputMediaPhoto(jpeg, caption=t(lang, "look.first") + "\n" + text,
                                parse_mode=PARSE_MODE, filename="first-look.jpg")
        try:
            await self.application.bot.edit_message_media(
                media, chat_id=status.chat_id, message_id=status.message_id,
                reply_markup=markup)
        except TelegramError as exc:
            log.info("first look not shown (%s)", exc)
            return False
        try:
            await asyncio.to_thread(self.jobs.update_meta, job_id,
                                    lambda meta: dataclasses.replace(meta, looked=True))
        except UnknownJob:  # /forget while it was shown: nothing left to tell
            pass
        return True

    async def show_or_reply(self, status: StatusMessage, text: str,
                             reply_to: ReplyParameters) -> None:
        """The status message says ``text``; if it cannot be edited, ``text`` is sent."""
        bot = self.application.bot
        try:
            await status.show(bot, text)
        except TelegramError as exc:
            log.info("status message not editable (%s); replying", exc.__class__.__name__)
            await quietly(bot.send_message(status.chat_id, text, parse_mode=PARSE_MODE,
                                           reply_parameters=reply_to))

    # -- the result cache -----------------------------------------------------------------
    @staticmethod
    def _cache_key(user_id: int, content: Media, request: StyleRequest | None,
                   style_media: Media | None, params: dict[str, Any]) -> str:
        """The person, the photo, the styles (in order: a split's are background,
        person) and every parameter the job sends - faces, ``style_scale`` (brush)
        and split included - but the time budget, which changes when the picture
        stops, not what it is.

        The person is part of it: a result is one person's artwork (its Share
        button, inline mode and /forget are theirs), so someone else sending the
        same photo - a forward, a group's picture - gets a painting of their own."""
        what = [user_id, content.unique_id, style_pairs(request),
                style_media.unique_id if style_media else None,
                {k: v for k, v in params.items() if k != "time_budget_s"}]
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    async def _send_cached(self, chat: Chat, key: str, reply_to: ReplyParameters) -> bool:
        """Answer with an earlier result of the same request, if Telegram still has it."""
        cached = await asyncio.to_thread(self.results.get, key)
        if cached is None:
            return False
        job = await self.jobs.astatus(cached.job_id)
        meta = job.meta if job else None
        markup = keyboards.result(meta.lang, cached.job_id, meta.style.color_mode) \
            if meta else None
        send = chat.send_document if cached.as_document else chat.send_photo
        try:
            await send(cached.file_id, caption=cached.caption, parse_mode=PARSE_MODE,
                       reply_parameters=reply_to, reply_markup=markup)
        except TelegramError as exc:  # the file id went stale: paint it again
            log.info("cached result unusable (%s); painting again", exc.__class__.__name__)
            return False
        return True
