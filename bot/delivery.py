"""Getting progress and results back to people: the job watcher's callbacks
(docs/architecture.md, "The life of a job").

- The status message (``bot.status``) is the bot's first answer to the photo
  (``Intake.submit``); nothing here touches it before ``Intake._queue`` has
  made it say "queued" (``bot.status.Settling``).
- Progress edits the status message's caption: a bar with percent and ETA, at
  most every ``EDIT_EVERY_S`` seconds per message and only when the text
  changes (Telegram's flood limits; ``RetryAfter`` is honoured by PTB's
  rate limiter).  A progress edit that fails is dropped: the next one carries
  newer news.  While the job runs, some of these edits also replace the
  picture with the worker's newest preview (``bot.preview``: paced per chat
  type, off by /settings or after any error, never after the result).
- A result replaces the status message's picture with the artwork
  (``editMessageMedia``; as a file when it breaks the photo limits), with its
  caption and buttons: **exactly once** whatever crashes, because doing the
  same edit again after a restart changes nothing (Telegram answers "not
  modified").  Only where there is no picture to edit (a text status, a status
  the user deleted) is the artwork sent as a new message (``bot.status.deliver``,
  the one door for photos and clips alike).  A painted clip's MP4 replaces the
  clip sent back (an animation for a GIF, so it loops silently as the GIF did;
  a video for a video; the engine drops the audio); its one button is Share
  (``keyboards.clip_result``): "full resolution", re-paints and the timelapse are
  a still painting's.  The PNG is kept for
  the "full resolution" button, the timelapse's frames (if the worker sent
  them) for the "🎞 Timelapse" button (``bot.stores.artworks``, which keeps both); the result
  cache remembers the file id.  A print (``bot.printing``) goes as files instead
  (``bot.print_delivery``), kept nowhere; its progress names its size and scale.
  An edit makes no notification, so in a private chat a painting that took
  ``READY_PING_AFTER_S`` or more (its owner has likely looked away) is
  followed by a one-line "ready" reply to it, which does - at most once
  (``JobMeta.pinged``, written before it is sent: a delivery redone after a
  restart repeats the edit, never the ping).
- A failure or cancellation becomes the status message's caption.  With fair use
  on, one that is not the person's doing (``FairUse.owes_back``) first gives its
  painting back, and the caption says so.
- A chat that blocked the bot or is gone: the outcome is dropped (the chat
  gate has cancelled the chat's other jobs); any other error propagates so the
  job service retries it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import time
from datetime import timedelta

from PIL import Image
from telegram import Bot, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot import keyboards
from bot.catalogue import Catalogue
from bot.chat_gate import is_chat_gone
from bot.fair_use import FairUse
from bot.jobs import Job, JobService
from bot.jobs.meta import JobMeta
from bot.metrics import Metrics
from bot.preview import LivePreview
from bot.print_delivery import send_print
from bot.request import style_link
from bot.status import NOT_MODIFIED, ResultMedia, Settling, StatusMessage, deliver
from bot.stores.artworks import Artwork, Artworks
from bot.stores.result_cache import CachedResult, ResultCache
from bot.stores.user_settings import SettingsStore
from bot.texts import PARSE_MODE, done_caption, error_text, progress_text, t
from engine.queue import JobResult, ProgressRecord, ProgressState, ResultStatus

log = logging.getLogger("lienzo.delivery")

EDIT_EVERY_S = 3.0
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000  # width + height
PHOTO_MAX_RATIO = 20  # the long side over the short one
READY_PING_AFTER_S = 30.0
NO_RIGHTS = "have no rights"  # a group that muted the bot: nothing to deliver there


def fits_as_photo(size: int, width: int, height: int) -> bool:
    """Whether Telegram takes a picture as a photo (sendPhoto: at most 10 MB, width and
    height at most 10000 together, their ratio at most 20); else it goes as a file."""
    return size <= PHOTO_MAX_BYTES and width + height <= PHOTO_MAX_SIDES \
        and max(width, height) <= PHOTO_MAX_RATIO * min(width, height)


class Delivery:
    """The job watcher's two callbacks.  Given what they use, besides the stores: the
    user settings (a person's previews), the catalogue (an artwork's search names),
    and the status messages intake is still settling."""

    def __init__(self, bot: Bot, jobs: JobService, results: ResultCache, metrics: Metrics,
                 settings: SettingsStore, catalogue: Catalogue, settling: Settling,
                 artworks: Artworks, fair_use: FairUse, studio_url: str | None = None) -> None:
        self.bot = bot
        self.jobs = jobs
        self.results = results
        self.metrics = metrics
        self.settings = settings
        self.catalogue = catalogue
        self.settling = settling
        self.artworks = artworks
        self.fair_use = fair_use
        self.studio_url = studio_url  # "🎨 Studio" beside Share (bot.studio), when on
        self._edits: dict[str, tuple[float, str]] = {}  # job → (when, text) of the last edit
        self.preview = LivePreview(bot)

    async def on_progress(self, job: Job, progress: ProgressRecord,
                          preview: bytes | None) -> None:
        state, meta = progress.get("state"), job.meta
        status = StatusMessage.of_job(job)
        if meta is None or status is None or \
                state not in (ProgressState.STARTING, ProgressState.RUNNING,
                              ProgressState.FINISHING):
            return
        await self.settling.settled(job.id)
        lang = meta.lang
        text = progress_text(lang, progress.get("fraction", 0.0), progress.get("eta_s")) \
            if state == ProgressState.RUNNING else t(lang, f"progress.{state}")
        if state == ProgressState.RUNNING and progress.get("frames"):  # a clip
            text += "\n" + t(lang, "progress.frame", frame=progress.get("frame", 0),
                             frames=progress.get("frames", 0))
        if meta.looked and meta.clip is None and state == ProgressState.RUNNING:
            text += "\n" + t(lang, "look.painting")  # it starts from the photo, not the look
        if meta.print_side is not None:  # a print: its size, and its scale (bot.printing)
            heading = t(lang, "print.heading", side=meta.print_side)
            if state == ProgressState.RUNNING and progress.get("scales"):
                heading += "\n" + t(lang, "print.scale", scale=progress.get("scale", 0),
                                     scales=progress.get("scales", 0))
            text = heading + "\n" + text
        last_at, last_text = self._edits.get(job.id, (0.0, ""))
        now = time.monotonic()
        markup = keyboards.cancel(lang, job.id)
        if state == ProgressState.RUNNING:
            if not self.preview.knows(job.id):
                wanted = (await asyncio.to_thread(self.settings.settings, job.user_id)).previews
                self.preview.begin(job.id, wanted and meta.clip is None)  # no JPEG on a clip
            if self.preview.offer(job.id, status, meta.group, preview, text,
                                  markup, may_edit=now - last_at >= EDIT_EVERY_S):
                self._edits[job.id] = (now, text)
                return
        if text == last_text or now - last_at < EDIT_EVERY_S:
            return
        self._edits[job.id] = (now, text)
        try:
            await status.show(self.bot, text, markup)
        except RetryAfter as exc:  # flood control: skip this one, the next edit will do
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            log.info("progress edit for %s postponed %.0f s by flood control", job.id, seconds)
            self._edits[job.id] = (now + seconds, text)
        except TelegramError as exc:
            log.debug("progress edit for %s failed: %s", job.id, exc)

    async def on_result(self, job: Job, outcome: JobResult) -> None:
        await self.settling.settled(job.id)
        await self.preview.finish(job.id)  # the result's edit is the last one
        self._edits.pop(job.id, None)
        # Before anything is sent: a painting owed back is given back even if the chat
        # is gone, and a delivery redone after a restart finds it given already.
        given_back = self.fair_use.on and FairUse.owes_back(
            outcome.status, outcome.error_code, job.started_at is not None,
            instant=bool((outcome.stats or {}).get("instant"))) \
            and await self.fair_use.give_back(job.id)
        if job.meta is None:  # submitted without the bot's context: nobody to tell
            log.warning("job %s has no meta: its outcome is not delivered", job.id)
            return
        try:
            if outcome.status == ResultStatus.DONE:
                await self._send_artwork(job, job.meta, outcome)
            else:
                await self._send_failure(job, job.meta, outcome, given_back)
        except TelegramError as exc:
            if not (is_chat_gone(exc) or NO_RIGHTS in str(exc).lower()):
                raise
            log.info("job %s: chat %s cannot be reached (%s); outcome dropped", job.id,
                     job.chat_id, exc)
            await self.jobs.cancel_chat(job.chat_id)
        self.metrics.results.labels(outcome.status).inc()
        seconds = outcome.stats.get("seconds")
        if outcome.status == ResultStatus.DONE and isinstance(seconds, int | float):
            self.metrics.job_seconds.observe(seconds)

    def _reply_to(self, job: Job) -> ReplyParameters | None:
        if job.message_id is None:
            return None
        return ReplyParameters(job.message_id, allow_sending_without_reply=True)

    async def _send_artwork(self, job: Job, meta: JobMeta, outcome: JobResult) -> None:
        if meta.print_side is not None:  # a print: files, kept nowhere (bot.print_delivery)
            printed = await send_print(self.bot, job, meta, outcome, StatusMessage.of_job(job),
                                       self._reply_to(job))
            if printed is not None:
                await self._ping_when_ready(job, meta, printed)
            return
        lang, style = meta.lang, meta.style
        jpeg = outcome.jpeg
        assert jpeg is not None, "JobResult refuses a done result without its JPEG"
        stats = outcome.stats or {}
        width, height = (stats.get("size") or Image.open(io.BytesIO(jpeg)).size)
        as_document = outcome.mp4 is None and not fits_as_photo(len(jpeg), width, height)
        caption = done_caption(
            lang, meta.label, round(float(stats.get("seconds", 0)), 1),
            requester=meta.requester if meta.group else None, user_id=job.user_id,
            time_limit_s=(stats.get("time_limit_s") or style.time_budget_s)
            if outcome.partial else None, link=self._deep_link(meta), as_file=as_document,
            instant=bool(stats.get("instant")))
        size = (int(width), int(height))
        await asyncio.to_thread(self.jobs.update_meta, job.id,
                                lambda kept: dataclasses.replace(kept, size=size))
        status = StatusMessage.of_job(job)
        if outcome.mp4 is not None:  # a clip: an animation for a GIF, else a video
            await self.bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_VIDEO)
            kind = "animation" if meta.content.kind == "animation" else "video"
            clip = await deliver(self.bot, job.chat_id, status, ResultMedia(
                kind, outcome.mp4, f"lienzo-{job.id[:8]}.mp4", caption,
                keyboards.clip_result(lang, job.id)), self._reply_to(job), job.id)
            if clip is None:  # the same edit was made before a restart
                return
            played = clip.animation or clip.video  # None: an MP4 Telegram could not play
            if played is not None:
                await asyncio.to_thread(self._keep_artwork, job, meta, played.file_id,
                                        "animation" if clip.animation else "video")
            await self._ping_when_ready(job, meta, clip)
            return
        if outcome.png:
            await asyncio.to_thread(self.artworks.full_size.keep, job.id, outcome.png)
        timelapse = bool(outcome.timelapse) and await asyncio.to_thread(
            self._keep_timelapse, job.id, outcome.timelapse)
        markup = keyboards.result(lang, job.id, style.color_mode, timelapse=timelapse,
                                  instant=bool(stats.get("instant")),
                                  studio_button=keyboards.studio(
                                      lang, self.studio_url, not meta.group, self.bot.username,
                                      "artworks"))
        await self.bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_PHOTO)
        sent = await deliver(self.bot, job.chat_id, status, ResultMedia(
            "document" if as_document else "photo", jpeg, f"lienzo-{job.id[:8]}.jpg", caption,
            markup), self._reply_to(job), job.id)
        if sent is None:  # the same edit was made before a restart
            return
        file_id = (sent.document.file_id if sent.document else None) if as_document else \
            (sent.photo[-1].file_id if sent.photo else None)
        if file_id is not None:  # kept first: /gallery and inline mode have it at once
            # An instant picture the person did not ask for (the painter was offline)
            # must not answer their next request for a painting.
            if meta.cache_key and not outcome.partial and \
                    (meta.style.instant or not stats.get("instant")):
                await asyncio.to_thread(self.results.remember, meta.cache_key,
                                        CachedResult(job.id, file_id, as_document, caption))
            await asyncio.to_thread(self._keep_artwork, job, meta, file_id,
                                    "document" if as_document else "photo")
        if status is not None and status.media:
            await self._ping_when_ready(job, meta, sent)

    async def _ping_when_ready(self, job: Job, meta: JobMeta, artwork: Message) -> None:
        if job.chat_id != job.user_id or time.time() - job.created_at < READY_PING_AFTER_S:
            return  # a group, or its owner is still watching the status message
        if meta.pinged:
            return  # before a restart, which redid the edit
        await asyncio.to_thread(self.jobs.update_meta, job.id,
                                lambda kept: dataclasses.replace(kept, pinged=True))
        try:
            await self.bot.send_message(job.chat_id, t(meta.lang, "done.ready"),
                                        parse_mode=PARSE_MODE,
                                        reply_parameters=ReplyParameters(artwork.message_id))
        except TelegramError as exc:
            log.info("job %s: no 'ready' note (%s)", job.id, exc)

    async def _send_failure(self, job: Job, meta: JobMeta, outcome: JobResult,
                            given_back: bool) -> None:
        lang = meta.lang
        text = t(lang, "cancel.done") if outcome.status == ResultStatus.CANCELLED else \
            error_text(lang, outcome.error_code or "engine_error")
        if given_back:
            text += "\n" + t(lang, "quota.given_back")
        status = StatusMessage.of_job(job)
        if status is not None:
            try:
                await status.show(self.bot, text)
                return
            except BadRequest as exc:
                if is_chat_gone(exc):
                    raise
                if NOT_MODIFIED in str(exc).lower():
                    return
                log.info("job %s: status message not editable (%s); replying", job.id, exc)
        await self.bot.send_message(job.chat_id, text, parse_mode=PARSE_MODE,
                                    reply_parameters=self._reply_to(job))

    def _deep_link(self, meta: JobMeta) -> str | None:
        """The t.me link that opens the bot with this artwork's style(s), if any."""
        ids = meta.style_ids
        return style_link(self.bot.username, ids, split=meta.style.split == "person") \
            if ids else None

    def _keep_artwork(self, job: Job, meta: JobMeta, file_id: str, kind: str) -> None:
        """For inline mode and /gallery: the artwork (``kind``: how it was sent,
        ``bot.stores.artworks.KINDS``), and every name a search for it may use - unless
        its owner said /forget while it was being sent."""
        if self.jobs.status(job.id) is None:
            return
        ids = meta.style_ids
        self.artworks.add(Artwork(job.user_id, job.id, file_id, kind, tuple(ids),
                                  time.time()), self.catalogue.search_names(ids))

    def _keep_timelapse(self, job_id: str, frames: tuple[bytes, ...]) -> bool:
        """The frames on disk for the Timelapse button; a disk that refuses them costs
        the button, never the painting."""
        try:
            self.artworks.timelapses.keep_frames(job_id, frames)
            return True
        except OSError as exc:
            log.warning("job %s: timelapse not kept (%s)", job_id, exc)
            return False
