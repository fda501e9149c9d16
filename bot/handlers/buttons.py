"""The inline buttons of the style picker, of a job's status message and of an artwork:
one ``CallbackQueryHandler`` per verb of ``bot.callback_data``.

Every press is answered (Telegram shows a spinner until then), with an alert
when it cannot do what it says: the button is someone else's, its job is gone,
or the chat is not allowed.  (The /settings panel's buttons are in ``settings``.)
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

from telegram import CallbackQuery, ReplyParameters, Update, User
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callback_data as data
from bot import keyboards
from bot.handlers.common import Press, Services, allowed_press, button, message_of
from bot.instant import Instant
from bot.jobs import Cancelling, Job, JobState
from bot.jobs.meta import JobMeta
from bot.state import Context, Media, user_state
from bot.status import quietly
from bot.texts import PARSE_MODE, style_label, t
from engine.media import timelapse
from engine.params import STRENGTHS


class Buttons:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.intake = services.intake

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        verbs: list[tuple[re.Pattern[str], Press]] = [
            (data.PICK, self.pick), (data.PICKER_PAGE, self.page), (data.OWN, self.own),
            (data.CANCEL, self.cancel), (data.INSTANT, self.instant),
            (data.RESULT_OTHER, self.other_style), (data.RESULT_STRENGTH, self.strength),
            (data.RESULT_COLORS, self.colors), (data.RESULT_FULL, self.full_resolution),
            (data.RESULT_SEED, self.new_seed), (data.RESULT_TIMELAPSE, self.timelapse),
            (data.RESULT_PRINT, self.print_it),
        ]
        return [CallbackQueryHandler(button(self.s, press), pattern=pattern)
                for pattern, press in verbs]

    def unknown(self) -> BaseHandler[Update, Context, None]:
        """Any other press (the picker's page number, a button of an older version):
        answered, nothing done.  Registered after every button's handler."""
        async def unknown(update: Update, context: Context) -> None:
            if (pressed := await allowed_press(self.s, update)) is not None:
                await pressed[0].answer()
        return CallbackQueryHandler(self.s.answering.counted(unknown))

    # -- who may press ------------------------------------------------------------------
    @staticmethod
    async def _is_owner(query: CallbackQuery, owner: int | None, user: User, lang: str) -> bool:
        """Picker buttons carry who may press them; anyone else gets a short alert."""
        if owner == user.id:
            return True
        await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        return False

    async def _requesters_job(self, query: CallbackQuery, user: User, lang: str,
                              job_id: str) -> tuple[Job, JobMeta] | None:
        """The job a button belongs to and its context, if it still exists and ``user``
        asked for it."""
        job = await self.s.jobs.astatus(job_id)
        if job is None or job.meta is None:  # every job with buttons has its context
            await query.answer(t(lang, "alert.expired"), show_alert=True)
        elif job.user_id != user.id:
            await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        else:
            return job, job.meta
        return None

    # -- the style picker ---------------------------------------------------------------
    async def pick(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                   context: Context) -> None:
        """A style for the photo the picker replies to (no photo: for the next one)."""
        press = data.Pick.read(match)
        if not await self._is_owner(query, press.owner, user, lang):
            return
        if press.style_id not in self.s.catalogue.styles:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        style = style_label(lang, self.s.catalogue.styles[press.style_id])
        message = message_of(query)
        content = Media.of(message.reply_to_message, clips=True) if message else None
        if message is None or content is None:  # a picker with no photo (/styles):
            user_state(context).preselected = press.style_id  # preselect for the next one
            await query.answer()
            if message is not None:
                await message.reply_text(t(lang, "style.chosen", style=style),
                                         parse_mode=PARSE_MODE)
            return
        await query.answer(t(lang, "alert.queued"))
        if message.text:  # the picker's prompt becomes "great choice"
            await quietly(message.edit_text(t(lang, "picker.chosen", style=style),
                                            parse_mode=PARSE_MODE))
        await self.intake.submit(message.chat, user, content,
                                 self.s.catalogue.parse(press.style_id), lang=lang)

    async def page(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                   context: Context) -> None:
        press = data.PickerPage.read(match)
        if not await self._is_owner(query, press.owner, user, lang):
            return
        await query.answer()
        message = message_of(query)
        own = bool(message and message.reply_to_message)
        studio = self.s.studio_button(lang, message.chat, context.bot.username, "paintings") \
            if message else None
        markup = keyboards.picker(lang, user.id, self.s.catalogue.styles, press.number, own=own,
                                  studio_button=studio)
        await quietly(query.edit_message_reply_markup(markup))

    async def own(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                  context: Context) -> None:
        """"Use my own painting": the user's next photo is the painting."""
        if not await self._is_owner(query, data.read_owner(match), user, lang):
            return
        message = message_of(query)
        content = Media.of(message.reply_to_message, clips=True) if message else None
        if message is None or content is None:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        user_state(context).own_for = content
        await query.answer()
        await message.reply_text(t(lang, "own.prompt"), parse_mode=PARSE_MODE)

    # -- a job's buttons ------------------------------------------------------------------
    async def cancel(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                     context: Context) -> None:
        job_id = data.read_job(match)
        if await self._requesters_job(query, user, lang, job_id) is None:
            return
        outcome = await self.s.jobs.acancel(job_id, user.id)
        key = "alert.cancelled" if outcome != Cancelling.TOO_LATE else \
            "alert.nothing_to_cancel"
        await query.answer(t(lang, key))

    async def instant(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                      context: Context) -> None:
        """The painter is offline: the queued job painted at once, feed-forward
        (``bot.instant``); delivery then sends it as it sends any painting."""
        job_id = data.read_job(match)
        found = await self._requesters_job(query, user, lang, job_id)
        if found is None:
            return
        if found[0].state != JobState.QUEUED:
            await query.answer(t(lang, "instant.too_late"), show_alert=True)
            return
        await query.answer(t(lang, "instant.started"))  # at once: the look takes a moment
        refused = await self.s.instant.paint(job_id, asked=False) == Instant.REFUSED
        if refused and (status := message_of(query)) is not None:
            await quietly(status.reply_text(t(lang, "instant.refused"), parse_mode=PARSE_MODE))

    async def other_style(self, query: CallbackQuery, user: User, lang: str,
                          match: re.Match[str], context: Context) -> None:
        """The style picker again, replying to the artwork's photo."""
        found = await self._requesters_job(query, user, lang, data.read_job(match))
        if found is None or query.message is None:
            return
        content = found[1].content
        await query.answer()
        await query.message.chat.send_message(
            t(lang, "picker.prompt"), parse_mode=PARSE_MODE,
            reply_parameters=ReplyParameters(content.message_id, allow_sending_without_reply=True),
            reply_markup=keyboards.picker(lang, user.id, self.s.catalogue.styles,
                                          studio_button=self.s.studio_button(
                                              lang, query.message.chat, context.bot.username,
                                              "paintings")))

    async def strength(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                       context: Context) -> None:
        """Paint it again one strength step stronger or weaker."""
        found = await self._requesters_job(query, user, lang, data.read_job(match))
        if found is None:
            return
        meta = found[1]
        stronger = match["action"] == "more"
        strength = meta.style.strength
        values = [STRENGTHS[s] for s in keyboards.STRENGTH_STEPS]
        current = min(range(len(values)), key=lambda i: abs(values[i] - strength))
        new = current + (1 if stronger else -1)
        if not 0 <= new < len(values):
            await query.answer(t(lang, "alert.strongest" if stronger else "alert.weakest"),
                               show_alert=True)
            return
        await self._again(query, user, lang, meta, dict(meta.params, strength=values[new]))

    async def new_seed(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                       context: Context) -> None:
        """Paint it again with another random seed: the same request, a different picture.
        The seed draws the starting noise, so the painting starts from noise, not from
        the photo (``StyleParams.init``: from the photo, every seed paints the same)."""
        found = await self._requesters_job(query, user, lang, data.read_job(match))
        if found is None:
            return
        meta = found[1]
        old = seed = meta.style.seed
        while seed == old:  # 0 … 2**32 - 1, what ``seed=`` accepts
            seed = secrets.randbelow(2**32)
        await self._again(query, user, lang, meta, dict(meta.params, seed=seed, init="noise"))

    async def colors(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                     context: Context) -> None:
        """Paint it again keeping the photo's colours, or with the style's."""
        found = await self._requesters_job(query, user, lang, data.read_job(match))
        if found is None:
            return
        meta = found[1]
        colors = "keep" if match["action"] == "keep" else "style"
        await self._again(query, user, lang, meta, dict(meta.params, color_mode=colors))

    async def _again(self, query: CallbackQuery, user: User, lang: str, meta: JobMeta,
                     params: dict[str, Any]) -> None:
        """The job's request once more, with ``params``, replying to the same photo."""
        if query.message is None:
            return
        await query.answer(t(lang, "alert.queued"))
        request = self.s.catalogue.parse("+".join(f"{i}:{w}" for i, w in meta.styles)) \
            if meta.styles else None
        await self.intake.submit(query.message.chat, user, meta.content, request,
                                 lang=lang, style_media=meta.style_media, params=params)

    async def full_resolution(self, query: CallbackQuery, user: User, lang: str,
                              match: re.Match[str], context: Context) -> None:
        """The artwork's PNG, as a file (kept with the artwork, ``bot.stores.artworks``)."""
        found = await self._requesters_job(query, user, lang, data.read_job(match))
        if found is None:
            return
        job, meta = found
        png = await asyncio.to_thread(self.s.artworks.full_size.read, job.id)
        message = message_of(query)
        if message is None or png is None:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        await query.answer()
        width, height = meta.size or ("?", "?")
        await message.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
        await message.reply_document(
            png, filename=f"lienzo-{job.id[:8]}.png",
            caption=t(lang, "done.full_caption", width=width, height=height),
            parse_mode=PARSE_MODE)

    async def timelapse(self, query: CallbackQuery, user: User, lang: str,
                        match: re.Match[str], context: Context) -> None:
        """The artwork's timelapse as an MP4 animation, made now from the frames kept on
        disk (``bot.stores.artworks``): encoding takes a moment, storing MP4s for
        every artwork would take disk for a button few press."""
        found = await self._requesters_job(query, user, lang, data.read_job(match))
        if found is None:
            return
        job = found[0]
        frames = await asyncio.to_thread(self.s.artworks.timelapses.frames, job.id)
        message = message_of(query)
        if message is None or not frames:
            await query.answer(t(lang, "alert.no_timelapse"), show_alert=True)
            return
        await query.answer()
        await message.chat.send_action(ChatAction.UPLOAD_VIDEO)
        clip = await asyncio.to_thread(timelapse.to_mp4, frames)
        await message.reply_animation(
            clip.mp4, filename=f"lienzo-{job.id[:8]}.mp4", width=clip.width,
            height=clip.height, duration=max(1, round(clip.seconds)),
            caption=t(lang, "done.timelapse_caption"), parse_mode=PARSE_MODE)

    async def print_it(self, query: CallbackQuery, user: User, lang: str,
                       match: re.Match[str], context: Context) -> None:
        """🖨 Print (``bot.printing``): only the painting's requester may; a painting whose
        job is gone (/forget, the retention purge) is refused with why."""
        job = await self.s.jobs.astatus(data.read_job(match))
        if job is None or job.meta is None:
            await query.answer(t(lang, "alert.print_gone"), show_alert=True)
        elif job.user_id != user.id:
            await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        else:
            await self.s.prints.order(query, message_of(query), user, lang, job)
