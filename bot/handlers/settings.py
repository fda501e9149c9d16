"""``/settings``: the user's defaults (strength, colours, size, quality, faces, brush,
live preview, language) as a panel of buttons that edits itself; kept in
``bot.stores.user_settings``."""

from __future__ import annotations

import asyncio
import re

from telegram import CallbackQuery, Update, User
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callback_data as data
from bot import keyboards
from bot.handlers.common import Services, button, message_of, reply, sender
from bot.state import Context
from bot.status import quietly
from bot.stores.user_settings import UserSettings
from bot.texts import PARSE_MODE, t, value_label
from engine.config import MachineDefaults
from engine.params import BRUSHES, StyleParams

STORED_AS = {"colors": "color_mode"}  # a panel field → its UserSettings field, where they differ
# The brush a job gets when none is chosen: the one whose scale is StyleParams' default.
DEFAULT_BRUSH = next(name for name, scale in BRUSHES.items() if scale == StyleParams().style_scale)


def shown(settings: UserSettings, defaults: MachineDefaults, lang: str) -> dict[str, str]:
    """Each panel field's value as ``SETTING_CHOICES`` writes it: the person's choice, else
    what applies (size and quality: the workers' ``defaults``; faces and brush:
    ``StyleParams``' own, which no machine changes; the language: ``lang``).  The chat's
    panel and the studio (``bot.studio``) show the same values."""
    return {"strength": settings.strength, "colors": settings.color_mode,
            "size": str(settings.size or defaults.size),
            "quality": settings.quality or defaults.quality,
            "faces": settings.faces or StyleParams().faces,
            "brush": settings.brush or DEFAULT_BRUSH,
            "previews": "on" if settings.previews else "off",
            "language": settings.language or lang}


def with_choice(current: UserSettings, field: str, value: str) -> UserSettings:
    """``current`` with a panel field set to one of its ``SETTING_CHOICES`` (checked by
    the caller)."""
    setting: str | int | bool = int(value) if field == "size" else \
        value == "on" if field == "previews" else value
    return current.with_changes(**{STORED_AS.get(field, field): setting})


class Settings:
    def __init__(self, services: Services) -> None:
        self.s = services

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        return [CommandHandler("settings", self.s.answering.counted(self.settings),
                               filters=allowed)]

    def button_handlers(self) -> list[BaseHandler[Update, Context, None]]:
        return [CallbackQueryHandler(button(self.s, press), pattern=pattern) for pattern, press in (
            (data.SETTINGS_OPEN, self.open_field), (data.SETTINGS_SET, self.set_value),
            (data.SETTINGS_BACK, self.back), (data.SETTINGS_CLOSE, self.close))]

    async def settings(self, update: Update, context: Context) -> None:
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        await reply(message, await self._text(user, lang),
                    reply_markup=keyboards.settings_main(lang))

    async def _text(self, user: User, lang: str) -> str:
        """The panel: each setting's value, the workers' defaults where none is chosen."""
        values = shown(await self.s.settings_of(user.id), self.s.workers.defaults(), lang)
        return t(lang, "settings.text",
                 **{field: value_label(lang, field, value) for field, value in values.items()})

    async def _show_panel(self, query: CallbackQuery, user: User, lang: str) -> None:
        if (message := message_of(query)) is not None:
            await quietly(message.edit_text(await self._text(user, lang), parse_mode=PARSE_MODE,
                                            reply_markup=keyboards.settings_main(lang)))

    # -- the panel's buttons ----------------------------------------------------------------
    async def close(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                    context: Context) -> None:
        await query.answer()
        if (message := message_of(query)) is not None:
            await quietly(message.edit_reply_markup(None))

    async def back(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                   context: Context) -> None:
        await query.answer()
        await self._show_panel(query, user, lang)

    async def open_field(self, query: CallbackQuery, user: User, lang: str,
                         match: re.Match[str], context: Context) -> None:
        """A field's choices in place of the panel."""
        field = data.Setting.read(match).field
        await query.answer()
        if field not in keyboards.SETTING_CHOICES:
            return
        if (message := message_of(query)) is not None:
            await quietly(message.edit_text(t(lang, f"settings.pick_{field}"),
                                            parse_mode=PARSE_MODE,
                                            reply_markup=keyboards.settings_picker(lang, field)))

    async def set_value(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                        context: Context) -> None:
        """Save the choice; the panel comes back (in the new language, if that changed)."""
        choice = data.Setting.read(match)
        field, value = choice.field, choice.value or ""
        if field not in keyboards.SETTING_CHOICES:
            await query.answer()
            return
        if value not in keyboards.SETTING_CHOICES[field]:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        await asyncio.to_thread(self.s.settings.change, user.id,
                                lambda current: with_choice(current, field, value))
        lang = await self.s.lang(user)
        await query.answer(t(lang, "settings.language_set") if field == "language"
                           else t(lang, "alert.saved"))
        await self._show_panel(query, user, lang)
