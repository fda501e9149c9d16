"""A job's status message: the bot's first answer to a photo, which becomes the
painting (docs/architecture.md, "The life of a job").

It is the user's own photo sent back (by its Telegram file id: nothing is
uploaded) with "⏳ Got it…" as the caption; the caption then says "queued",
the progress, or what went wrong, and at the end the picture itself is
replaced by the artwork (``editMessageMedia``).  Delivering by editing a
message the bot already owns is what makes delivery exactly-once: repeating
the edit after a crash changes nothing the user can see, where sending again
would send twice.

A clip is sent back the same way (``sendAnimation`` for a GIF, ``sendVideo``
for a video, by file id) and becomes the painted MP4.  A video note cannot
carry a caption, so its status is a text and its painting a new video message.

A text status (sending the picture back failed) is the fallback: its
captions are texts, and its result is sent as a new message.

``deliver`` is the one door for a result, a photo's or a clip's alike: the
status message's picture replaced ("not modified" means it was, before a
restart; "not found" means the user deleted it, so the result is sent anew;
a chat that is gone raises), or - no picture to edit - the result sent as a
new message and the status deleted.  ``Settling`` keeps delivery off a status
message until intake has made it say "queued".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    Chat,
    InlineKeyboardMarkup,
    InputMedia,
    InputMediaAnimation,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest, TelegramError

from bot.chat_gate import is_chat_gone
from bot.inbox import StatusRef
from bot.state import Media
from bot.texts import PARSE_MODE

if TYPE_CHECKING:  # bot.jobs reads no status message: only the annotation is needed
    from bot.jobs import Job

log = logging.getLogger("lienzo.status")

NOT_MODIFIED = "message is not modified"


class StatusGone(Exception):
    """The status message is not there to edit (the user deleted it): the
    result goes out as a new message instead."""


async def quietly(call: Awaitable[Any]) -> None:
    """A call whose failure changes nothing for anyone (an edit "not modified", a
    message already gone): logged, never raised."""
    try:
        await call
    except TelegramError as exc:
        log.debug("ignored: %s", exc)


@dataclass(frozen=True)
class StatusMessage:
    chat_id: int
    message_id: int
    media: bool  # a photo or document: its caption is the status

    @classmethod
    def of(cls, ref: StatusRef) -> StatusMessage:
        return cls(ref.chat_id, ref.message_id, ref.media)

    @classmethod
    def of_job(cls, job: Job) -> StatusMessage | None:
        """A job's status message, as its row and meta name it (None: it has none)."""
        if job.meta is None or job.status_message_id is None:
            return None
        return cls(job.chat_id, job.status_message_id, job.meta.status_media)

    @property
    def ref(self) -> StatusRef:
        return StatusRef(self.chat_id, self.message_id, self.media)

    async def show(self, bot: Bot, text: str,
                   reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """The status says ``text`` (an omitted keyboard is removed, as Telegram does)."""
        kwargs: dict[str, Any] = dict(chat_id=self.chat_id, message_id=self.message_id,
                                      parse_mode=PARSE_MODE, reply_markup=reply_markup)
        if self.media:
            await bot.edit_message_caption(caption=text, **kwargs)
        else:
            await bot.edit_message_text(text, **kwargs)

    async def become(self, bot: Bot, media: InputMedia,
                     reply_markup: InlineKeyboardMarkup | None = None) -> Message | None:
        """The status message's picture replaced by the result; None when it
        already is (the same edit, made before a restart: "not modified").
        Raises ``StatusGone`` when the message was deleted; a chat that is gone
        (blocked, kicked) raises as Telegram said it."""
        try:
            edited = await bot.edit_message_media(media, chat_id=self.chat_id,
                                                  message_id=self.message_id,
                                                  reply_markup=reply_markup)
        except BadRequest as exc:
            reason = str(exc).lower()
            if NOT_MODIFIED in reason:
                return None
            if is_chat_gone(exc) or "not found" not in reason:
                raise
            raise StatusGone(str(exc)) from exc
        return edited if isinstance(edited, Message) else None

    async def delete(self, bot: Bot) -> None:
        """The status message goes (the result came as a new message); a failure is
        only logged: a status left behind costs nothing."""
        try:
            await bot.delete_message(self.chat_id, self.message_id)
        except TelegramError as exc:
            log.debug("status message %s not deleted: %s", self.message_id, exc)


@dataclass(frozen=True)
class ResultMedia:
    """A result as Telegram takes it: a photo, a document (a photo over Telegram's
    limits, or a print), an animation (a painted GIF, looping silently as the GIF did)
    or a video, with its caption and buttons (None: none, as a print has)."""

    kind: str  # "photo", "document", "animation" or "video"
    data: bytes
    filename: str
    caption: str
    markup: InlineKeyboardMarkup | None

    def input_media(self) -> InputMedia:
        """For ``editMessageMedia``: the status message's picture replaced."""
        shown: dict[str, Any] = dict(caption=self.caption, parse_mode=PARSE_MODE,
                                     filename=self.filename)
        if self.kind == "animation":
            return InputMediaAnimation(self.data, **shown)
        if self.kind == "video":
            return InputMediaVideo(self.data, supports_streaming=True, **shown)
        if self.kind == "document":
            return InputMediaDocument(self.data, **shown)
        return InputMediaPhoto(self.data, **shown)

    async def send(self, bot: Bot, chat_id: int, reply_to: ReplyParameters | None) -> Message:
        """As a new message, where there is no picture to edit."""
        shown: dict[str, Any] = dict(caption=self.caption, parse_mode=PARSE_MODE,
                                     reply_parameters=reply_to, reply_markup=self.markup)
        if self.kind == "animation":
            return await bot.send_animation(chat_id, self.data, filename=self.filename, **shown)
        if self.kind == "video":
            return await bot.send_video(chat_id, self.data, filename=self.filename,
                                        supports_streaming=True, **shown)
        if self.kind == "document":
            return await bot.send_document(chat_id, self.data, filename=self.filename, **shown)
        return await bot.send_photo(chat_id, self.data, **shown)


async def deliver(bot: Bot, chat_id: int, status: StatusMessage | None, result: ResultMedia,
                  reply_to: ReplyParameters | None, job_id: str) -> Message | None:
    """The result in the chat, exactly once: the message it is in, or None when the
    status message already shows it (the same edit, made before a restart).

    A status message with a picture becomes the result; one that is gone, a text
    status, or none at all: the result is sent as a new message, then the status
    message (if any) is deleted.  A chat that is gone raises as Telegram said."""
    if status is not None and status.media:
        try:
            edited = await status.become(bot, result.input_media(), result.markup)
        except StatusGone as exc:
            log.info("job %s: status message gone (%s); sending the result anew", job_id, exc)
        else:
            if edited is None:
                log.info("job %s: result was delivered before the restart", job_id)
            return edited
    sent = await result.send(bot, chat_id, reply_to)
    if status is not None:
        await status.delete(bot)
    return sent


class Settling:
    """Jobs whose status message intake is still making say "queued": delivery waits
    (``settled``) before it touches one, so that a worker's first progress - or a
    failure - is never overwritten by "queued"."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}  # job → set once it says "queued"

    def begin(self, job_id: str) -> None:
        self._events[job_id] = asyncio.Event()

    def end(self, job_id: str) -> None:
        self._events.pop(job_id).set()

    async def settled(self, job_id: str) -> None:
        """Until intake is done with the job's status message (at once if it is)."""
        event = self._events.get(job_id)
        if event is not None:
            await event.wait()


async def send_status(chat: Chat, content: Media, text: str,
                      reply_to: ReplyParameters) -> StatusMessage:
    """The user's picture back, captioned ``text``; a text message if Telegram
    will not take the picture back (then the result comes as a new message)."""
    message: Message
    kwargs: dict[str, Any] = dict(caption=text, parse_mode=PARSE_MODE, reply_parameters=reply_to)
    try:
        if content.kind == "photo":
            message = await chat.send_photo(content.file_id, **kwargs)
        elif content.kind == "animation":
            message = await chat.send_animation(content.file_id, **kwargs)
        elif content.kind == "video":
            message = await chat.send_video(content.file_id, **kwargs)
        elif content.kind == "video_note":  # no caption on a video note: a text status
            return await _text_status(chat, text, reply_to)
        else:
            message = await chat.send_document(content.file_id, **kwargs)
        return StatusMessage(chat.id, message.message_id, media=True)
    except BadRequest as exc:
        if is_chat_gone(exc):
            raise  # nothing else would get through either
        log.info("status as a picture refused (%s); as text", exc)
    return await _text_status(chat, text, reply_to)


async def _text_status(chat: Chat, text: str, reply_to: ReplyParameters) -> StatusMessage:
    message = await chat.send_message(text, parse_mode=PARSE_MODE, reply_parameters=reply_to)
    return StatusMessage(chat.id, message.message_id, media=False)
