"""Getting progress and results back to people: the job watcher's callbacks
(docs/architecture.md, "The life of a job").

- The status message is the bot's first answer to the photo (``Intake.submit``);
  nothing here touches it before ``Intake._queue`` has made it say "queued"
  (``Intake.settled``).
- Progress edits the job's status message: a bar with percent and ETA, at most
  every ``EDIT_EVERY_S`` seconds per message and only when the text changes
  (Telegram's flood limits; ``RetryAfter`` is honoured by PTB's AIORateLimiter).
  A progress edit that fails is dropped: the next one carries newer news.
- A result is sent once: the artwork as a photo replying to the original
  message (as a file when it breaks the photo limits), with its buttons; the
  PNG is kept for the "full resolution" button; the status message goes away;
  the result cache remembers it.  A failure or cancellation replaces the status
  text.  If the user blocked the bot or the chat is gone, the outcome is dropped
  (and the chat's other jobs cancelled); any other error propagates so the job
  service retries it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import timedelta
from pathlib import Path

from PIL import Image
from telegram import Bot, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import keyboards
from bot.intake import Intake
from bot.jobs import Job, JobService
from bot.metrics import Metrics
from bot.store import BotStore, CachedResult
from bot.texts import PARSE_MODE, done_caption, error_text, progress_text, t
from engine.queue import JobResult, ProgressRecord

log = logging.getLogger("lienzo.delivery")

EDIT_EVERY_S = 3.0
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDES = 10_000  # width + height
CHAT_GONE = ("chat not found", "bot was kicked", "user is deactivated", "have no rights")


class Delivery:
    def __init__(self, bot: Bot, jobs: JobService, store: BotStore, metrics: Metrics,
                 intake: Intake, results_dir: Path) -> None:
        self.bot = bot
        self.jobs = jobs
        self.store = store
        self.metrics = metrics
        self.intake = intake
        self.results_dir = results_dir
        self._edits: dict[str, tuple[float, str]] = {}  # job → (when, text) of the last edit

    async def on_progress(self, job: Job, progress: ProgressRecord,
                          preview: bytes | None) -> None:
        state = progress.get("state")
        if job.status_message_id is None or state not in ("starting", "running", "finishing"):
            return
        await self.intake.settled(job.id)
        lang = job.meta.get("lang", "en")
        text = progress_text(lang, progress.get("fraction", 0.0), progress.get("eta_s")) \
            if state == "running" else t(lang, f"progress.{state}")
        last_at, last_text = self._edits.get(job.id, (0.0, ""))
        now = time.monotonic()
        if text == last_text or now - last_at < EDIT_EVERY_S:
            return
        self._edits[job.id] = (now, text)
        try:
            await self.bot.edit_message_text(
                text, chat_id=job.chat_id, message_id=job.status_message_id,
                parse_mode=PARSE_MODE, reply_markup=keyboards.cancel(lang, job.id))
        except RetryAfter as exc:  # flood control: skip this one, the next edit will do
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            log.info("progress edit for %s postponed %ss by flood control", job.id, wait)
            self._edits[job.id] = (now + seconds, text)
        except TelegramError as exc:
            log.debug("progress edit for %s failed: %s", job.id, exc)

    async def on_result(self, job: Job, outcome: JobResult) -> None:
        await self.intake.settled(job.id)
        self._edits.pop(job.id, None)
        try:
            if outcome.status == "done":
                await self._send_artwork(job, outcome)
            else:
                await self._send_failure(job, outcome)
        except Forbidden as exc:
            await self._chat_gone(job, exc)
        except BadRequest as exc:
            if not any(reason in str(exc).lower() for reason in CHAT_GONE):
                raise
            await self._chat_gone(job, exc)
        self.metrics.results.labels(outcome.status).inc()
        seconds = outcome.stats.get("seconds")
        if outcome.status == "done" and isinstance(seconds, int | float):
            self.metrics.job_seconds.observe(seconds)

    async def _chat_gone(self, job: Job, exc: TelegramError) -> None:
        log.info("job %s: cannot reach chat %s (%s); dropping its jobs", job.id, job.chat_id, exc)
        self.metrics.telegram_errors.labels(exc.__class__.__name__).inc()
        await self.jobs.cancel_chat(job.chat_id)

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
        caption = done_caption(
            lang, meta.get("label", ""), round(float(stats.get("seconds", 0)), 1),
            requester=meta.get("requester") if meta.get("group") else None, user_id=job.user_id,
            time_limit_s=meta["params"].get("time_budget_s") if outcome.partial else None)
        as_document = len(jpeg) > PHOTO_MAX_BYTES or width + height > PHOTO_MAX_SIDES
        if as_document:
            caption += "\n" + t(lang, "done.as_file")
        if outcome.png:
            await asyncio.to_thread(self._keep_png, job.id, outcome.png)
        await asyncio.to_thread(self.jobs.update_meta, job.id, size=[width, height])
        markup = keyboards.result(lang, job.id, meta["params"].get("color_mode", "style"))
        await self.bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_PHOTO)
        if as_document:
            sent = await self.bot.send_document(
                job.chat_id, jpeg, filename=f"lienzo-{job.id[:8]}.jpg", caption=caption,
                parse_mode=PARSE_MODE, reply_parameters=self._reply_to(job), reply_markup=markup)
            file_id = sent.document.file_id if sent.document else None
        else:
            sent = await self.bot.send_photo(
                job.chat_id, jpeg, caption=caption, parse_mode=PARSE_MODE,
                reply_parameters=self._reply_to(job), reply_markup=markup)
            file_id = sent.photo[-1].file_id
        if meta.get("cache_key") and file_id and not outcome.partial:
            await asyncio.to_thread(self.store.remember_result, meta["cache_key"],
                                    CachedResult(job.id, file_id, as_document, caption))
        await self._delete_status(job)

    async def _send_failure(self, job: Job, outcome: JobResult) -> None:
        lang = job.meta.get("lang", "en")
        text = t(lang, "cancel.done") if outcome.status == "cancelled" else \
            error_text(lang, outcome.error_code or "engine_error")
        if job.status_message_id is not None:
            try:
                await self.bot.edit_message_text(text, chat_id=job.chat_id,
                                                 message_id=job.status_message_id,
                                                 parse_mode=PARSE_MODE)
                return
            except BadRequest as exc:
                if any(reason in str(exc).lower() for reason in CHAT_GONE):
                    raise
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

    def _keep_png(self, job_id: str, png: bytes) -> None:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.results_dir / f".{job_id}.png.tmp"
        tmp.write_bytes(png)
        tmp.replace(self.results_dir / f"{job_id}.png")
