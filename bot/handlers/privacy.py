"""/privacy and /forget (issue #11): what the bot keeps about a person, and erasing it.

``/privacy`` says what is kept, for how long and how to erase it.  ``/forget``
(in private only: in a group it says so) asks first, with "Yes, forget me" and
"Cancel" buttons that only the asker may press; yes erases everything
(``bot.forget``: jobs, results, cached file ids, settings, artworks, recorded
updates, PNGs), resets the in-memory conversation state and says so.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from telegram import CallbackQuery, Update, User
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callback_data as data
from bot import forget, keyboards
from bot.handlers.common import Services, button, message_of, reply, sender
from bot.state import Context, UserState, user_state
from bot.status import quietly
from bot.texts import PARSE_MODE, t

log = logging.getLogger("lienzo.privacy")


class Privacy:
    def __init__(self, services: Services) -> None:
        self.s = services

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        return [CommandHandler(name, self.s.answering.counted(callback), filters=allowed)
                for name, callback in (("privacy", self.privacy), ("forget", self.forget))]

    def button_handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return [CallbackQueryHandler(button(self.s, press), pattern=pattern)
                for pattern, press in ((data.FORGET_YES, self.yes), (data.FORGET_NO, self.no))]

    async def privacy(self, update: Update, context: Context) -> None:
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        text = t(lang, "privacy.text", days=self.s.config.retention_days)
        if self.s.fair_use.on:  # what the ledger keeps, only where there is one in use
            text += "\n\n" + t(lang, "privacy.payments", days=self.s.config.retention_days)
        await reply(message, text)

    async def forget(self, update: Update, context: Context) -> None:
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        if message.chat.type != ChatType.PRIVATE:
            await reply(message, t(lang, "forget.private_only", bot_username=context.bot.username))
            return
        await reply(message, t(lang, "forget.confirm"),
                    reply_markup=keyboards.forget(lang, user.id))

    # -- the confirmation's buttons ---------------------------------------------------------
    async def yes(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                  context: Context) -> None:
        if not await self._is_owner(query, match, user, lang):
            return
        forgotten = await forget.forget(self.s.kept, user.id)
        log.info("forgot a user: %s", forgotten)
        reset(user_state(context))
        await query.answer()
        await self._edit(query, t(lang, "forget.done"))

    async def no(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                 context: Context) -> None:
        if not await self._is_owner(query, match, user, lang):
            return
        await query.answer()
        await self._edit(query, t(lang, "forget.kept"))

    @staticmethod
    async def _is_owner(query: CallbackQuery, match: re.Match[str], user: User,
                        lang: str) -> bool:
        if data.read_owner(match) == user.id:
            return True
        await query.answer(t(lang, "alert.not_yours"), show_alert=True)
        return False

    @staticmethod
    async def _edit(query: CallbackQuery, text: str) -> None:
        if (message := message_of(query)) is not None:
            await quietly(message.edit_text(text, parse_mode=PARSE_MODE))


def reset(state: UserState) -> None:
    """Every field of the conversation state back to its default."""
    for field in dataclasses.fields(state):
        if field.default_factory is not dataclasses.MISSING:
            setattr(state, field.name, field.default_factory())
        else:
            setattr(state, field.name, field.default)
