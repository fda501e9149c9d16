"""A job's status message: the bot's first answer to a photo, which becomes the
painting (docs/architecture.md, "The life of a job").

It is the user's own photo sent back (by its Telegram file id: nothing is
uploaded) with "⏳ Got it…" as the caption; the caption then says "queued",
the progress, or what went wrong, and at the end the picture itself is
replaced by the artwork (``editMessageMedia``).  Delivering by editing a
message the bot already owns is what makes delivery exactly-once: repeating
the edit after a crash changes nothing the user can see, where sending again
would send twice.

A moving picture is sent back the same way (``sendAnimation`` for a GIF,
``sendVideo`` for a video, by file id) and becomes the painted MP4
(``bot.clip_delivery``).  A video note cannot carry a caption, so its status
is a text and its painting a new video message.

A text status (sending the picture back failed) is the fallback: its
captions are texts, and its result is sent as a new message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Chat, InlineKeyboardMarkup, InputMedia, Message, ReplyParameters
from telegram.error import BadRequest

from bot.chat_gate import is_chat_gone
from bot.inbox import StatusRef
from bot.state import Media
from bot.texts import PARSE_MODE

log = logging.getLogger("lienzo.status")

NOT_MODIFIED = "message is not modified"


class StatusGone(Exception):
    """The status message is not there to edit (the user deleted it): the
    result goes out as a new message instead."""


@dataclass(frozen=True)
class StatusMessage:
    chat_id: int
    message_id: int
    media: bool  # a photo or document: its caption is the status

    @classmethod
    def of(cls, ref: StatusRef) -> StatusMessage:
        return cls(ref.chat_id, ref.message_id, ref.media)

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
