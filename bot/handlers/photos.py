"""Photos and ``/style``: what to paint, and in which style; ``bot.intake`` does the rest.

In private, a photo with no style asks for one (the gallery, as a reply to the
photo, so that pressing a style finds it); a preselected style, a waiting "own
painting" or a reply to a photo says it already.  In groups the bot answers only
what is addressed to it (``/style@bot`` as a caption or as a reply to a photo).
An album of two or more is a photo and its painting.
"""

from __future__ import annotations

import asyncio

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot import keyboards
from bot.handlers.common import Services, reply, request_error, sender
from bot.request import RequestError, command_target, split_command
from bot.state import Context, Media, user_state
from bot.texts import t

ALBUM_WAIT_S = 1.5  # an album's photos arrive as separate updates within a moment
MEDIA = filters.PHOTO | filters.Document.IMAGE


class Photos:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.intake = services.intake
        self._albums: dict[str, list[Message]] = {}  # media group → its photos so far

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        answering = self.intake.answering
        return [CommandHandler("style", answering(self.style_command), filters=allowed),
                MessageHandler(allowed & MEDIA, answering(self.media))]

    async def style_command(self, update: Update, context: Context) -> None:
        """``/style …`` as text: on a replied-to photo, or preselect for the next photo."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        try:
            request = self.intake.parse(message.text)
        except RequestError as exc:
            await request_error(message, user, lang, exc, self.s.catalog)
            return
        content = Media.of(message.reply_to_message)
        if content is not None:
            await self.intake.submit(message.chat, user, content, request, lang=lang)
            return
        if message.chat.type != ChatType.PRIVATE or not request.styles:
            await reply(message, t(lang, "style.need_photo"))
            return
        user_state(context).preselected = request.text()
        await reply(message, t(lang, "style.chosen", style=self.intake.label(lang, request)))

    async def media(self, update: Update, context: Context) -> None:
        if (who := sender(update)) is None:
            return
        user, message = who
        if message.media_group_id:
            self._collect_album(message, context)
            return
        await self._single_photo(message, user, context)

    async def _single_photo(self, message: Message, user: User, context: Context) -> None:
        lang = await self.s.lang(user)
        content = Media.of(message)
        if content is None:
            return
        caption = message.caption or ""
        command = split_command(caption)
        if command:
            if not command_target(caption, context.bot.username) or command[0].lower() != "style":
                return
            try:
                request = self.intake.parse(caption)
            except RequestError as exc:
                await request_error(message, user, lang, exc, self.s.catalog)
                return
            await self.intake.submit(message.chat, user, content, request, lang=lang)
            return
        if message.chat.type != ChatType.PRIVATE:
            return  # in groups, only what is addressed to the bot
        state = user_state(context)
        waiting, state.own_for = state.own_for, None
        if waiting is not None:  # the "use my own painting" button, then this photo
            await self.intake.submit(message.chat, user, waiting, None, lang=lang,
                                     style_media=content)
            return
        replied = Media.of(message.reply_to_message)
        if replied is not None:  # a painting sent as a reply to the photo
            await self.intake.submit(message.chat, user, replied, None, lang=lang,
                                     style_media=content)
            return
        if state.preselected:
            await self.intake.submit(message.chat, user, content,
                                     self.intake.parse(state.preselected), lang=lang)
            return
        # A reply to the photo: pressing a style finds the photo there.
        await reply(message, t(lang, "gallery.prompt"), do_quote=True,
                    reply_markup=keyboards.gallery(lang, user.id, self.s.catalog))

    def _collect_album(self, message: Message, context: Context) -> None:
        group_id = message.media_group_id or ""
        group = self._albums.setdefault(group_id, [])
        group.append(message)
        if len(group) == 1:
            context.application.create_task(self._album_done(group_id, context))

    async def _album_done(self, group_id: str, context: Context) -> None:
        """Once the album is in: a photo and its painting (one photo: as a single photo)."""
        await asyncio.sleep(ALBUM_WAIT_S)
        parts = sorted(self._albums.pop(group_id, []), key=lambda m: m.message_id)
        first, user = parts[0], parts[0].from_user
        if user is None:
            return
        lang = await self.s.lang(user)
        if len(parts) < 2:
            await self._single_photo(first, user, context)
            return
        content, painting = Media.of(first), Media.of(parts[1])
        if content is None:
            return
        request = None
        captioned = next((m.caption for m in parts if m.caption), "")
        if split_command(captioned):
            if not command_target(captioned, context.bot.username):
                return
        elif first.chat.type != ChatType.PRIVATE:
            return  # in groups, only what is addressed to the bot
            try:
                request = self.intake.parse(captioned)
            except RequestError as exc:
                await request_error(first, user, lang, exc, self.s.catalog)
                return
        await self.intake.submit(first.chat, user, content, request, lang=lang,
                                 style_media=painting, ack=t(lang, "own.album"))
