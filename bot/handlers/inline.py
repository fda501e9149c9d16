"""Inline mode: ``@bot`` in any chat lists the person's own artworks, to send one
there (issue #11, "Share and keep").

Only the asker's artworks, ever (``is_personal``, a short cache time), newest
first, as cached photos (documents for pictures sent as files, MPEG-4 GIFs and
videos for painted clips): Telegram has the files already, nothing is
uploaded.  Text after ``@bot`` narrows them by style (an id, or its name in
either language); the Share button under an artwork fills in that artwork's
job id, which finds exactly that one.  Pages of
``PAGE`` results, ``next_offset`` the next page's start.  Nothing to show: a
button that opens the private chat (``start=inline``) instead.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    InlineQueryResultCachedDocument,
    InlineQueryResultCachedMpeg4Gif,
    InlineQueryResultCachedPhoto,
    InlineQueryResultCachedVideo,
    InlineQueryResultsButton,
    Update,
)
from telegram.ext import BaseHandler, ChosenInlineResultHandler, InlineQueryHandler

from bot.handlers.common import Services
from bot.request import style_link
from bot.state import Context
from bot.stores.artworks import Artwork
from bot.texts import PARSE_MODE, style_label, t

log = logging.getLogger("lienzo.inline")

PAGE = 50  # Telegram's most results per answer
CACHE_S = 10  # short: a new or deleted artwork shows at once
EMPTY_START = "inline"  # the empty answer's button opens /start inline


class Inline:
    def __init__(self, services: Services) -> None:
        self.s = services

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return [InlineQueryHandler(self.s.answering.counted(self.answer)),
                ChosenInlineResultHandler(self.s.answering.counted(self.chosen))]

    async def answer(self, update: Update, context: Context) -> None:
        query = update.inline_query
        if query is None:
            return
        lang = await self.s.lang(query.from_user)
        offset = int(query.offset) if query.offset.isdigit() else 0
        found = await asyncio.to_thread(self.s.artworks.of_user, query.from_user.id,
                                        query.query.strip(), offset, PAGE + 1)
        results = [self._result(lang, a, context.bot.username) for a in found[:PAGE]]
        button = None
        if not results and not offset:
            button = InlineQueryResultsButton(t(lang, "button.inline_empty"),
                                              start_parameter=EMPTY_START)
        await query.answer(results, cache_time=CACHE_S, is_personal=True,
                           next_offset=str(offset + PAGE) if len(found) > PAGE else "",
                           button=button)
        self.s.metrics.inline_queries.inc()

    def _result(self, lang: str, artwork: Artwork, bot_username: str
                ) -> (InlineQueryResultCachedPhoto | InlineQueryResultCachedDocument
                      | InlineQueryResultCachedMpeg4Gif | InlineQueryResultCachedVideo):
        styles = self.s.catalogue.known(artwork.styles)
        label = style_label(lang, styles if styles else None)
        caption = t(lang, "inline.caption", style=label, bot_username=bot_username)
        if artwork.styles:  # the shared picture brings people to the bot, style chosen
            caption += "\n" + t(lang, "done.deep_link",
                                 url=style_link(bot_username, artwork.styles))
        if artwork.kind == "document":
            return InlineQueryResultCachedDocument(artwork.job_id, title=label,
                                                   document_file_id=artwork.file_id,
                                                   caption=caption, parse_mode=PARSE_MODE)
        if artwork.kind == "animation":
            return InlineQueryResultCachedMpeg4Gif(artwork.job_id, artwork.file_id, title=label,
                                                   caption=caption, parse_mode=PARSE_MODE)
        if artwork.kind == "video":
            return InlineQueryResultCachedVideo(artwork.job_id, artwork.file_id, title=label,
                                                caption=caption, parse_mode=PARSE_MODE)
        return InlineQueryResultCachedPhoto(artwork.job_id, artwork.file_id, title=label,
                                            caption=caption, parse_mode=PARSE_MODE)

    async def chosen(self, update: Update, context: Context) -> None:
        """An artwork sent through inline mode (when BotFather's inline feedback is on)."""
        if update.chosen_inline_result is not None:
            self.s.metrics.shares.inc()
