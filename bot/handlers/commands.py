"""The informational commands: /start, /help, /styles, /status, /cancel, /stats.

(/style is in ``photos``, /settings in ``settings``.)
"""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import invoices, keyboards
from bot.handlers import gallery, payments
from bot.handlers.common import Services, admin_sender, reply, sender
from bot.jobs import Cancelling, JobState
from bot.request import deep_link_request
from bot.state import Context, user_state
from bot.texts import PARSE_MODE, t, tn
from engine.catalogue import styles


class Commands:
    def __init__(self, services: Services) -> None:
        self.s = services
        self._sheet_file_id: str | None = None  # the contact sheet, once Telegram has it

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        commands = {"start": self.start, "help": self.help, "styles": self.show_styles,
                    "status": self.status, "cancel": self.cancel, "stats": self.stats}
        return [CommandHandler(name, self.s.answering.counted(callback), filters=allowed)
                for name, callback in commands.items()]

    async def start(self, update: Update, context: Context) -> None:
        """Welcome; ``/start s_<id>[-<id>…]`` or ``s_<id>--<id>`` (a deep link, e.g.
        under a shared painting) preselects that style, blend or split; ``/start
        studio`` (a group's "🎨 Studio" link) offers the studio; anything else: the
        welcome."""
        if (who := sender(update)) is None:
            return
        if context.args and context.args[0] == gallery.START:  # the group /gallery's link
            await gallery.Gallery(self.s).command(update, context)
            return
        if context.args and context.args[0].startswith(invoices.START) \
                and self.s.fair_use.on:  # a pack's link (a group's button, a forward)
            await payments.Payments(self.s).from_link(update, context, context.args[0])
            return
        user, message = who
        lang = await self.s.lang(user)
        if context.args and context.args[0] == keyboards.STUDIO_START and \
                (studio := self.s.studio_button(lang, message.chat, context.bot.username,
                                                "paintings")) is not None:
            await reply(message, t(lang, "studio.open"),
                        reply_markup=InlineKeyboardMarkup([[studio]]))
            return
        preselect = deep_link_request(context.args[0] if context.args else None,
                                      self.s.catalogue.styles)
        if preselect:
            user_state(context).preselected = preselect
            label = self.s.catalogue.label(lang, self.s.catalogue.parse(preselect))
            await reply(message, t(lang, "start.welcome_style", name=user.first_name,
                                   style=label))
            return
        await reply(message, t(lang, "start.welcome", name=user.first_name))

    async def help(self, update: Update, context: Context) -> None:
        """Two texts in one message: each stays within the length every text is
        checked against (a caption's), the message well within Telegram's 4096."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        await reply(message, t(lang, "help.text", max_side=self.s.workers.max_side) + "\n\n"
                    + t(lang, "help.more", bot_username=context.bot.username))

    async def show_styles(self, update: Update, context: Context) -> None:
        """The catalogue's contact sheet, with the picker's buttons (no photo: they preselect)."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        caption = t(lang, "styles.caption", count=len(self.s.catalogue.styles))
        markup = keyboards.picker(lang, user.id, self.s.catalogue.styles, own=False,
                                  studio_button=self.s.studio_button(
                                      lang, message.chat, context.bot.username, "paintings"))
        if self._sheet_file_id is None:
            path = await asyncio.to_thread(styles.cached_contact_sheet, self.s.catalogue.styles,
                                           cache=self.s.config.engine.style_cache_dir)
            sent = await message.reply_photo(path.read_bytes(), caption=caption,
                                             parse_mode=PARSE_MODE, reply_markup=markup)
            self._sheet_file_id = sent.photo[-1].file_id
        else:
            await message.reply_photo(self._sheet_file_id, caption=caption,
                                      parse_mode=PARSE_MODE, reply_markup=markup)

    async def status(self, update: Update, context: Context) -> None:
        """The user's active jobs, oldest first, with their state."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        jobs = await self.s.jobs.auser_jobs(user.id)
        if not jobs:
            await reply(message, t(lang, "status.empty"))
            return
        lines = [t(lang, "status.header")]
        for index, job in enumerate(reversed(jobs), 1):
            if job.state == JobState.RUNNING:
                percent = int(100 * (job.progress.get("fraction", 0.0) if job.progress else 0.0))
                state = t(lang, "state.running", percent=percent)
            else:
                state = t(lang, f"state.{job.state}")
            label = (job.meta.label if job.meta else "") or t(lang, "style.own")
            lines.append(t(lang, "status.line", index=index, style=label, state=state))
        await reply(message, "\n".join(lines))

    async def cancel(self, update: Update, context: Context) -> None:
        """Cancel all the user's active jobs."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        cancelled = 0
        for job in await self.s.jobs.auser_jobs(user.id):
            if await self.s.jobs.acancel(job.id, user.id) != Cancelling.TOO_LATE:
                cancelled += 1
        text = tn(lang, "cancel.count", cancelled) if cancelled else t(lang, "cancel.nothing")
        await reply(message, text)

    async def stats(self, update: Update, context: Context) -> None:
        """Admins only: the queue, today's jobs and the workers alive."""
        if (asked := await admin_sender(self.s, update)) is None:
            return
        _, message, lang = asked
        jobs, alive_within = self.s.jobs, self.s.config.worker_offline_after_s
        counts, workers, today = await asyncio.to_thread(
            lambda: (jobs.counts(), jobs.workers(alive_within), jobs.stats_today()))
        lines = [t(lang, "stats.header"),
                 t(lang, "stats.queue", queued=counts["queued"], running=counts["running"]),
                 t(lang, "stats.today", **today),
                 t(lang, "stats.workers", count=len(workers))]
        for name, w in sorted(workers.items()):
            key = "stats.worker_busy" if w.get("current_job") else "stats.worker"
            lines.append(t(lang, key, worker=name, device=w.get("device", "?"),
                           backend=w.get("backend", "?")))
        if not workers:
            lines.append(t(lang, "stats.no_workers"))
        await reply(message, "\n".join(lines))
