"""What people do in Telegram, as python-telegram-bot handlers (DESIGN.md §1).

``Lienzo`` holds the bot's collaborators (configuration, job service, store,
catalogue) and one method per kind of update.  No handler waits for the
engine, nor for a download: a photo gets its status message first; it is then
fetched, checked and submitted, and ``bot.delivery`` takes it from there.
Every text comes from ``bot.texts`` in the user's language; every failure a
user can cause ends in one of those texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass

from telegram import (
    Chat,
    ChatMemberUpdated,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import keyboards
from bot.config import BotConfig
from bot.jobs import JobService
from bot.request import (
    RequestError,
    StyleRequest,
    command_target,
    deep_link_style,
    parse_style_request,
    split_command,
    to_params,
)
from bot.store import BotStore, UserSettings
from bot.texts import (
    PARSE_MODE,
    error_text,
    language_for,
    queued_text,
    style_label,
    t,
    tn,
    value_label,
)
from engine import images, styles
from engine.errors import LienzoError

log = logging.getLogger("lienzo.bot")

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
ALBUM_WAIT_S = 1.5  # an album's photos arrive as separate updates within a moment
# Pictures fetched (downloaded, checked, submitted) at once: bounds the memory (a
# document may be 20 MB) and the CPU of a burst; at Telegram's ~0.2 s per download
# that is still ~20 photos/s, more than the engine paints.
FETCH_AT_ONCE = 4
ANSWER_FIRST_MAX_WAIT_S = 1.0  # at most this long does fetching wait for handlers (_queue)
IMAGE_DOCUMENTS = filters.Document.IMAGE
MEDIA = filters.PHOTO | IMAGE_DOCUMENTS


@dataclass(frozen=True)
class Media:
    """A picture in a message, as Telegram knows it (not yet downloaded)."""

    file_id: str
    unique_id: str
    size: int | None
    message_id: int

    @classmethod
    def of(cls, message: Message | None) -> Media | None:
        if message is None:
            return None
        if message.photo:
            best = message.photo[-1]
            return cls(best.file_id, best.file_unique_id, best.file_size, message.message_id)
        doc = message.document
        if doc and (doc.mime_type or "").startswith("image/"):
            return cls(doc.file_id, doc.file_unique_id, doc.file_size, message.message_id)
        return None


class UserFacingError(LienzoError):
    """Ends a handler with a message for the user (a ``bot.texts`` error code)."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code, self.values = code, values


class Lienzo:
    def __init__(self, config: BotConfig, jobs: JobService, store: BotStore, metrics,
                 catalog: dict | None = None):
        self.config = config
        self.jobs = jobs
        self.store = store
        self.metrics = metrics
        self.catalog = catalog if catalog is not None else styles.load_catalog()
        self.username = ""
        self._albums: dict[str, list[Message]] = {}
        self._sheet_file_id: str | None = None
        self._workers_seen: dict = {}
        self._settling: dict[str, asyncio.Event] = {}  # job → set once it says "queued"
        self._fetching = asyncio.Semaphore(FETCH_AT_ONCE)
        self._answering_now = 0  # handlers running (see _answering)
        self._all_answered = asyncio.Event()
        self._all_answered.set()

    def register(self, app: Application) -> None:
        allowed = self._allowed_filter()
        answering = self._answering
        app.add_handler(MessageHandler(~allowed & (filters.COMMAND | MEDIA),
                                       answering(self.not_allowed)))
        commands = {
            "start": self.start, "help": self.help, "styles": self.show_styles,
            "status": self.status, "cancel": self.cancel, "settings": self.settings,
            "stats": self.stats, "style": self.style_command,
        }
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, answering(callback), filters=allowed))
        app.add_handler(MessageHandler(allowed & MEDIA, answering(self.media)))
        app.add_handler(CallbackQueryHandler(answering(self.press)))
        app.add_handler(ChatMemberHandler(answering(self.membership),
                                          ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    def _answering(self, callback):
        """``callback``, counted while it runs: fetching pictures waits until none runs.

        Handlers only answer (the slow part of a photo runs later, in ``_queue``), so
        "no handler running" means every update that has arrived has its answer."""
        @functools.wraps(callback)
        async def counted(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            self._answering_now += 1
            self._all_answered.clear()
            try:
                await callback(update, context)
            finally:
                self._answering_now -= 1
                if not self._answering_now:
                    self._all_answered.set()
        return counted

    # -- who, which language --------------------------------------------------------
    def _allowed_filter(self):
        if not self.config.allowed_chats:
            return filters.ALL
        return filters.Chat(chat_id=list(self.config.allowed_chats))

    @property
    def max_side(self) -> int:
        """Cap on the output's long side: LIENZO_MAX_SIDE, else what the workers allow.

        The bot has no GPU of its own; a worker's heartbeat says what it runs on
        (the workers apply the same cap themselves, from their own machine).
        """
        if self.config.max_side:
            return self.config.max_side
        devices = [w.get("device", "") for w in self._workers_seen.values()]
        return 1024 if any(str(d).startswith("GPU") for d in devices) else 384

    async def refresh_workers(self) -> None:
        self._workers_seen = await asyncio.to_thread(self.jobs.workers) or self._workers_seen

    async def settings_of(self, user_id: int) -> UserSettings:
        return await asyncio.to_thread(self.store.settings, user_id)

    async def lang(self, user: User | None) -> str:
        if user is None:
            return "en"
        chosen = (await self.settings_of(user.id)).language
        return chosen or language_for(user.language_code)

    async def reply(self, message: Message, text: str, **kwargs) -> Message:
        return await message.reply_text(text, parse_mode=PARSE_MODE, **kwargs)

    # -- commands ---------------------------------------------------------------------
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, message = update.effective_user, update.effective_message
        lang = await self.lang(user)
        style_id = deep_link_style(context.args[0] if context.args else None, self.catalog)
        if style_id:
            context.user_data["preselected"] = style_id
            label = style_label(lang, self.catalog[style_id])
            await self.reply(message, t(lang, "start.welcome_style", name=user.first_name,
                                        style=label))
            return
        await self.reply(message, t(lang, "start.welcome", name=user.first_name))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = await self.lang(update.effective_user)
        await self.reply(update.effective_message, t(
            lang, "help.text", max_side=self.max_side, bot_username=self.username))

    async def show_styles(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, message = update.effective_user, update.effective_message
        lang = await self.lang(user)
        caption = t(lang, "styles.caption", count=len(self.catalog))
        markup = keyboards.gallery(lang, user.id, self.catalog, own=False)
        if self._sheet_file_id is None:
            path = await asyncio.to_thread(styles.cached_contact_sheet, self.catalog)
            sent = await message.reply_photo(path.read_bytes(), caption=caption,
                                             parse_mode=PARSE_MODE, reply_markup=markup)
            self._sheet_file_id = sent.photo[-1].file_id
        else:
            await message.reply_photo(self._sheet_file_id, caption=caption,
                                      parse_mode=PARSE_MODE, reply_markup=markup)

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        lang = await self.lang(user)
        jobs = await self.jobs.auser_jobs(user.id)
        if not jobs:
            await self.reply(update.effective_message, t(lang, "status.empty"))
            return
        lines = [t(lang, "status.header")]
        for index, job in enumerate(reversed(jobs), 1):
            if job.state == "running":
                percent = int(100 * (job.progress or {}).get("fraction", 0.0))
                state = t(lang, "state.running", percent=percent)
            else:
                state = t(lang, f"state.{job.state}")
            label = job.meta.get("label") or t(lang, "style.own")
            lines.append(t(lang, "status.line", index=index, style=label, state=state))
        await self.reply(update.effective_message, "\n".join(lines))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        lang = await self.lang(user)
        cancelled = 0
        for job in await self.jobs.auser_jobs(user.id):
            if await self.jobs.acancel(job.id, user.id) in ("cancelled", "cancelling"):
                cancelled += 1
        text = tn(lang, "cancel.count", cancelled) if cancelled else t(lang, "cancel.nothing")
        await self.reply(update.effective_message, text)

    async def settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        lang = await self.lang(user)
        await self.reply(update.effective_message, await self._settings_text(user, lang),
                         reply_markup=keyboards.settings_main(lang))

    async def _settings_text(self, user: User, lang: str) -> str:
        s = await self.settings_of(user.id)
        quality = s.quality or self.config.default_quality or \
            ("balanced" if self.max_side >= 1024 else "fast")
        size = s.size or min(512, self.max_side)
        return t(lang, "settings.text",
                 strength=value_label(lang, "strength", s.strength),
                 colors=value_label(lang, "colors", s.color_mode),
                 size=value_label(lang, "size", size),
                 quality=value_label(lang, "quality", quality),
                 language=value_label(lang, "language", lang))

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        lang = await self.lang(user)
        if user.id not in self.config.admin_ids:
            await self.reply(update.effective_message, t(lang, "admin.only"))
            return
        counts, workers, today = await asyncio.to_thread(
            lambda: (self.jobs.counts(), self.jobs.workers(), self.jobs.stats_today()))
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
        await self.reply(update.effective_message, "\n".join(lines))

    async def style_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/style …`` as text: on a replied-to photo, or preselect for the next photo."""
        message, user = update.effective_message, update.effective_user
        lang = await self.lang(user)
        try:
            request = self._parse(message.text)
        except RequestError as exc:
            await self._request_error(message, user, lang, exc)
            return
        content = Media.of(message.reply_to_message)
        if content is not None:
            await self.submit(message.chat, user, content, request, lang=lang)
            return
        if message.chat.type != ChatType.PRIVATE or not request.styles:
            await self.reply(message, t(lang, "style.need_photo"))
            return
        context.user_data["preselected"] = request.text()
        await self.reply(message, t(lang, "style.chosen", style=self._label(lang, request)))

    # -- photos -----------------------------------------------------------------------
    async def media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message.media_group_id:
            self._collect_album(message, context)
            return
        await self._single_photo(message, user, context)

    async def _single_photo(self, message: Message, user: User, context) -> None:
        lang = await self.lang(user)
        content = Media.of(message)
        caption = message.caption or ""
        if split_command(caption):
            if not command_target(caption, self.username) or \
                    split_command(caption)[0].lower() != "style":
                return
            try:
                request = self._parse(caption)
            except RequestError as exc:
                await self._request_error(message, user, lang, exc)
                return
            await self.submit(message.chat, user, content, request, lang=lang)
            return
        if message.chat.type != ChatType.PRIVATE:
            return  # in groups, only what is addressed to the bot
        waiting = context.user_data.pop("own_for", None)
        if waiting is not None:  # the "use my own painting" button, then this photo
            await self.submit(message.chat, user, Media(**waiting), None, lang=lang,
                              style_media=content)
            return
        replied = Media.of(message.reply_to_message)
        if replied is not None:  # a painting sent as a reply to the photo
            await self.submit(message.chat, user, replied, None, lang=lang, style_media=content)
            return
        preselected = context.user_data.get("preselected")
        if preselected:
            await self.submit(message.chat, user, content, self._parse(preselected), lang=lang)
            return
        # A reply to the photo: pressing a style finds the photo there.
        await self.reply(message, t(lang, "gallery.prompt"), do_quote=True,
                         reply_markup=keyboards.gallery(lang, user.id, self.catalog))

    def _collect_album(self, message: Message, context) -> None:
        group = self._albums.setdefault(message.media_group_id, [])
        group.append(message)
        if len(group) == 1:
            context.application.create_task(self._album_done(message.media_group_id, context))

    async def _album_done(self, group_id: str, context) -> None:
        await asyncio.sleep(ALBUM_WAIT_S)
        parts = sorted(self._albums.pop(group_id, []), key=lambda m: m.message_id)
        first, user = parts[0], parts[0].from_user
        lang = await self.lang(user)
        if len(parts) < 2:
            await self._single_photo(first, user, context)
            return
        request = None
        captioned = next((m.caption for m in parts if m.caption), "")
        if split_command(captioned):
            if not command_target(captioned, self.username):
                return
            try:
                request = self._parse(captioned)
            except RequestError as exc:
                await self._request_error(first, user, lang, exc)
                return
        await self.submit(first.chat, user, Media.of(first), request, lang=lang,
                          style_media=Media.of(parts[1]), ack=t(lang, "own.album"))

    # -- submitting -------------------------------------------------------------------
    def _parse(self, text: str | None) -> StyleRequest:
        return parse_style_request(text, self.catalog, max_side=self.max_side)

    def _label(self, lang: str, request: StyleRequest | None) -> str:
        if request is None or not request.styles:
            return t(lang, "style.own")
        return style_label(lang, [self.catalog[i] for i, _ in request.styles])

    async def _request_error(self, message: Message, user: User, lang: str, exc) -> None:
        markup = None
        if getattr(exc, "suggestions", None):
            markup = keyboards.suggestions(user.id, self.catalog, exc.suggestions)
        await self.reply(message, error_text(lang, exc), reply_markup=markup)

    async def job_params(self, user_id: int, request: StyleRequest | None,
                         changes: dict | None = None) -> dict:
        """The job's StyleParams fields: user settings < request < ``changes``.

        Size and quality are sent only when someone chose them; otherwise the
        worker uses its machine's defaults (a GPU paints bigger than a CPU).
        """
        settings = await self.settings_of(user_id)
        params = to_params(request, settings, self.max_side)
        chosen = dict(strength=params.strength, color_mode=params.color_mode, seed=params.seed,
                      time_budget_s=float(self.config.job_time_limit))
        asked = set(request.overrides) if request is not None else set()
        if settings.size or "size" in asked:
            chosen["size"] = params.size
        if settings.quality or "quality" in asked:
            chosen["quality"] = params.quality
        chosen.update(changes or {})
        return chosen

    async def submit(self, chat: Chat, user: User, content: Media, request: StyleRequest | None,
                     *, lang: str, style_media: Media | None = None,
                     params: dict | None = None, ack: str | None = None) -> None:
        """Acknowledge at once; fetch, check and queue the picture afterwards.

        With 100 photos at once, fetching and checking them all takes seconds, so
        the status message ("⏳ Got it…") is the first thing sent - after only the
        checks that need no network: the request, the sizes Telegram announced, the
        result cache and the per-user limit.  ``_queue`` then turns that message
        into "queued, N ahead" (the job's progress message from then on), or into
        the error if the picture turns out bad: one message, nothing lost.  A cache
        hit is answered with the earlier result and nothing else.  ``ack``: the
        status message's first text where "⏳ Got it" says too little (an album).
        """
        reply_to = ReplyParameters(content.message_id, allow_sending_without_reply=True)
        try:
            if request is not None and not request.styles and style_media is None:
                raise UserFacingError("empty_request")
            for media in (content, style_media):
                if media is not None and media.size is not None \
                        and media.size > MAX_DOWNLOAD_BYTES:
                    raise UserFacingError("file_too_big",
                                          max_mb=MAX_DOWNLOAD_BYTES // (1024 * 1024))
            params = params or await self.job_params(user.id, request)
            key = self._cache_key(content, request, style_media, params)
            if await self._send_cached(chat, key, reply_to):
                return
            await self.jobs.acheck_user_limit(user.id)  # submit checks again, atomically
        except LienzoError as exc:  # UserFacingError, UserLimitReached
            await chat.send_message(self._error_text(lang, exc), parse_mode=PARSE_MODE,
                                    reply_parameters=reply_to)
            return
        status = await chat.send_message(ack or t(lang, "received"), parse_mode=PARSE_MODE,
                                         reply_parameters=reply_to)
        self.application.create_task(
            self._queue(status, reply_to, user, content, request, style_media, params, key, lang),
            name=f"lienzo-queue-{chat.id}-{status.message_id}")

    async def _queue(self, status: Message, reply_to: ReplyParameters, user: User,
                     content: Media, request: StyleRequest | None, style_media: Media | None,
                     params: dict, key: str, lang: str) -> None:
        """Fetch, check and submit; then the status message says "queued" or the error.

        A task of its own, after the handler has returned.  It waits until every
        update that has arrived is answered (``_answering``), then takes one of
        ``FETCH_AT_ONCE`` places: fetching a photo costs several times the CPU of
        acknowledging one, and in a burst the last "⏳" would otherwise wait for
        dozens of downloads.
        """
        job_id = uuid.uuid4().hex
        self._settling[job_id] = settled = asyncio.Event()
        try:
            with contextlib.suppress(asyncio.TimeoutError):  # a steady stream cannot starve it
                await asyncio.wait_for(self._all_answered.wait(), ANSWER_FIRST_MAX_WAIT_S)
            async with self._fetching:
                submitted = await self._fetch_and_submit(
                    job_id, status, user, content, request, style_media, params, key, lang)
        except LienzoError as exc:  # the picture is bad, the queue is full, …
            await self._edit_or_reply(status, self._error_text(lang, exc), reply_to)
        except Exception:
            log.exception("queueing a picture failed")
            await self._edit_or_reply(status, error_text(lang, "engine_error"), reply_to)
        else:
            self.metrics.submitted.inc()
            text = queued_text(lang, submitted.ahead)
            if request is not None and request.size_capped:
                text += "\n" + t(lang, "note.size_capped", max_side=self.max_side,
                                 requested=request.requested_size)
            # If this edit is lost (flood control), the worker's progress edits carry on.
            await self._quietly(status.edit_text(text, parse_mode=PARSE_MODE,
                                                 reply_markup=keyboards.cancel(lang, job_id)))
        finally:
            del self._settling[job_id]
            settled.set()

    async def _fetch_and_submit(self, job_id: str, status: Message, user: User, content: Media,
                                request: StyleRequest | None, style_media: Media | None,
                                params: dict, key: str, lang: str):
        """Download and check the picture(s), then submit the job, its status message known."""
        data = await self._download(content)
        style_ids = _style_ids(request)
        styles_arg = [tuple(s) for s in style_ids]
        if style_media is not None:
            styles_arg.append((await self._download(style_media), 1.0))
        chat = status.chat
        meta = {
            "lang": lang, "requester": user.first_name, "group": chat.type != ChatType.PRIVATE,
            "content": dataclasses.asdict(content), "styles": style_ids,
            "style_media": dataclasses.asdict(style_media) if style_media else None,
            "params": params, "cache_key": key, "label": self._label(lang, request),
        }
        return await self.jobs.asubmit(
            user_id=user.id, chat_id=chat.id, content=data, styles=styles_arg, params=params,
            message_id=content.message_id, status_message_id=status.message_id, meta=meta,
            job_id=job_id)

    async def settled(self, job_id: str) -> None:
        """Wait until ``_queue`` has said "queued" on the job's status message.

        Delivery calls this before it touches a status message, so that a worker's
        first progress - or a failure - is never overwritten by "queued"."""
        event = self._settling.get(job_id)
        if event is not None:
            await event.wait()

    @staticmethod
    def _error_text(lang: str, exc: LienzoError) -> str:
        return error_text(lang, exc, **getattr(exc, "values", {}))

    async def _edit_or_reply(self, status: Message, text: str, reply_to: ReplyParameters) -> None:
        """The status message becomes ``text``; if it cannot be edited, ``text`` is sent."""
        try:
            await status.edit_text(text, parse_mode=PARSE_MODE)
        except TelegramError as exc:
            log.info("status message not editable (%s); replying", exc.__class__.__name__)
            await status.chat.send_message(text, parse_mode=PARSE_MODE,
                                           reply_parameters=reply_to)

    def _cache_key(self, content: Media, request: StyleRequest | None,
                   style_media: Media | None, params) -> str:
        what = [content.unique_id, _style_ids(request),
                style_media.unique_id if style_media else None,
                {k: v for k, v in params.items() if k != "time_budget_s"}]
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    async def _send_cached(self, chat: Chat, key: str, reply_to: ReplyParameters) -> bool:
        cached = await asyncio.to_thread(self.store.cached_result, key)
        if cached is None:
            return False
        job = await self.jobs.astatus(cached.job_id)
        lang = job.meta.get("lang", "en") if job else "en"
        markup = keyboards.result(lang, cached.job_id, job.meta["params"]["color_mode"]) \
            if job else None
        send = chat.send_document if cached.as_document else chat.send_photo
        try:
            await send(cached.file_id, caption=cached.caption, parse_mode=PARSE_MODE,
                       reply_parameters=reply_to, reply_markup=markup)
        except TelegramError as exc:  # the file id went stale: paint it again
            log.info("cached result unusable (%s); painting again", exc.__class__.__name__)
            return False
        return True

    async def _download(self, media: Media) -> bytes:
        try:
            file = await self._bot.get_file(media.file_id)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.info("download failed: %s", exc.__class__.__name__)
            raise UserFacingError("photo_gone") from None
        await asyncio.to_thread(images.check_image, data)  # raises ImageError subclasses
        return data

    # -- buttons ----------------------------------------------------------------------
    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        lang = await self.lang(user)
        chat = update.effective_chat
        if chat is not None and not self.config.chat_allowed(chat.id):
            await query.answer(error_text(lang, "chat_not_allowed")[:200], show_alert=True)
            return
        verb, _, rest = (query.data or "").partition(":")
        handler = {"g": self._pick, "gp": self._page, "own": self._own, "r": self._result_button,
                   "c": self._cancel_button, "s": self._settings_button}.get(verb)
        if handler is None:
            await query.answer()
            return
        await handler(query, user, lang, rest, context)

    async def _is_owner(self, query, owner: str, user: User, lang: str) -> bool:
        """Buttons carry who may press them; anyone else gets a short alert."""
        if owner.isdigit() and int(owner) == user.id:
            return True
        await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        return False

    async def _requesters_job(self, query, user: User, lang: str, job_id: str):
        """The job a button belongs to, if it still exists and ``user`` asked for it."""
        job = await self.jobs.astatus(job_id)
        if job is None:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
        elif job.user_id != user.id:
            await query.answer(t(lang, "alert.not_requester"), show_alert=True)
        else:
            return job
        return None

    async def _pick(self, query, user, lang, rest, context) -> None:
        owner, _, style_id = rest.partition(":")
        if not await self._is_owner(query, owner, user, lang):
            return
        if style_id not in self.catalog:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        message = query.message
        content = Media.of(message.reply_to_message) if message else None
        if content is None:  # a gallery with no photo (/styles): preselect for the next one
            context.user_data["preselected"] = style_id
            await query.answer()
            await message.reply_text(t(lang, "style.chosen", style=style_label(
                lang, self.catalog[style_id])), parse_mode=PARSE_MODE)
            return
        await query.answer(t(lang, "alert.queued"))
        if message.text:  # the gallery prompt becomes "great choice"
            await self._quietly(message.edit_text(t(lang, "gallery.chosen", style=style_label(
                lang, self.catalog[style_id])), parse_mode=PARSE_MODE))
        await self.submit(message.chat, user, content, self._parse(style_id), lang=lang)

    async def _page(self, query, user, lang, rest, context) -> None:
        owner, _, page = rest.partition(":")
        if not await self._is_owner(query, owner, user, lang):
            return
        await query.answer()
        own = bool(query.message and query.message.reply_to_message)
        markup = keyboards.gallery(lang, user.id, self.catalog, int(page or 0), own=own)
        await self._quietly(query.edit_message_reply_markup(markup))

    async def _own(self, query, user, lang, rest, context) -> None:
        if not await self._is_owner(query, rest, user, lang):
            return
        content = Media.of(query.message.reply_to_message) if query.message else None
        if content is None:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        context.user_data["own_for"] = dataclasses.asdict(content)
        await query.answer()
        await query.message.reply_text(t(lang, "own.prompt"), parse_mode=PARSE_MODE)

    async def _cancel_button(self, query, user, lang, job_id, context) -> None:
        job = await self._requesters_job(query, user, lang, job_id)
        if job is None:
            return
        outcome = await self.jobs.acancel(job_id, user.id)
        key = "alert.cancelled" if outcome in ("cancelled", "cancelling") else \
            "alert.nothing_to_cancel"
        await query.answer(t(lang, key))

    async def _result_button(self, query, user, lang, rest, context) -> None:
        action, _, job_id = rest.partition(":")
        job = await self._requesters_job(query, user, lang, job_id)
        if job is None:
            return
        meta, chat = job.meta, query.message.chat
        content = Media(**meta["content"])
        if action == "full":
            await self._send_full_resolution(query, job, lang)
            return
        if action == "other":
            await query.answer()
            await chat.send_message(
                t(lang, "gallery.prompt"), parse_mode=PARSE_MODE,
                reply_parameters=ReplyParameters(content.message_id,
                                                 allow_sending_without_reply=True),
                reply_markup=keyboards.gallery(lang, user.id, self.catalog))
            return
        params = dict(meta["params"])
        if action in ("more", "less"):
            step = keyboards.STRENGTH_STEPS
            values = [to_params(None, {"strength": s}).strength for s in step]
            current = min(range(len(values)), key=lambda i: abs(values[i] - params["strength"]))
            new = current + (1 if action == "more" else -1)
            if not 0 <= new < len(values):
                await query.answer(t(lang, "alert.strongest" if action == "more"
                                     else "alert.weakest"), show_alert=True)
                return
            params["strength"] = values[new]
        elif action in ("keep", "orig"):
            params["color_mode"] = "keep" if action == "keep" else "style"
        await query.answer(t(lang, "alert.queued"))
        style_media = Media(**meta["style_media"]) if meta.get("style_media") else None
        request = self._parse("+".join(f"{i}:{w}" for i, w in meta["styles"])) \
            if meta["styles"] else None
        await self.submit(chat, user, content, request, lang=lang, style_media=style_media,
                          params=params)

    async def _send_full_resolution(self, query, job, lang: str) -> None:
        path = self.config.data_dir / "results" / f"{job.id}.png"
        if not path.exists():
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        await query.answer()
        width, height = job.meta.get("size") or ("?", "?")
        await query.message.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
        await query.message.reply_document(
            path.read_bytes(), filename=f"lienzo-{job.id[:8]}.png",
            caption=t(lang, "done.full_caption", width=width, height=height),
            parse_mode=PARSE_MODE)

    async def _settings_button(self, query, user, lang, rest, context) -> None:
        field, _, value = rest.partition(":")
        message = query.message
        if field == "close":
            await query.answer()
            await self._quietly(message.edit_reply_markup(None))
            return
        if field == "back":
            await query.answer()
            await self._quietly(message.edit_text(
                await self._settings_text(user, lang), parse_mode=PARSE_MODE,
                reply_markup=keyboards.settings_main(lang)))
            return
        if field not in keyboards.SETTING_CHOICES:
            await query.answer()
            return
        if not value:
            await query.answer()
            await self._quietly(message.edit_text(
                t(lang, f"settings.pick_{field}"), parse_mode=PARSE_MODE,
                reply_markup=keyboards.settings_picker(lang, field)))
            return
        if value not in keyboards.SETTING_CHOICES[field]:
            await query.answer(t(lang, "alert.expired"), show_alert=True)
            return
        current = await self.settings_of(user.id)
        name = {"colors": "color_mode"}.get(field, field)
        setting = int(value) if field == "size" else value
        await asyncio.to_thread(self.store.save_settings, user.id,
                                current.with_changes(**{name: setting}))
        lang = await self.lang(user)
        await query.answer(t(lang, "settings.language_set") if field == "language"
                           else t(lang, "alert.saved"))
        await self._quietly(message.edit_text(
            await self._settings_text(user, lang), parse_mode=PARSE_MODE,
            reply_markup=keyboards.settings_main(lang)))

    # -- chats and errors -------------------------------------------------------------
    async def not_allowed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message.chat.type == ChatType.PRIVATE or command_target(message.text or message.caption,
                                                                   self.username):
            lang = await self.lang(update.effective_user)
            await self.reply(message, error_text(lang, "chat_not_allowed"))

    async def membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was blocked (private) or removed (group): cancel that chat's jobs."""
        change: ChatMemberUpdated = update.my_chat_member
        if change.new_chat_member.status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            return
        await self.cancel_chat_jobs(change.chat.id, user_id=change.from_user.id)

    async def cancel_chat_jobs(self, chat_id: int, user_id: int | None = None) -> int:
        count = 0
        for job in await asyncio.to_thread(self.jobs.chat_jobs, chat_id):
            if user_id is None or job.user_id == user_id or job.chat_id == chat_id:
                if await self.jobs.acancel(job.id) in ("cancelled", "cancelling"):
                    count += 1
        if count:
            log.info("chat %s is gone: cancelled %d job(s)", chat_id, count)
        return count

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log, count, and tell the user something went wrong - never a traceback."""
        error = context.error
        self.metrics.telegram_errors.labels(error.__class__.__name__).inc()
        if isinstance(error, TelegramError):
            log.warning("Telegram error: %s: %s", error.__class__.__name__, error)
            return
        log.error("handler failed", exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            lang = await self.lang(update.effective_user)
            await self._quietly(update.effective_chat.send_message(
                error_text(lang, "engine_error"), parse_mode=PARSE_MODE))

    @staticmethod
    async def _quietly(call) -> None:
        """Edits that may fail harmlessly ('not modified', message gone)."""
        try:
            await call
        except TelegramError as exc:
            log.debug("ignored: %s", exc)

    @property
    def _bot(self):
        return self.application.bot

    def attach(self, application: Application) -> None:
        self.application = application
        self.register(application)


def _style_ids(request: StyleRequest | None) -> list[list]:
    """The request's catalogue styles as JSON-ready [id, weight] pairs."""
    return [list(s) for s in (request.styles if request else ())]
