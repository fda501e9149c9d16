"""``lienzo bot``: the Telegram bot process, put together (docs/architecture.md,
"Processes").

It builds the PTB ``Application`` (against ``LIENZO_TELEGRAM_API_URL``, with
PTB's ``AIORateLimiter`` honouring flood control, an HTTP client that keeps few
idle connections, and ``bot.state``'s typed user data), its handlers, intake and
delivery, the job service and its watcher, the local engine workers
(``LIENZO_ENGINE_WORKERS``), and the aiohttp server for health, metrics and the
webhook; then serves until SIGINT/SIGTERM and stops them in reverse order.
Importing this module loads no keras or tensorflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    MenuButtonCommands,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, TypeHandler
from telegram.request import HTTPXRequest

from bot import handlers
from bot.answering import Answering
from bot.catalogue import Catalogue
from bot.chat_gate import ChatGate
from bot.config import BotConfig, load_config
from bot.delivery import Delivery
from bot.engine_view import EngineView
from bot.fair_use import RELEASE_EVERY_S, FairUse
from bot.forget import Stores
from bot.held import show_released
from bot.inbox import Inbox, RecordingRequest
from bot.instant import InstantPainter
from bot.intake import Intake
from bot.jobs import JobService
from bot.local_workers import LocalWorkers
from bot.looks import Looks
from bot.metrics import Metrics
from bot.printing import Prints
from bot.startup import check, raise_worker_failure, start_site, watch_worker_failure
from bot.state import CONTEXT_TYPES, LienzoApp
from bot.status import Settling
from bot.stores.artworks import Artworks
from bot.stores.gone_chats import GoneChats
from bot.stores.ledger import Ledger
from bot.stores.result_cache import ResultCache
from bot.stores.user_settings import SettingsStore
from bot.studio import studio_app
from bot.texts import LANGUAGES, bot_commands, t
from bot.web import STUDIO_PATH, WEBHOOK_PATH, create_web_app
from engine.catalogue import styles
from engine.errors import LienzoError
from engine.queue import JobQueue

log = logging.getLogger("lienzo.app")

KEEP_ALIVE = 16  # idle connections to the Bot API kept open (see http_client)
LAST_GROUP = 1000  # handler group after every other (bot.inbox's "handled")


_SECRETS: set[str] = set()


def protect_token(token: str) -> None:
    """Keep the token out of every log record, whatever logs it and wherever it goes.

    httpx logs each request URL (which holds the token) and PTB logs its base
    URLs; rather than trust every library's log level, every record's message is
    redacted where it is created.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not token or token in _SECRETS:
        return
    if not _SECRETS:
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            message = record.getMessage()
            if any(secret in message for secret in _SECRETS):
                for secret in _SECRETS:
                    message = message.replace(secret, "<token>")
                record.msg, record.args = message, None
            return record

        logging.setLogRecordFactory(redacting_factory)
    _SECRETS.add(token)


@dataclass(frozen=True)
class Built:
    """What ``build_application`` makes that ``serve`` runs."""

    application: LienzoApp  # PTB's, with the handlers
    workers: EngineView  # the view of the workers to keep fresh (``_watch_workers``)
    delivery: Delivery  # for the job service
    fair_use: FairUse  # whose held photos ``_release_held`` looks at
    studio: web.Application | None  # the Mini App (``bot.studio``), with LIENZO_PUBLIC_URL


def build_application(config: BotConfig, kept: Stores, metrics: Metrics) -> Built:
    """The bot's parts, each collaborator made once and given to whoever uses it."""
    jobs, inbox, artworks = kept.jobs, kept.inbox, kept.artworks
    gate = ChatGate(kept.gone, metrics, on_closed=jobs.cancel_chat, **flood_control())
    application = build_ptb_application(config, gate, inbox)
    workers = EngineView(config, jobs)
    catalogue = Catalogue(styles.load_catalog(config.engine.styles_dir,
                                              config.engine.style_cache_dir), workers)
    # Shared by whoever uses them, each given directly (docs/architecture.md,
    # "Packages and modules"): the handlers' count, the status messages settling.
    answering, settling = Answering(), Settling()
    looks = Looks(catalogue.styles, metrics, first_look=config.first_look)
    instant = InstantPainter(jobs, looks, workers)
    fair_use = FairUse(config, kept.ledger, jobs, metrics)
    intake = Intake(application, config, jobs, kept.settings, kept.results, metrics, catalogue,
                    workers, inbox, answering, settling, looks, instant, fair_use, gate)
    prints = Prints(application, config, jobs, intake, artworks, fair_use, workers, inbox,
                    settling, gate)
    services = handlers.Services(
        config=config, jobs=jobs, settings=kept.settings, metrics=metrics, catalogue=catalogue,
        workers=workers, intake=intake, answering=answering, inbox=inbox, gate=gate,
        artworks=artworks, kept=kept, instant=instant, fair_use=fair_use, prints=prints)
    handlers.register(application, services)
    # Around every other handler: the chat gate and the inbox see each update first,
    # and the inbox learns when its handlers are done (bot.inbox, bot.chat_gate).
    application.add_handler(TypeHandler(Update, gate.on_update), group=-2)
    application.add_handler(TypeHandler(Update, inbox.on_arrival), group=-1)
    application.add_handler(TypeHandler(Update, inbox.on_handled), group=LAST_GROUP)
    delivery = Delivery(application.bot, jobs, kept.results, metrics, kept.settings, catalogue,
                        settling, artworks, fair_use, config.studio_url)
    return Built(application, workers, delivery, fair_use,
                 studio_app(services, application) if config.studio_url else None)


def flood_control() -> dict[str, float]:
    """Telegram's flood control, honoured rather than guessed (docs/benchmarks.md, "Bot"):
    the arguments of PTB's ``AIORateLimiter`` (which ``ChatGate`` is).

    No global throttle (``overall_max_rate=0``; PTB's default is 30/s).  Telegram's
    Bot FAQ figure of ~30 messages/s is for bulk notifications, messages the bot
    starts; a bot answering people who just wrote to it is not bulk, and the
    pre-emptive 30/s made the last "⏳" of a burst of 100 wait 2-3 s.  Telegram does not
    publish exact limits and calls pre-empting them useless and harmful (quoted in
    grammY's flood-limit guide); the correct handling is to wait ``retry_after``
    and retry, which AIORateLimiter does (a 429 pauses every request until the
    wait is over; up to 3 retries).  PTB's per-group limit (20 messages a minute,
    which the FAQ states as a hard limit) stays.
    """
    return {"overall_max_rate": 0, "max_retries": 3}


def http_client() -> HTTPXRequest:
    """PTB's HTTP client as PTB builds it (up to 256 connections), keeping few idle ones.

    A burst of 100 answers opens ~100 connections at once.  httpcore (1.0.9)
    walks its whole pool at the start and end of every request - for each idle
    connection a poll of its socket and a count of all the others - so 100
    idle connections left over made every later request (the burst's downloads
    and edits) cost more CPU than its own work.  With ``max_keepalive_connections``
    httpcore closes idle connections while more than that many are open: 16
    stay, more than the bot uses at once outside a burst (docs/benchmarks.md).
    """
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=KEEP_ALIVE)
    return HTTPXRequest(httpx_kwargs={"limits": limits})  # these limits replace PTB's


def build_ptb_application(config: BotConfig, gate: ChatGate, inbox: Inbox) -> LienzoApp:
    builder = (
        Application.builder()
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .request(http_client())
        .get_updates_request(RecordingRequest(inbox))  # on disk before confirmed
        .rate_limiter(gate)
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(True)  # one user's slow download never holds up another's /help
    )
    if config.webhook_url:
        builder = builder.updater(None)
    return builder.build()


async def set_commands(application: LienzoApp, config: BotConfig) -> None:
    for lang in LANGUAGES:
        commands = [BotCommand(name, text)
                    for name, text in bot_commands(lang, payments=bool(config.fair_use
                                                                       and config.stars_packs))]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(),
            language_code=None if lang == "en" else lang)


async def set_menu_button(application: LienzoApp, config: BotConfig) -> None:
    """Private chats' menu button: the studio while it is on.  Off, a menu button
    still opening a studio (an earlier run's) goes back to the command list."""
    bot = application.bot
    try:
        if config.studio_url:
            await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(
                t("en", "button.studio_menu"), WebAppInfo(config.studio_url)))
            return
        current = await bot.get_chat_menu_button()
        if isinstance(current, MenuButtonWebApp) and \
                urlsplit(current.web_app.url).path.rstrip("/").endswith(STUDIO_PATH):
            # "default" for every chat is no change at all (Telegram keeps the old button)
            await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    except TelegramError as exc:  # a button is not worth a bot that does not start
        log.warning("cannot set the menu button: %s", exc)


async def _watch_workers(workers: EngineView, stop: asyncio.Event, every_s: float = 5.0
                         ) -> None:
    """Keep the bot's view of the engine workers (alive? their devices) fresh."""
    while not stop.is_set():
        try:
            await workers.refresh()
        except Exception as exc:  # the queue store may be down for a while
            log.warning("cannot list engine workers: %s", exc.__class__.__name__)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def _forget_the_old(config: BotConfig, kept: Stores, stop: asyncio.Event,
                          every_s: float = 3600.0) -> None:
    """``LIENZO_RETENTION_DAYS``, every hour: ``Stores.forget_before`` (``bot.forget``)."""
    while not stop.is_set():
        try:
            before = time.time() - config.retention_s
            await asyncio.to_thread(kept.forget_before, before)
        except Exception:  # a full disk, a locked file: try again next time
            log.exception("forgetting old artworks")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def _release_held(application: LienzoApp, fair_use: FairUse, stop: asyncio.Event,
                        every_s: float = RELEASE_EVERY_S) -> None:
    """Held photos whose person can spend again (a new UTC day's free paintings, or fair
    use switched off) are queued, and their status messages say so (``bot.fair_use``,
    ``bot.held``)."""
    while not stop.is_set():
        try:
            await show_released(application.bot, await fair_use.release_due())
        except Exception:  # the job table busy, a Telegram error: next time
            log.exception("releasing held photos")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def replay_unfinished(application: LienzoApp, inbox: Inbox) -> None:
    """Updates a previous run received but did not finish: handled again now."""
    unfinished = await asyncio.to_thread(inbox.unfinished)
    if unfinished:
        log.info("handling %d update(s) again that the last run left unfinished",
                 len(unfinished))
    for payload in unfinished:
        update = Update.de_json(payload, application.bot)
        if update is not None:
            await application.update_queue.put(update)


async def serve(config: BotConfig, stop: asyncio.Event, *, workers: LocalWorkers | None = None,
                jobs: JobService | None = None) -> None:
    """Run the bot until ``stop`` is set (tests set it; ``main`` sets it on a signal).
    ``jobs``: a job service of the caller's (tests); by default one from ``config``."""
    protect_token(config.token)
    metrics = Metrics()
    own_jobs = jobs is None
    jobs = jobs or JobService(JobQueue(config.engine.queue_url), config.data_dir / "jobs.db",
                              user_limit=config.user_queue_limit, queue_cap=config.queue_cap,
                              heartbeat_timeout=config.heartbeat_timeout_s,
                              queue_timeout=config.queue_timeout_s,
                              retention=config.retention_s)
    kept = Stores(jobs, SettingsStore(config.data_dir / "bot.db"),
                  ResultCache(config.data_dir / "bot.db"), GoneChats(config.data_dir / "bot.db"),
                  Artworks(config.data_dir / "artworks.db"), Inbox(config.data_dir / "inbox.db"),
                  Ledger(config.data_dir / "ledger.db"))
    inbox = kept.inbox
    built = build_application(config, kept, metrics)
    application, workers_view, delivery, fair_use = \
        built.application, built.workers, built.delivery, built.fair_use
    runner = web.AppRunner(create_web_app(
        application, jobs, metrics, workers_view, inbox,
        config.webhook_secret if config.webhook_url else None, built.studio))
    if workers is not None:
        await asyncio.to_thread(workers.start)
    worker_failure = watch_worker_failure(workers, stop)  # a config error stops the bot
    try:
        async with application:
            await set_commands(application, config)
            await set_menu_button(application, config)
            await application.start()
            await replay_unfinished(application, inbox)
            await runner.setup()
            site = web.TCPSite(runner, "0.0.0.0", config.http_port)
            await start_site(site, config.http_port)
            if config.webhook_url:
                await application.bot.set_webhook(
                    config.webhook_url.rstrip("/") + WEBHOOK_PATH,
                    secret_token=config.webhook_secret, allowed_updates=Update.ALL_TYPES)
            elif application.updater is not None:
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            jobs.start(delivery.on_progress, delivery.on_result)
            watch_workers = asyncio.create_task(_watch_workers(workers_view, stop))
            keep = asyncio.create_task(_forget_the_old(config, kept, stop))
            release = asyncio.create_task(_release_held(application, fair_use, stop))
            log.info("Lienzo is up as @%s (%s)", application.bot.username,
                     "webhook" if config.webhook_url else "polling")
            log.info("fair use: %s", f"{config.free_per_day} free paintings a day, "
                     f"{len(config.stars_packs)} pack(s) sold in Stars" if fair_use.on
                     else "off (LIENZO_FREE_PER_DAY unset: painting is free)")
            log.info("studio: %s", f"on at {config.studio_url}" if config.studio_url else
                     "off (set LIENZO_PUBLIC_URL to the https address of LIENZO_HTTP_PORT)")
            if not application.bot.supports_inline_queries:
                log.info("inline mode is off, so the Share button cannot work: turn it on "
                         "with @BotFather (/setinline)")
            await stop.wait()
            log.info("stopping")
            await watch_workers
            await keep
            await release
            await jobs.stop()
            if application.updater and application.updater.running:
                await application.updater.stop()
            await application.stop()
    finally:
        await runner.cleanup()
        if worker_failure is not None:
            worker_failure.cancel()
        if workers is not None:
            await asyncio.to_thread(workers.stop)
        kept.close(jobs=own_jobs)
    raise_worker_failure(workers)


def main() -> int:
    # PTB's time periods (RetryAfter.retry_after) as timedelta, its coming default,
    # rather than ints with a deprecation warning on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        config = load_config()
        check(config)  # before anything starts: one line, nothing to clean up
    except LienzoError as exc:
        print(f"lienzo bot: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workers = LocalWorkers(config.engine_workers, gpus=config.gpus,
                           memory_fraction=config.engine.gpu_memory_fraction) \
        if config.engine_workers else None

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(config, stop, workers=workers)

    try:
        asyncio.run(run())
    except LienzoError as exc:
        print(f"lienzo bot: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("lienzo bot: Telegram refused TELEGRAM_BOT_TOKEN; copy it again from @BotFather.",
              file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"lienzo bot: cannot reach the Bot API at {config.api_url} ({exc.message}).",
              file=sys.stderr)
        return 2
    return 0
