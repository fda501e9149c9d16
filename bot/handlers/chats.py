"""Chats rather than requests: a chat the bot may not serve, the bot leaving or
being blocked, and the error handler (every failure ends in a text, never a
traceback)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, ChatMemberHandler, MessageHandler, filters

from bot.handlers.common import Services, reply
from bot.handlers.photos import MEDIA
from bot.request import command_target
from bot.state import Context
from bot.status import quietly
from bot.texts import PARSE_MODE, error_text

log = logging.getLogger("lienzo.bot")


class Chats:
    def __init__(self, services: Services) -> None:
        self.s = services

    def not_allowed_handler(self, allowed: filters.BaseFilter
                            ) -> BaseHandler[Update, Context, None]:
        """Commands and pictures from a chat outside ``LIENZO_ALLOWED_CHATS``."""
        return MessageHandler(~allowed & (filters.COMMAND | MEDIA),
                              self.s.answering.counted(self.not_allowed))

    def membership_handler(self) -> BaseHandler[Update, Context, None]:
        return ChatMemberHandler(self.s.answering.counted(self.membership),
                                 ChatMemberHandler.MY_CHAT_MEMBER)

    async def not_allowed(self, update: Update, context: Context) -> None:
        """Said in private, or in a group to this bot; anything else is ignored."""
        message = update.effective_message
        if message is None:
            return
        if message.chat.type == ChatType.PRIVATE or \
                command_target(message.text or message.caption, context.bot.username):
            lang = await self.s.lang(update.effective_user)
            await reply(message, error_text(lang, "chat_not_allowed"))

    async def membership(self, update: Update, context: Context) -> None:
        """The bot was blocked (private) or removed (group): close the chat (its jobs
        are cancelled, nothing more is sent).  Added back: ``ChatGate.on_update``."""
        change = update.my_chat_member
        if change is None or \
                change.new_chat_member.status not in (ChatMemberStatus.BANNED,
                                                      ChatMemberStatus.LEFT):
            return
        await self.s.gate.close(change.chat.id, Forbidden(
            f"Forbidden: the bot is {change.new_chat_member.status} in this chat"))

    async def on_error(self, update: object, context: Context) -> None:
        """Log, count, and tell the user something went wrong - never a traceback."""
        error = context.error
        self.s.metrics.telegram_errors.labels(error.__class__.__name__).inc()
        if isinstance(error, TelegramError):
            log.warning("Telegram error: %s: %s", error.__class__.__name__, error)
            chat = update.effective_chat if isinstance(update, Update) else None
            if isinstance(error, Forbidden) and chat is not None:  # e.g. a callback answer
                await self.s.gate.close(chat.id, error)
            return
        log.error("handler failed", exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            lang = await self.s.lang(update.effective_user)
            await quietly(update.effective_chat.send_message(
                error_text(lang, "engine_error"), parse_mode=PARSE_MODE))
