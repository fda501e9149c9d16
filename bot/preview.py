"""The live preview: while a job runs, its status message shows the painting as it
forms (issue 13, "Watch it paint"; docs/architecture.md, "The life of a job").

The worker stores a small JPEG of the current picture every few seconds
(``preview:<job>``); ``bot.delivery`` offers each new one here with the
progress text, and a preview edit replaces the status message's picture with it
(``editMessageMedia``), the progress text as its caption.  Why it is shaped so:

- **It is a progress edit, not an extra one.**  The preview carries the
  progress caption, so it takes the place of the caption edit delivery would
  have made; it adds no call to the chat's budget.
- **Paced per chat type.**  At most every ``PRIVATE_EVERY_S`` in a private
  chat; in a group at most every ``GROUP_EVERY_S`` (20 s): Telegram allows 20
  messages a minute per group, shared by every job there, the results and the
  replies, so one job's previews take at most 3 of them, leaving room for six
  jobs painting at once plus the bot's answers.  Only a picture that changed
  is sent.
- **It never delays the result.**  A preview edit runs as its own task, not in
  the watcher's progress callback (the watcher makes a result wait for that
  callback, and PTB's rate limiter may hold an upload back); ``finish``, which
  delivery calls before the result's edit, cancels the edit in flight and
  closes the job to previews for good: no preview lands after the result.
- **Any error turns it off for that job** (a 400 from Telegram, flood control,
  a network failure): the job's progress goes back to caption edits.
- ``UserSettings.previews`` (/settings) turns it off for a person's jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import TelegramError

from bot.status import StatusMessage
from bot.texts import PARSE_MODE

log = logging.getLogger("lienzo.preview")

PRIVATE_EVERY_S = 5.0
GROUP_EVERY_S = 20.0
FINISHED_KEPT = 4096  # finished jobs remembered, so a late progress event sends nothing


@dataclass
class _Job:
    on: bool  # the person wants previews, and none has failed
    last_at: float = 0.0  # when the last preview edit started (monotonic)
    sent: str = ""  # digest of the last picture sent
    waiting: bytes | None = None  # the newest preview not sent yet
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class LivePreview:
    """The preview edits of every running job (one per bot)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._jobs: dict[str, _Job] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()

    def knows(self, job_id: str) -> bool:
        return job_id in self._jobs

    def begin(self, job_id: str, wanted: bool) -> None:
        """A running job seen for the first time; ``wanted``: its person's setting."""
        if job_id not in self._jobs and job_id not in self._finished:
            self._jobs[job_id] = _Job(on=wanted)

    def offer(self, job_id: str, status: StatusMessage, group: bool, jpeg: bytes | None,
              caption: str, markup: InlineKeyboardMarkup | None, may_edit: bool) -> bool:
        """A progress update with, maybe, a new preview: True if a preview edit (with
        ``caption``) was started, so no caption edit is needed now.  ``may_edit``:
        the message's own pace (one edit every few seconds) allows an edit now."""
        state = self._jobs.get(job_id)
        if state is None or not state.on or not status.media:
            return False
        if jpeg is not None:
            state.waiting = jpeg
        busy = state.task is not None and not state.task.done()
        if not may_edit or state.waiting is None or busy:
            return False
        now = time.monotonic()
        if now - state.last_at < (GROUP_EVERY_S if group else PRIVATE_EVERY_S):
            return False
        digest = hashlib.blake2b(state.waiting, digest_size=16).hexdigest()
        if digest == state.sent:
            state.waiting = None
            return False
        jpeg, state.waiting = state.waiting, None
        state.last_at, state.sent = now, digest
        state.task = asyncio.get_running_loop().create_task(
            self._edit(job_id, state, status, jpeg, caption, markup),
            name=f"lienzo-preview-{job_id}")
        return True

    async def _edit(self, job_id: str, state: _Job, status: StatusMessage, jpeg: bytes,
                    caption: str, markup: InlineKeyboardMarkup | None) -> None:
        media = InputMediaPhoto(jpeg, caption=caption, parse_mode=PARSE_MODE,
                                filename=f"preview-{job_id[:8]}.jpg")
        try:
            await self.bot.edit_message_media(media, chat_id=status.chat_id,
                                              message_id=status.message_id,
                                              reply_markup=markup)
        except Exception as exc:  # TelegramError, or anything else: captions only now
            state.on = False
            level = logging.INFO if isinstance(exc, TelegramError) else logging.WARNING
            log.log(level, "job %s: preview edit failed (%s); progress as captions only",
                    job_id, exc)

    async def finish(self, job_id: str) -> None:
        """The job's outcome is about to be delivered: no preview edit from now on; one
        in flight is cancelled and waited for, so the result's edit is the last."""
        self._finished[job_id] = None
        while len(self._finished) > FINISHED_KEPT:
            self._finished.popitem(last=False)
        state = self._jobs.pop(job_id, None)
        if state is not None and state.task is not None and not state.task.done():
            state.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await state.task
