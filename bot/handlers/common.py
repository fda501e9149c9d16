"""What every handler uses: the bot's collaborators, the user's language, replies,
and the checks every button press goes through."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import CallbackQuery, Chat, InlineKeyboardButton, Message, Update, User

from bot import keyboards
from bot.answering import Answering
from bot.catalogue import Catalogue
from bot.chat_gate import ChatGate
from bot.config import BotConfig
from bot.engine_view import EngineView
from bot.fair_use import FairUse
from bot.forget import Stores
from bot.inbox import Inbox
from bot.instant import InstantPainter
from bot.intake import Intake
from bot.jobs import JobService
from bot.metrics import Metrics
from bot.printing import Prints
from bot.request import RequestError
from bot.state import Callback, Catalog, Context
from bot.stores.artworks import Artworks
from bot.stores.user_settings import SettingsStore, UserSettings
from bot.texts import ALERT_LIMIT, PARSE_MODE, error_text, language_for, t
from engine.errors import UnknownStyle


class Someone(Protocol):
    """A person as Telegram describes them: a chat's ``User``, a Mini App's user."""

    @property
    def id(self) -> int: ...

    @property
    def language_code(self) -> str | None: ...


@dataclass(frozen=True)
class Services:
    """The bot's collaborators, shared by the handlers of every theme: each one
    given here directly (none reached through another)."""

    config: BotConfig
    jobs: JobService
    settings: SettingsStore
    metrics: Metrics
    catalogue: Catalogue  # the styles, a /style request parsed, a request's label
    workers: EngineView  # what the engine workers paint by default
    intake: Intake  # a picture to paint: submit
    answering: Answering  # every handler is registered counted (``bot.answering``)
    inbox: Inbox  # an album's updates kept open until it is handled
    gate: ChatGate  # chats that left
    artworks: Artworks  # what each person has been sent (inline mode)
    kept: Stores  # everything kept about people (/forget)
    instant: InstantPainter  # a queued job painted at once (the painter offline)
    fair_use: FairUse  # free paintings a day, and paid ones (bot.fair_use)
    prints: Prints  # 🖨 Print: a painting at the print side (bot.printing)

    async def settings_of(self, user_id: int) -> UserSettings:
        return await asyncio.to_thread(self.settings.settings, user_id)

    def studio_button(self, lang: str, chat: Chat, bot_username: str, page: str
                      ) -> InlineKeyboardButton | None:
        """"🎨 Studio" for a keyboard in ``chat``, opening ``page`` (None: the studio is off)."""
        return keyboards.studio(lang, self.config.studio_url, chat.type == Chat.PRIVATE,
                                bot_username, page)

    async def lang(self, user: Someone | None) -> str:
        """The user's language: chosen in /settings, else Telegram's, else English (a
        chat's user, or the studio's, ``bot.studio``)."""
        if user is None:
            return "en"
        chosen = (await self.settings_of(user.id)).language
        return chosen or language_for(user.language_code)


async def reply(message: Message, text: str, **kwargs: Any) -> Message:
    """``text`` (HTML) in reply to ``message``."""
    return await message.reply_text(text, parse_mode=PARSE_MODE, **kwargs)


async def request_error(message: Message, user: User, lang: str, exc: RequestError,
                        catalog: Catalog) -> None:
    """A ``/style`` that cannot be read: say why, with buttons for close style names."""
    markup = None
    if isinstance(exc, UnknownStyle) and exc.suggestions:
        markup = keyboards.suggestions(lang, user.id, catalog, exc.suggestions)
    await reply(message, error_text(lang, exc), reply_markup=markup)


def sender(update: Update) -> tuple[User, Message] | None:
    """Who sent the update's message, and the message; None for updates without
    either (a channel post has no user)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    return user, message


async def admin_sender(services: Services, update: Update) -> tuple[User, Message, str] | None:
    """Who sent an admin command, the message and their language - if they are one of
    ``LIENZO_ADMIN_IDS``; anyone else is told it is for admins, and gets None."""
    if (who := sender(update)) is None:
        return None
    user, message = who
    lang = await services.lang(user)
    if user.id not in services.config.admin_ids:
        await reply(message, t(lang, "admin.only"))
        return None
    return user, message, lang


# A button's handler: the query, who pressed, their language, the data's match
# (its verb's pattern in ``bot.callback_data``) and PTB's context.
Press = Callable[[CallbackQuery, User, str, re.Match[str], Context], Coroutine[Any, Any, None]]


async def allowed_press(services: Services, update: Update
                        ) -> tuple[CallbackQuery, User, str] | None:
    """The press, who pressed and their language - unless the chat is not allowed,
    which gets an alert instead."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return None
    lang = await services.lang(user)
    chat = update.effective_chat
    if chat is not None and not services.config.chat_allowed(chat.id):
        await query.answer(error_text(lang, "chat_not_allowed")[:ALERT_LIMIT], show_alert=True)
        return None
    return query, user, lang


def button(services: Services, press: Press) -> Callback:
    """``press`` as a PTB callback for a ``CallbackQueryHandler`` with a pattern,
    counted while it runs (``bot.answering``)."""
    async def callback(update: Update, context: Context) -> None:
        if context.match is None or (pressed := await allowed_press(services, update)) is None:
            return
        query, user, lang = pressed
        await press(query, user, lang, context.match, context)
    return services.answering.counted(callback)


def message_of(query: CallbackQuery) -> Message | None:
    """The message the pressed button is on; None once Telegram no longer gives it."""
    return query.message if isinstance(query.message, Message) else None
