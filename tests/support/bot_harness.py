"""The bot under test: ``bot.app.serve`` (the code of ``lienzo bot``) against the
fake Bot API, with one real engine worker per test module on a SQLite queue
(random VGG19 weights, tiny pictures).  The fixtures built on it (``engine_worker``,
``telegram``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import serve
from bot.config import load_config
from bot.jobs import JobService
from bot.texts import LANGUAGES, t
from engine import queue as q
from tests.support.waiting import free_port
from tests.support.workers import SIDE

JOB_S = 120  # s: deadline for one painting on a loaded 2-core CPU


class RunningBot:
    def __init__(self, tg, config, jobs, task, stop):
        self.tg, self.config, self.jobs, self.task, self.stop = tg, config, jobs, task, stop

    async def kept(self, *job_ids: str, timeout: float = 60) -> None:
        """Wait until the bot has kept these artworks (``artworks.db``), which it does
        a moment after the painting appears in the chat (Telegram's answer gives
        the file id): what /gallery and inline mode list."""
        path = self.config.data_dir / "artworks.db"

        def all_kept() -> bool:
            with contextlib.closing(sqlite3.connect(path)) as db:
                found = {row[0] for row in db.execute("select job_id from artworks")}
            return set(job_ids) <= found

        await self.tg.wait_for(lambda _: all_kept(), timeout, f"artworks {job_ids} kept")


@contextlib.asynccontextmanager
async def lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets, *, webhook=False,
                     **env):
    url, queue = engine_worker
    settings = dict(tg.env(), LIENZO_DATA_DIR=str(tmp_path / "bot-data"),
                    LIENZO_QUEUE_URL=url, LIENZO_ENGINE_WORKERS="0",
                    LIENZO_HTTP_PORT=str(free_port()), LIENZO_STYLES_DIR=str(assets.styles_dir),
                    LIENZO_MAX_SIDE=str(SIDE), LIENZO_ADMIN_IDS="42")
    if webhook:
        settings.update(LIENZO_WEBHOOK_URL=f"http://127.0.0.1:{settings['LIENZO_HTTP_PORT']}",
                        LIENZO_WEBHOOK_SECRET="s3cret")
    settings.update(env)
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    config = load_config()
    jobs = JobService(q.JobQueue(url), tmp_path / "jobs.db", poll_interval=0.05,
                      watchdog_interval=0.25, user_limit=int(env.get("LIMIT", 3)),
                      queue_cap=int(env.get("CAP", 100)), queue_timeout=config.queue_timeout_s)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(config, stop, jobs=jobs))
    await tg.wait_for(lambda calls: any(c.method in ("getUpdates", "setWebhook") for c in calls)
                      or task.done(), timeout=30, message="the bot to start")
    if task.done():
        task.result()
    try:
        yield RunningBot(tg, config, jobs, task, stop)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


RECEIVED = {t(lang, "received") for lang in LANGUAGES}  # "⏳ Got it — one moment…"


def artwork(m) -> bool:
    """The painting: the status message once its picture is the artwork (result buttons)."""
    return bool(m.photo) and any(d.startswith("r:") for d in m.callback_data)


def job_of(art) -> str:
    """The job id an artwork's buttons carry."""
    return next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]


def media_edits(tg, chat, message_id: int) -> list:
    """editMessageMedia calls for one message, oldest first."""
    return [c for c in tg.calls_to("editMessageMedia", chat)
            if c.params.get("message_id") == message_id]


def media_of(call) -> dict:
    """An editMessageMedia call's InputMedia, as sent."""
    media = call.params["media"]
    return json.loads(media) if isinstance(media, str) else media


def markup_of(call) -> str:
    markup = call.params.get("reply_markup")
    return markup if isinstance(markup, str) else json.dumps(markup)


def is_look(call) -> bool:
    """The first look's edit (bot.looks): its caption leads with "first look"."""
    caption = media_of(call).get("caption", "")
    return any(caption.startswith(t(lang, "look.first")) for lang in LANGUAGES)


async def answer(tg, chat, after, timeout: float = 60):
    """The bot's first message after ``after``, once it says more than "got it".

    A photo is acknowledged before it is downloaded; that message is then edited
    into "queued" or into the error, so the answer is its text after the edit."""
    first = await tg.wait_for_message(chat, after=after, timeout=timeout)
    await tg.wait_for(lambda _: first.content not in RECEIVED, timeout,
                      "the acknowledgement to be edited", chat=chat)
    return first


async def metric(bot, name: str) -> float:
    """A figure of the bot's /metrics."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{bot.config.http_port}/metrics") as r:
            text = await r.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return 0.0
