"""What people do in Telegram, as python-telegram-bot handlers, by theme
(docs/architecture.md, "Processes"):

- ``commands``: /start, /help, /styles, /status, /cancel, /stats;
- ``photos``: photos, albums and /style - what to paint (``bot.intake`` does the rest);
  ``unpaintable``: files it cannot paint (PDFs, videos, stickers…), one reply each;
- ``buttons``: the style picker's, a job's and an artwork's buttons, one handler per
  verb of ``bot.callback_data``;
- ``settings``: /settings and its panel's buttons;
- ``gallery``: /gallery, the person's own artworks, and its buttons;
- ``privacy``: /privacy, and /forget with its confirmation's buttons;
- ``payments``: packs paid in Stars (their buttons, invoices, pre-checkout,
  payments, refunds), /balance, /paysupport, the admins' /refund;
- ``chats``: chats not allowed, the bot blocked or removed, the error handler.

No handler waits for the engine, nor for a download; each is counted while it
runs (``Intake.answering``).  Every text comes from ``bot.texts`` in the user's
language; every failure a user can cause ends in one of those texts.
"""

from __future__ import annotations

from telegram.ext import filters

from bot.handlers.buttons import Buttons
from bot.handlers.chats import Chats
from bot.handlers.commands import Commands
from bot.handlers.common import Services
from bot.handlers.gallery import Gallery
from bot.handlers.inline import Inline
from bot.handlers.payments import Payments
from bot.handlers.photos import Photos
from bot.handlers.privacy import Privacy
from bot.handlers.settings import Settings
from bot.state import LienzoApp

__all__ = ["Services", "register"]


def register(application: LienzoApp, services: Services) -> None:
    """Add every handler, in the order PTB tries them (the first that matches runs)."""
    allowed = _allowed_chats(services)
    chats, buttons, settings = Chats(services), Buttons(services), Settings(services)
    photos, gallery = Photos(services), Gallery(services)
    privacy, payments = Privacy(services), Payments(services)
    application.add_handler(chats.not_allowed_handler(allowed))
    application.add_handlers([*Commands(services).handlers(allowed), *settings.handlers(allowed),
                              *photos.handlers(allowed), *gallery.handlers(allowed),
                              *privacy.handlers(allowed), *payments.handlers(allowed)])
    application.add_handlers([*buttons.handlers(), *settings.button_handlers(),
                              *gallery.button_handlers(), *privacy.button_handlers(),
                              *payments.button_handlers(), buttons.unknown()])
    application.add_handlers(Inline(services).handlers())
    application.add_handler(chats.membership_handler())
    application.add_error_handler(chats.on_error)


def _allowed_chats(services: Services) -> filters.BaseFilter:
    """Updates from ``LIENZO_ALLOWED_CHATS`` (every chat when it is not set)."""
    chats = services.config.allowed_chats
    return filters.Chat(chat_id=list(chats)) if chats else filters.ALL
