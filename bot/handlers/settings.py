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
from bot.texts import PARSE_MODE, t, value_label
from engine.params import BRUSHES, StyleParams

STORED_AS = {"colors": "color_mode"}  # a panel field → its UserSettings field, where they differ
# The brush a job gets when none is chosen: the one whose scale is StyleParams' default.
DEFAULT_BRUSH = next(name for name, scale in BRUSHES.items() if scale == StyleParams().style_scale)


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
        """The panel: each setting's value, the workers' defaults where none is chosen
        (faces and brush: ``StyleParams``' own, which no machine changes)."""
        settings = await self.s.settings_of(user.id)
        defaults = self.s.workers.defaults()
        return t(lang, "settings.text",
                 strength=value_label(lang, "strength", settings.strength),
                 colors=value_label(lang, "colors", settings.color_mode),
                 size=value_label(lang, "size", settings.size or defaults.size),
                 quality=value_label(lang, "quality", settings.quality or defaults.quality),
                 faces=value_label(lang, "faces", settings.faces or StyleParams().faces),
                 brush=value_label(lang, "brush", settings.brush or DEFAULT_BRUSH),
                 previews=value_label(lang, "previews", "on" if settings.previews else "off"),
                 language=value_label(lang, "language", lang))

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
        current = await self.s.settings_of(user.id)
        setting: str | int | bool = int(value) if field == "size" else \
            value == "on" if field == "previews" else value
        changed = current.with_changes(**{STORED_AS.get(field, field): setting})
        await asyncio.to_thread(self.s.settings.save, user.id, changed)
        lang = await self.s.lang(user)
        await query.answer(t(lang, "settings.language_set") if field == "language"
                           else t(lang, "alert.saved"))
        await self._show_panel(query, user, lang)
