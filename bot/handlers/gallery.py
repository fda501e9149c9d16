"""/gallery: the person's own artworks, one per page, newest first (issue #11).

One message: the artwork (a photo, or a document when it was delivered as a
file), captioned "🖼 1 of N — <style> · <date>", with ◀ / ▶ (wrapping) and the
artwork's ways to paint again - another style, softer, stronger (the result
buttons' verbs, ``bot.handlers.buttons``), a new seed (``r:seed``) - delete, and
🖨 Print (``r:print``, ``bot.printing``).
Turning a page edits the message's media (``editMessageMedia``, which switches
between photo and document as needed).

Artworks are read from ``services.artworks`` (``bot.stores.artworks``), each press
afresh, as the presser's own: the page buttons carry only a page number, and
delete removes only the presser's row, so nobody sees or deletes anyone else's.
The gallery is private: in a group /gallery answers with a short note and a
button that opens the private chat on ``/start gallery``
(``bot.handlers.commands``), which opens it there.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaAnimation,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callback_data as data
from bot import keyboards
from bot.handlers.common import Services, button, message_of, reply, sender
from bot.state import Context
from bot.status import quietly
from bot.stores.artworks import Artwork
from bot.texts import PARSE_MODE, style_label, t

START = "gallery"  # ``/start gallery``: the group note's button lands here
MOST = 1000  # artworks a gallery pages through (the newest; retention bounds them anyway)


class Gallery:
    def __init__(self, services: Services) -> None:
        self.s = services

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        return [CommandHandler("gallery", self.s.answering.counted(self.command),
                               filters=allowed)]

    def button_handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return [CallbackQueryHandler(button(self.s, self.page), pattern=data.ARTWORKS_PAGE),
                CallbackQueryHandler(button(self.s, self.delete), pattern=data.ARTWORKS_DELETE)]

    # -- /gallery -------------------------------------------------------------------------
    async def command(self, update: Update, context: Context) -> None:
        """/gallery (and ``/start gallery``): the first page in a private chat, a note
        with a link to the private chat anywhere else."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        if message.chat.type != ChatType.PRIVATE:
            url = f"https://t.me/{context.bot.username}?start={START}"
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(t(lang, "button.open_gallery"), url=url)]])
            await reply(message, t(lang, "artworks.private_only"), reply_markup=markup)
            return
        self.s.metrics.gallery_opens.inc()
        found = await self._artworks(user.id)
        if not found:
            await reply(message, t(lang, "artworks.empty"))
            return
        caption, markup = self._page(lang, found, 0)
        art = found[0]
        shown: dict[str, Any] = dict(caption=caption, parse_mode=PARSE_MODE, reply_markup=markup)
        if art.kind == "animation":
            await message.reply_animation(art.file_id, **shown)
        elif art.kind == "video":
            await message.reply_video(art.file_id, **shown)
        elif art.kind == "document":
            await message.reply_document(art.file_id, **shown)
        else:
            await message.reply_photo(art.file_id, **shown)

    # -- its buttons ----------------------------------------------------------------------
    async def page(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                   context: Context) -> None:
        """◀ / ▶: the presser's artwork number ``page``."""
        if not await self._own_chat(query, user, lang):
            return
        await query.answer()
        await self._show(query, user, lang, data.read_page(match))

    async def delete(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                     context: Context) -> None:
        """🗑: the artwork leaves the store (so inline mode at once), then the page that
        took its place - or "no paintings" when it was the last."""
        if not await self._own_chat(query, user, lang):
            return
        deleted = await asyncio.to_thread(self.s.artworks.delete, user.id, data.read_job(match))
        if not deleted:  # gone already (another press, retention): just show what is there
            await query.answer(t(lang, "alert.expired"), show_alert=True)
        else:
            await query.answer(t(lang, "alert.deleted"))
        await self._show(query, user, lang, data.read_page(match))

    async def _own_chat(self, query: CallbackQuery, user: User, lang: str) -> bool:
        """A gallery lives in its owner's private chat (chat id = user id)."""
        message = message_of(query)
        if message is not None and message.chat.id == user.id:
            return True
        await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        return False

    async def _show(self, query: CallbackQuery, user: User, lang: str, number: int) -> None:
        """The gallery message becomes page ``number`` (wrapping) of the presser's artworks."""
        message = message_of(query)
        if message is None:
            return
        found = await self._artworks(user.id)
        if not found:  # a picture cannot be edited into text: replace the message
            await quietly(message.delete())
            await message.chat.send_message(t(lang, "artworks.empty"), parse_mode=PARSE_MODE)
            return
        number %= len(found)
        caption, markup = self._page(lang, found, number)
        art = found[number]
        kind = {"photo": InputMediaPhoto, "document": InputMediaDocument,
                "animation": InputMediaAnimation, "video": InputMediaVideo}[art.kind]
        media = kind(art.file_id, caption=caption, parse_mode=PARSE_MODE)
        await quietly(message.edit_media(media, reply_markup=markup))  # "not modified": fine

    # -- pages ----------------------------------------------------------------------------
    async def _artworks(self, user_id: int) -> list[Artwork]:
        return await asyncio.to_thread(self.s.artworks.of_user, user_id, "", 0, MOST)

    def _page(self, lang: str, found: list[Artwork], number: int
              ) -> tuple[str, InlineKeyboardMarkup]:
        art = found[number]
        styles = self.s.catalogue.known(art.styles)
        date = datetime.fromtimestamp(art.created_at, UTC).strftime("%Y-%m-%d")
        caption = t(lang, "artworks.caption", index=number + 1, count=len(found),
                    style=style_label(lang, styles or None), date=date)
        return caption, keyboards.artworks(lang, art.job_id, number, len(found),
                                           repaint=art.kind in ("photo", "document"))
