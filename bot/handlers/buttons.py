"""The inline buttons of the gallery, of a job's status message and of an artwork:
one ``CallbackQueryHandler`` per verb of ``bot.callback_data``.

Every press is answered (Telegram shows a spinner until then), with an alert
when it cannot do what it says: the button is someone else's, its job is gone,
or the chat is not allowed.  (The /settings panel's buttons are in ``settings``.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, ReplyParameters, Update, User
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callback_data as data
from bot import keyboards
from bot.handlers.common import Services
from bot.intake import quietly
from bot.jobs import Job
from bot.request import to_params
from bot.state import Callback, Context, Media, user_state
from bot.texts import ALERT_LIMIT, PARSE_MODE, error_text, style_label, t

Press = Callable[[CallbackQuery, User, str, re.Match[str], Context], Coroutine[Any, Any, None]]


def pressed(services: Services, press: Press) -> Callback:
    """``press`` as a PTB callback: the chat must be allowed (else an alert), and it
    gets the query, the user, their language and the data's match."""
    async def callback(update: Update, context: Context) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or context.match is None:
            return
        lang = await services.lang(user)
        chat = update.effective_chat
        if chat is not None and not services.config.chat_allowed(chat.id):
            await query.answer(error_text(lang, "chat_not_allowed")[:ALERT_LIMIT],
                               show_alert=True)
            return
        await press(query, user, lang, context.match, context)
    return callback


class Buttons:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.intake = services.intake

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        verbs: list[tuple[re.Pattern[str], Press]] = [
            (data.PICK, self.pick), (data.PAGE, self.page), (data.OWN, self.own),
            (data.CANCEL, self.cancel), (data.RESULT_OTHER, self.other_style),
            (data.RESULT_STRENGTH, self.strength), (data.RESULT_COLORS, self.colors),
            (data.RESULT_FULL, self.full_resolution), (data.NOOP, self.nothing),
        ]
        return [CallbackQueryHandler(self._counted(press), pattern=pattern)
                for pattern, press in verbs]

    def unknown(self) -> BaseHandler[Update, Context, None]:
        """Any other data (an older version's button): answered, nothing done.
        Registered after every other button's handler."""
        return CallbackQueryHandler(self._counted(self.nothing), pattern=re.compile(""))

    def _counted(self, press: Press) -> Callback:
        return self.intake.answering(pressed(self.s, press))

    # -- who may press ------------------------------------------------------------------
    @staticmethod
    async def _is_owner(query: CallbackQuery, owner: int | None, user: User, lang: str) -> bool:
        """Gallery buttons carry who may press them; anyone else gets a short alert."""
        if owner == user.id:
            return True
        await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        return False

    async def _requesters_job(self, query: CallbackQuery, user: User, lang: str,
                              job_id: str) -> Job | None:
        """The job a button belongs to, if it still exists and ``user`` asked for it."""
        job = await self.s.jobs.astatus(job_id)
        if job is None:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
        elif job.user_id != user.id:
            await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        else:
            return job
        return None

    # -- the gallery --------------------------------------------------------------------
    async def pick(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                   context: Context) -> None:
        """A style for the photo the gallery replies to (no photo: for the next one)."""
        press = data.Pick.read(match)
        if not await self._is_owner(query, press.owner, user, lang):
            return
        if press.style_id not in self.s.catalog:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        message = query.message
        style = style_label(lang, self.s.catalog[press.style_id])
        if message is None:
            await query.answer()
            return
        content = Media.of(message.reply_to_message)
        if content is None:  # a gallery with no photo (/styles): preselect for the next one
            user_state(context).preselected = press.style_id
            await query.answer()
            await message.reply_text(t(lang, "style.chosen", style=style), parse_mode=PARSE_MODE)
            return
        await query.answer(t(lang, "alert.queued"))
        if message.text:  # the gallery prompt becomes "great choice"
            await quietly(query.edit_message_text(t(lang, "gallery.chosen", style=style),
                                                  parse_mode=PARSE_MODE))
        await self.intake.submit(message.chat, user, content, self.intake.parse(press.style_id),
                                 lang=lang)

    async def page(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                   context: Context) -> None:
        press = data.Page.read(match)
        if not await self._is_owner(query, press.owner, user, lang):
            return
        await query.answer()
        own = bool(query.message and query.message.reply_to_message)
        markup = keyboards.gallery(lang, user.id, self.s.catalog, press.number, own=own)
        await quietly(query.edit_message_reply_markup(markup))

    async def own(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                  context: Context) -> None:
        """"Use my own painting": the user's next photo is the painting."""
        if not await self._is_owner(query, data.read_owner(match), user, lang):
            return
        message = query.message
        content = Media.of(message.reply_to_message) if message else None
        if message is None or content is None:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        user_state(context).own_for = content
        await query.answer()
        await message.reply_text(t(lang, "own.prompt"), parse_mode=PARSE_MODE)

    async def nothing(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                      context: Context) -> None:
        await query.answer()

    # -- a job's buttons ------------------------------------------------------------------
    async def cancel(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                     context: Context) -> None:
        job_id = data.read_job(match)
        if await self._requesters_job(query, user, lang, job_id) is None:
            return
        outcome = await self.s.jobs.acancel(job_id, user.id)
        key = "alert.cancelled" if outcome in ("cancelled", "cancelling") else \
            "alert.nothing_to_cancel"
        await query.answer(t(lang, key))

    async def other_style(self, query: CallbackQuery, user: User, lang: str,
                          match: re.Match[str], context: Context) -> None:
        """The gallery again, replying to the artwork's photo."""
        job = await self._requesters_job(query, user, lang, data.read_job(match))
        if job is None or query.message is None:
            return
        content = Media(**job.meta["content"])
        await query.answer()
        await query.message.chat.send_message(
            t(lang, "gallery.prompt"), parse_mode=PARSE_MODE,
            reply_parameters=ReplyParameters(content.message_id, allow_sending_without_reply=True),
            reply_markup=keyboards.gallery(lang, user.id, self.s.catalog))

    async def strength(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                       context: Context) -> None:
        """Paint it again one strength step stronger or weaker."""
        job = await self._requesters_job(query, user, lang, data.read_job(match))
        if job is None:
            return
        stronger = match["action"] == "more"
        params = dict(job.meta["params"])
        values = [to_params(None, {"strength": s}).strength for s in keyboards.STRENGTH_STEPS]
        current = min(range(len(values)), key=lambda i: abs(values[i] - params["strength"]))
        new = current + (1 if stronger else -1)
        if not 0 <= new < len(values):
            await query.answer(t(lang, "alert.strongest" if stronger else "alert.weakest"),
                               show_alert=True)
            return
        params["strength"] = values[new]
        await self._again(query, user, lang, job, params)

    async def colors(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                     context: Context) -> None:
        """Paint it again keeping the photo's colours, or with the style's."""
        job = await self._requesters_job(query, user, lang, data.read_job(match))
        if job is None:
            return
        params = dict(job.meta["params"])
        params["color_mode"] = "keep" if match["action"] == "keep" else "style"
        await self._again(query, user, lang, job, params)

    async def _again(self, query: CallbackQuery, user: User, lang: str, job: Job,
                     params: dict[str, Any]) -> None:
        """The job's request once more, with ``params``."""
        if query.message is None:
            return
        await query.answer(t(lang, "alert.queued"))
        meta = job.meta
        style_media = Media(**meta["style_media"]) if meta.get("style_media") else None
        request = self.intake.parse("+".join(f"{i}:{w}" for i, w in meta["styles"])) \
            if meta["styles"] else None
        await self.intake.submit(query.message.chat, user, Media(**meta["content"]), request,
                                 lang=lang, style_media=style_media, params=params)

    async def full_resolution(self, query: CallbackQuery, user: User, lang: str,
                              match: re.Match[str], context: Context) -> None:
        """The artwork's PNG, as a file (kept by ``bot.delivery``)."""
        job = await self._requesters_job(query, user, lang, data.read_job(match))
        if job is None or query.message is None:
            return
        path = self.s.config.data_dir / "results" / f"{job.id}.png"
        if not path.exists():
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        await query.answer()
        width, height = job.meta.get("size") or ("?", "?")
        await query.message.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
        await query.message.chat.send_document(
            path.read_bytes(), filename=f"lienzo-{job.id[:8]}.png",
            caption=t(lang, "done.full_caption", width=width, height=height),
            parse_mode=PARSE_MODE, reply_parameters=ReplyParameters(query.message.message_id))
