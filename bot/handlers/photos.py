"""Photos and ``/style``: what to paint, and in which style; ``bot.intake`` does the rest.

In private, a photo with no style asks for one (the style picker, as a reply to the
photo, so that pressing a style finds it); a preselected style, a waiting "own
painting" or a reply to a photo says it already.  In groups the bot answers only
what is addressed to it (``/style@bot`` as a caption or as a reply to a photo).
An album of two or more is a photo and its painting.  A GIF, a video or a
video note goes the same way as a photo (``Media.clip``: painted as a clip).
A file that is not a picture (a PDF, a sticker…) gets one reply saying what
the bot paints (``bot.handlers.unpaintable``), nothing downloaded.
"""

from __future__ import annotations

import asyncio

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot import keyboards
from bot.handlers.common import Services, reply, request_error, sender
from bot.handlers.unpaintable import (
    CLIP,
    CLIPS,
    PICTURES,
    UNPAINTABLE,
    addressed,
    is_picture,
    refusal,
    refuse,
)
from bot.inbox import CURRENT
from bot.request import RequestError, command_target, split_command
from bot.state import Context, Media, user_state
from bot.texts import t

ALBUM_WAIT_S = 1.5  # an album's photos arrive as separate updates within a moment
# Every file the bot answers: a picture to paint, or one it says it cannot paint
# (``bot.handlers.chats`` answers these in chats it may not serve).
MEDIA = PICTURES | CLIPS | UNPAINTABLE


class Photos:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.intake = services.intake
        self._albums: dict[str, list[Message]] = {}  # media group → its parts so far
        self._album_updates: dict[str, list[int]] = {}  # … and their updates, kept open

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        answering = self.s.answering.counted
        # A file already told "cannot paint" is not told again when its caption is edited.
        files = PICTURES | CLIPS | (UNPAINTABLE & ~filters.UpdateType.EDITED)
        return [CommandHandler("style", answering(self.style_command), filters=allowed),
                MessageHandler(allowed & files, answering(self.media))]

    async def style_command(self, update: Update, context: Context) -> None:
        """``/style …`` as text: on a replied-to photo, or preselect for the next photo.

        A reply to a file that is not a picture gets the reply that says so: the
        user meant that file, so neither "reply to a photo" nor a preselection fits."""
        if (who := sender(update)) is None:
            return
        user, message = who
        if (key := refusal(message.reply_to_message)) is not None:
            await refuse(self.s, message, user, key)
            return
        lang = await self.s.lang(user)
        try:
            request = self.s.catalogue.parse(message.text)
        except RequestError as exc:
            await request_error(message, user, lang, exc, self.s.catalogue.styles)
            return
        content = Media.of(message.reply_to_message, clips=True)  # a photo, a GIF, a video
        if content is not None:
            await self.intake.submit(message.chat, user, content, request, lang=lang)
            return
        if message.chat.type != ChatType.PRIVATE or not request.styles:
            await reply(message, t(lang, "style.need_photo"))
            return
        user_state(context).preselected = request.text()
        await reply(message, t(lang, "style.chosen", style=self.s.catalogue.label(lang, request)))

    async def media(self, update: Update, context: Context) -> None:
        if (who := sender(update)) is None:
            return
        user, message = who
        if message.media_group_id:
            self._collect_album(message, context)
            return
        if (key := refusal(message)) is not None:
            if addressed(message, message.caption, context.bot):
                await refuse(self.s, message, user, key)
            return
        await self._single_photo(message, user, context)

    async def _single_photo(self, message: Message, user: User, context: Context,
                            caption: str | None = None) -> None:
        """One picture or clip (``Media.clip``); ``caption``: an album's, where
        it may be on another part."""
        lang = await self.s.lang(user)
        content = Media.of(message, clips=True)
        if content is None:
            return
        caption = (message.caption or "") if caption is None else caption
        command = split_command(caption)
        if command:
            if not command_target(caption, context.bot.username) or command[0].lower() != "style":
                return
            try:
                request = self.s.catalogue.parse(caption)
            except RequestError as exc:
                await request_error(message, user, lang, exc, self.s.catalogue.styles)
                return
            if message.chat.type == ChatType.PRIVATE:
                user_state(context).saw_photo(content)
            await self.intake.submit(message.chat, user, content, request, lang=lang)
            return
        if message.chat.type != ChatType.PRIVATE:
            return  # in groups, only what is addressed to the bot
        state = user_state(context)
        waiting, state.own_for = state.own_for, None
        if waiting is not None and content.clip is None:  # "use my own painting", this photo
            await self.intake.submit(message.chat, user, waiting, None, lang=lang,
                                     style_media=content)
            return
        replied = Media.of(message.reply_to_message) if content.clip is None \
            and refusal(message.reply_to_message) is None else None  # not a GIF, say
        if replied is not None:  # a painting sent as a reply to the photo
            await self.intake.submit(message.chat, user, replied, None, lang=lang,
                                     style_media=content)
            return
        state.saw_photo(content)
        if state.preselected:
            await self.intake.submit(message.chat, user, content,
                                     self.s.catalogue.parse(state.preselected), lang=lang)
            return
        # A reply to the photo: pressing a style finds the photo there.
        prompt = "picker.prompt" if content.clip is None else "picker.prompt_clip"
        await reply(message, t(lang, prompt), do_quote=True,
                    reply_markup=keyboards.picker(lang, user.id, self.s.catalogue.styles,
                                                  studio_button=self.s.studio_button(
                                                      lang, message.chat, context.bot.username,
                                                      "paintings")))

    def _collect_album(self, message: Message, context: Context) -> None:
        """An album's part; each part's update stays open in the inbox until the
        album is handled (a crash in between handles the whole album again)."""
        group_id = message.media_group_id or ""
        group = self._albums.setdefault(group_id, [])
        group.append(message)
        if (origin := CURRENT.get()) is not None:
            self.s.inbox.keep(origin.update_id)
            self._album_updates.setdefault(group_id, []).append(origin.update_id)
        if len(group) == 1:
            context.application.create_task(self._album_done(group_id, context))

    async def _album_done(self, group_id: str, context: Context) -> None:
        await asyncio.sleep(ALBUM_WAIT_S)
        parts = sorted(self._albums.pop(group_id, []), key=lambda m: m.message_id)
        try:
            await self._handle_album(parts, context)
        finally:
            for update_id in self._album_updates.pop(group_id, []):
                await self.s.inbox.release(update_id)

    async def _handle_album(self, parts: list[Message], context: Context) -> None:
        """Once the album is in: a photo and its painting (one photo: as a single photo).

        Its pictures only: an album may mix photos and videos (or documents of any
        kind); one with no picture at all gets the one "cannot paint" reply."""
        first, user = parts[0], parts[0].from_user
        if user is None:
            return
        captioned = next((m.caption for m in parts if m.caption), "")
        pictures = [m for m in parts if is_picture(m)]
        if not pictures:  # a clip in an album: CLIP says to send it on its own
            if addressed(first, captioned, context.bot):
                await refuse(self.s, first, user, refusal(first) or CLIP)
            return
        if len(pictures) < 2:
            await self._single_photo(pictures[0], user, context, caption=captioned)
            return
        lang = await self.s.lang(user)
        content, painting = Media.of(pictures[0]), Media.of(pictures[1])
        if content is None or painting is None:
            return
        request = None
        command = split_command(captioned)
        if command:
            if not command_target(captioned, context.bot.username) or command[0] != "style":
                return
            try:  # styles and options, blended with the second picture
                request = self.s.catalogue.parse(captioned)
            except RequestError as exc:
                await request_error(pictures[0], user, lang, exc, self.s.catalogue.styles)
                return
        elif first.chat.type != ChatType.PRIVATE:
            return  # in groups, only what is addressed to the bot
        await self.intake.submit(first.chat, user, content, request, lang=lang,
                                 style_media=painting, ack=t(lang, "own.album"))
