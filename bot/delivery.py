"""Getting progress and results back to people: the job watcher's callbacks
(docs/architecture.md, "The life of a job").

- The status message (``bot.status``) is the bot's first answer to the photo
  (``Intake.submit``); nothing here touches it before ``Intake._queue`` has
  made it say "queued" (``Intake.settled``).
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
  the user deleted) is the artwork sent as a new message.  The PNG is kept for
  the "full resolution" button, the timelapse's frames (if the worker sent
  them) for the "🎞 Timelapse" button (``Artworks.keep_timelapse``); the result
  cache remembers the file id.
  An edit makes no notification, so in a private chat a painting that took
  ``READY_PING_AFTER_S`` or more (its owner has likely looked away) is
  followed by a one-line "ready" reply to it, which does - at most once
  (``pinged`` in the job's meta, written before it is sent: a delivery redone
  after a restart repeats the edit, never the ping).
- A failure or cancellation becomes the status message's caption.
- A chat that blocked the bot or is gone: the outcome is dropped (the chat
  gate has cancelled the chat's other jobs); any other error propagates so the
  job service retries it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from telegram import Bot, InputMediaDocument, InputMediaPhoto, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot import keyboards
from bot.artworks import Artwork, Artworks
from bot.chat_gate import is_chat_gone
from bot.clip_delivery import deliver_clip
from bot.intake import Intake
from bot.jobs import Job, JobService
from bot.metrics import Metrics
from bot.preview import LivePreview
from bot.request import style_link
from bot.status import NOT_MODIFIED, StatusGone, StatusMessage
from bot.store import BotStore, CachedResult
from bot.texts import LANGUAGES, PARSE_MODE, done_caption, error_text, progress_text, t
from engine.queue import JobResult, ProgressRecord, ProgressState, ResultStatus

log = logging.getLogger("lienzo.delivery")

EDIT_EVERY_S = 3.0
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000  # width + height
READY_PING_AFTER_S = 30.0
NO_RIGHTS = "have no rights"  # a group that muted the bot: nothing to deliver there


def status_of(job: Job) -> StatusMessage | None:
    if job.status_message_id is None:
        return None
    return StatusMessage(job.chat_id, job.status_message_id, bool(job.meta.get("status_media")))


class Delivery:
    def __init__(self, bot: Bot, jobs: JobService, store: BotStore, metrics: Metrics,
                 intake: Intake, artworks: Artworks, results_dir: Path) -> None:
        self.bot = bot
        self.jobs = jobs
        self.store = store
        self.metrics = metrics
        self.intake = intake
        self.artworks = artworks
        self.results_dir = results_dir
        self._edits: dict[str, tuple[float, str]] = {}  # job → (when, text) of the last edit
        self.preview = LivePreview(bot)

    async def on_progress(self, job: Job, progress: ProgressRecord,
                          preview: bytes | None) -> None:
        state = progress.get("state")
        status = status_of(job)
        if status is None or state not in (ProgressState.STARTING, ProgressState.RUNNING,
                                                  ProgressState.FINISHING):
            return
        await self.intake.settled(job.id)
        lang = job.meta.get("lang", "en")
        text = progress_text(lang, progress.get("fraction", 0.0), progress.get("eta_s")) \
            if state == ProgressState.RUNNING else t(lang, f"progress.{state}")
        if state == ProgressState.RUNNING and progress.get("frames"):  # a moving picture
            text += "\n" + t(lang, "progress.frame", frame=progress.get("frame", 0),
                             frames=progress.get("frames", 0))
        last_at, last_text = self._edits.get(job.id, (0.0, ""))
        now = time.monotonic()
        markup = keyboards.cancel(lang, job.id)
        if state == ProgressState.RUNNING:
            if not self.preview.knows(job.id):
                wanted = (await self.intake.settings_of(job.user_id)).previews
                self.preview.begin(job.id, wanted and not job.meta.get("clip"))  # no JPEG on a clip
            if self.preview.offer(job.id, status, bool(job.meta.get("group")), preview, text,
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
        await self.intake.settled(job.id)
        await self.preview.finish(job.id)  # the result's edit is the last one
        self._edits.pop(job.id, None)
        try:
            if outcome.status == ResultStatus.DONE:
                await self._send_artwork(job, outcome)
            else:
                await self._send_failure(job, outcome)
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

    async def _send_artwork(self, job: Job, outcome: JobResult) -> None:
        meta, lang = job.meta, job.meta.get("lang", "en")
        jpeg = outcome.jpeg
        assert jpeg is not None, "JobResult refuses a done result without its JPEG"
        stats = outcome.stats or {}
        width, height = (stats.get("size") or Image.open(io.BytesIO(jpeg)).size)
        as_document = outcome.mp4 is None and (len(jpeg) > PHOTO_MAX_BYTES
                                               or width + height > PHOTO_MAX_SIDES)
        caption = done_caption(
            lang, meta.get("label", ""), round(float(stats.get("seconds", 0)), 1),
            requester=meta.get("requester") if meta.get("group") else None, user_id=job.user_id,
            time_limit_s=(stats.get("time_limit_s") or meta["params"].get("time_budget_s"))
            if outcome.partial else None, link=self._deep_link(meta), as_file=as_document)
        await asyncio.to_thread(self.jobs.update_meta, job.id, size=[width, height])
        if outcome.mp4 is not None:  # a moving picture: bot.clip_delivery, Share its one button
            await self.bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_VIDEO)
            clip = await deliver_clip(self.bot, job, status_of(job), outcome.mp4, caption,
                                      keyboards.clip_result(lang, job.id), self._reply_to(job),
                                      self._delete_status)
            if clip is None:
                return
            moving = clip.animation or clip.video  # None: an MP4 Telegram could not play
            if moving is not None:
                await asyncio.to_thread(self._keep_artwork, job, moving.file_id,
                                        "animation" if clip.animation else "video")
            await self._ping_when_ready(job, clip)
            return
        if outcome.png:
            await asyncio.to_thread(self._keep_png, job.id, outcome.png)
        timelapse = bool(outcome.timelapse) and await asyncio.to_thread(
            self._keep_timelapse, job.id, outcome.timelapse)
        markup = keyboards.result(lang, job.id, meta["params"].get("color_mode", "style"),
                                  timelapse=timelapse)
        await self.bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_PHOTO)
        status = status_of(job)
        if status is not None and status.media:
            sent = await self._edit_into_artwork(job, status, jpeg, caption, markup,
                                                 as_document)
            if sent is None:  # the same edit was made before a restart
                return
        else:
            sent = await self._send_artwork_anew(job, jpeg, caption, markup, as_document)
        file_id = (sent.document.file_id if sent.document else None) if as_document else \
            (sent.photo[-1].file_id if sent.photo else None)
        if file_id is not None:  # kept first: /gallery and inline mode have it at once
            if meta.get("cache_key") and not outcome.partial:
                await asyncio.to_thread(self.store.remember_result, meta["cache_key"],
                                        CachedResult(job.id, file_id, as_document, caption))
            await asyncio.to_thread(self._keep_artwork, job, file_id,
                                    "document" if as_document else "photo")
        if status is not None and status.media:
            await self._ping_when_ready(job, sent)

    async def _edit_into_artwork(self, job: Job, status: StatusMessage, jpeg: bytes,
                                 caption: str, markup: keyboards.Markup, as_document: bool
                                 ) -> Message | None:
        """The status message's picture becomes the artwork; None if it already is
        (the same edit, made before a restart).  A status message that is gone
        (the user deleted it) gets the artwork as a new message instead."""
        name = f"lienzo-{job.id[:8]}.jpg"
        media = InputMediaDocument(jpeg, caption=caption, parse_mode=PARSE_MODE,
                                   filename=name) if as_document else \
            InputMediaPhoto(jpeg, caption=caption, parse_mode=PARSE_MODE, filename=name)
        try:
            edited = await status.become(self.bot, media, markup)
        except StatusGone as exc:
            log.info("job %s: status message gone (%s); sending the artwork anew", job.id, exc)
            return await self._send_artwork_anew(job, jpeg, caption, markup, as_document)
        if edited is None:
            log.info("job %s: artwork was delivered before the restart", job.id)
        return edited

    async def _ping_when_ready(self, job: Job, artwork: Message) -> None:
        if job.chat_id != job.user_id or time.time() - job.created_at < READY_PING_AFTER_S:
            return  # a group, or its owner is still watching the status message
        if job.meta.get("pinged"):
            return  # before a restart, which redid the edit
        await asyncio.to_thread(self.jobs.update_meta, job.id, pinged=True)
        try:
            await self.bot.send_message(job.chat_id, t(job.meta.get("lang", "en"), "done.ready"),
                                        parse_mode=PARSE_MODE,
                                        reply_parameters=ReplyParameters(artwork.message_id))
        except TelegramError as exc:
            log.info("job %s: no 'ready' note (%s)", job.id, exc)

    async def _send_artwork_anew(self, job: Job, jpeg: bytes, caption: str,
                                 markup: keyboards.Markup, as_document: bool) -> Message:
        """The artwork as a new message (no picture to edit), then the status goes."""
        if as_document:
            sent = await self.bot.send_document(
                job.chat_id, jpeg, filename=f"lienzo-{job.id[:8]}.jpg", caption=caption,
                parse_mode=PARSE_MODE, reply_parameters=self._reply_to(job), reply_markup=markup)
        else:
            sent = await self.bot.send_photo(
                job.chat_id, jpeg, caption=caption, parse_mode=PARSE_MODE,
                reply_parameters=self._reply_to(job), reply_markup=markup)
        await self._delete_status(job)
        return sent

    async def _send_failure(self, job: Job, outcome: JobResult) -> None:
        lang = job.meta.get("lang", "en")
        text = t(lang, "cancel.done") if outcome.status == ResultStatus.CANCELLED else \
            error_text(lang, outcome.error_code or "engine_error")
        status = status_of(job)
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

    async def _delete_status(self, job: Job) -> None:
        if job.status_message_id is None:
            return
        try:
            await self.bot.delete_message(job.chat_id, job.status_message_id)
        except TelegramError as exc:
            log.debug("status message of %s not deleted: %s", job.id, exc)

    def _deep_link(self, meta: dict[str, Any]) -> str | None:
        """The t.me link that opens the bot with this artwork's style(s), if any."""
        ids = [str(pair[0]) for pair in meta.get("styles", [])]
        split = meta.get("params", {}).get("split") == "person"
        return style_link(self.bot.username, ids, split=split) if ids else None

    def _keep_artwork(self, job: Job, file_id: str, kind: str) -> None:
        """For inline mode and /gallery: the artwork (``kind``: how it was sent,
        ``bot.artworks.KINDS``), and every name a search for it may use - unless
        its owner said /forget while it was being sent."""
        if self.jobs.status(job.id) is None:
            return
        ids = [str(pair[0]) for pair in job.meta.get("styles", [])]
        catalog = self.intake.catalog
        names = [name for i in ids if i in catalog for name in catalog[i].names] or \
            [t(lang, "style.own") for lang in LANGUAGES]
        self.artworks.add(Artwork(job.user_id, job.id, file_id, kind, tuple(ids),
                                  time.time()), names)

    def _keep_timelapse(self, job_id: str, frames: tuple[bytes, ...]) -> bool:
        """The frames on disk for the Timelapse button; a disk that refuses them costs
        the button, never the painting."""
        try:
            self.artworks.keep_timelapse(job_id, frames)
            return True
        except OSError as exc:
            log.warning("job %s: timelapse not kept (%s)", job_id, exc)
            return False

    def _keep_png(self, job_id: str, png: bytes) -> None:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.results_dir / f".{job_id}.png.tmp"
        tmp.write_bytes(png)
        tmp.replace(self.results_dir / f"{job_id}.png")
