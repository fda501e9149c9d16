"""Reliability (issue #10) end to end: people who left, a painter who is not
there, and the bot killed at the worst moments.

The bot runs as in ``tests.e2e.test_bot`` (``bot.app.serve`` against the fake Bot
API, one real engine worker for the module); the kill tests run it as a real
process (``bot.app.main``, as ``lienzo bot``) and SIGKILL it, then start it
again on the same data dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import aiohttp
import pytest

from bot import delivery
from bot.texts import LANGUAGES, t
from tests.support.bot_harness import JOB_S, RECEIVED, SIDE, answer, artwork, lienzo_bot
from tests.support.waiting import free_port
from tests.support.workers import REPO

pytestmark = pytest.mark.asyncio

WAITING = RECEIVED | {t(lang, "queued.first") for lang in LANGUAGES}


def calls_for(tg, chat, since: float = 0.0) -> list:
    return [c for c in tg.calls if c.chat_id == chat.id and c.time > since]


async def test_blocked_user_is_not_called_again_until_they_write(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """The first 403 - here a progress edit, Telegram's my_chat_member not yet
    arrived - cancels the chat's running job and ends every call to that chat."""
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        bob = telegram.user(1101, "Bob")
        sent = await bob.send_photo(bob.chat, assets.photo(31),
                                    caption="/style great_wave quality=best")
        status = await answer(telegram, bob.chat, sent)
        await telegram.wait_for(lambda _: "🎨" in status.content, timeout=JOB_S,
                                message="the job to be painting")
        bob.blocked = True  # blocked; the my_chat_member update comes later, or never
        first_403 = await telegram.wait_for_call(  # a progress edit: caption or preview
            ("editMessageCaption", "editMessageMedia"),
            lambda c: c.chat_id == bob.id and c.status == 403,
            timeout=30)

        def cancelled():
            jobs = bot.jobs.user_jobs(bob.id, active_only=False)
            return jobs and all(j.outcome == "cancelled" for j in jobs)

        await telegram.wait_for(lambda _: cancelled(), timeout=60,
                                message="Bob's running job to be cancelled")
        await asyncio.sleep(4)  # a progress edit would be due by now; the outcome too
        assert calls_for(telegram, bob.chat, since=first_403.time) == []
        assert not any(artwork(m) for m in bob.chat.bot_messages)

        bob.unblock_bot()  # Telegram says so; Bob writes again: answered again
        help_ = await bob.send_text(bob.chat, "/help")
        reply = await telegram.wait_for_message(bob.chat, after=help_)
        assert "/style" in reply.text


async def test_kicked_from_a_group_cancels_its_jobs_and_goes_quiet(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = telegram.user(1102, "Ana")
        group = telegram.group("Art club", privacy=True, members=[ana])
        sent = await ana.send_photo(group, assets.photo(32),
                                    caption="/style@LienzoBot the_scream quality=best")
        status = await answer(telegram, group, sent)
        # Kicked while it paints: once its first progress edit is made (right after the
        # first look's edit, which delivery waits for), so that none is in flight.
        await telegram.wait_for(lambda _: status.content.startswith("🎨"), 60,
                                "the painting to start", chat=group)
        group.remove_bot(by=ana)
        kicked_at = time.monotonic()
        await telegram.wait_for(
            lambda _: all(j.outcome == "cancelled"
                          for j in bot.jobs.user_jobs(ana.id, active_only=False)),
            timeout=60, message="the group's job to be cancelled")
        await asyncio.sleep(3)
        assert calls_for(telegram, group, since=kicked_at) == []


async def test_painter_offline_says_so_drops_old_jobs_and_health_tells(
        telegram, tmp_path, monkeypatch, assets):
    """No worker at all on this queue: new photos hear that the painter is offline,
    a job queued past LIENZO_QUEUE_TIMEOUT is dropped with a plain message, and
    /healthz and /metrics say what is wrong."""
    no_workers = (f"sqlite:///{tmp_path}/no-workers.db", None)
    async with lienzo_bot(telegram, tmp_path, monkeypatch, no_workers, assets,
                          LIENZO_WORKER_OFFLINE_AFTER="0.5", LIENZO_QUEUE_TIMEOUT="4") as bot:
        await asyncio.sleep(1)  # longer than LIENZO_WORKER_OFFLINE_AFTER with no heartbeat
        eva = telegram.user(1103, "Eva", language_code="es")
        sent = await eva.send_photo(eva.chat, assets.photo(33), caption="/style great_wave")
        status = await answer(telegram, eva.chat, sent)
        assert t("es", "queued.offline") in status.content
        assert t("es", "look.offer_instant") in status.content  # and a button for it
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{bot.config.http_port}"
            async with http.get(f"{base}/healthz") as r:
                body = await r.json()
                assert r.status == 503 and "no engine worker" in body["reason"]
            async with http.get(f"{base}/metrics") as r:
                text = await r.text()
            assert "lienzo_workers_alive 0.0" in text
            age = float(text.split("\nlienzo_oldest_queued_seconds ")[1].split()[0])
            assert 0 < age < 10
        await telegram.wait_for(lambda _: status.content == t("es", "error.queue_timeout"),
                                timeout=60, message="the queued job to be dropped")
        assert bot.jobs.user_jobs(eva.id, active_only=False)[0].outcome == "failed"


# ----------------------------------------------------------------- the bot killed


class BotProcess:
    """``lienzo bot`` as a process on one data dir, killed and started again."""

    def __init__(self, env: dict[str, str], log_path) -> None:
        self.env, self.log_path = env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys, bot.app; sys.exit(bot.app.main())"],
            env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.asynccontextmanager
async def bot_process(tg, tmp_path, engine_worker, assets):
    url, _ = engine_worker
    env = dict(os.environ, **tg.env(), LIENZO_DATA_DIR=str(tmp_path / "bot-data"),
               LIENZO_QUEUE_URL=url, LIENZO_ENGINE_WORKERS="0",
               LIENZO_HTTP_PORT=str(free_port()), LIENZO_STYLES_DIR=str(assets.styles_dir),
               LIENZO_MAX_SIDE=str(SIDE), PYTHONPATH=str(REPO))
    bot = BotProcess(env, tmp_path / "bot.log")
    try:
        yield bot
    finally:
        bot.stop()


async def polled(tg, update_id: int, after: float) -> None:
    """Until the bot's getUpdates has been answered with this update."""
    await tg.wait_for_call("getUpdates", lambda c: c.time >= after and c.ok and any(
        u["update_id"] == update_id for u in c.result or []), timeout=30)


def update_id_of(tg, message) -> int:
    return next(u["update_id"] for u in reversed(tg.updates)
                if u.get("message", {}).get("message_id") == message.message_id
                and u["message"]["chat"]["id"] == message.chat.id)


def answers_to(chat, photo) -> list:
    return [m for m in chat.bot_messages if m.reply_to_message_id == photo.message_id]


async def test_bot_killed_while_photos_come_in_loses_none(
        telegram, tmp_path, engine_worker, assets):
    """SIGKILL at each step of a photo's way in - just handed over by getUpdates
    (PTB has already asked for the next batch, which confirms it to Telegram),
    acknowledged and being downloaded, submitted - then started again: each photo
    is handled again, its first answer becomes the painting, nothing is lost or
    doubled.  (Random moments: ``bench/chaos.py``.)"""
    steps = ["getUpdates", "getFile", "editMessageCaption"]
    async with bot_process(telegram, tmp_path, engine_worker, assets) as bot:
        photos = []
        for i, step in enumerate(steps):
            user = telegram.user(1110 + i, f"U{i}")
            bot.start()
            started = time.monotonic()
            await telegram.wait_for_call("getUpdates", lambda c, s=started: c.time > s,
                                         timeout=60)
            sent = await user.send_photo(user.chat, assets.photo(40 + i),
                                         caption="/style starry_night")
            if step == "getUpdates":
                await polled(telegram, update_id_of(telegram, sent), started)
            else:
                await telegram.wait_for_call(step, lambda c, u=user, s=started: c.ok and (
                    c.chat_id == u.id or c.method == "getFile") and c.time > s, timeout=60)
            bot.kill()
            photos.append((user, sent))
        bot.start()
        for user, sent in photos:
            art = await telegram.wait_for_message(user.chat, artwork, timeout=JOB_S, after=sent)
            assert art.reply_to_message_id == sent.message_id
        await asyncio.sleep(1)
        for user, sent in photos:
            replies = answers_to(user.chat, sent)
            assert len(replies) == 1 and artwork(replies[0]), \
                telegram.report(f"{user}: one answer, the painting", user.chat)


def job_rows(data_dir, user) -> list[tuple[str, str | None, float | None]] | None:
    """(state, outcome, delivered_at) of each of ``user``'s jobs in the bot process's
    job table, read-only; None while the database cannot be read (being written)."""
    path = data_dir / "jobs.db"
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                timeout=2)) as db:
            return db.execute("select state, outcome, delivered_at from jobs "
                              "where user_id = ?", (user.id,)).fetchall()
    except sqlite3.Error:
        return None


async def until(predicate, timeout: float, message: str, report=lambda: "") -> object:
    """Poll ``predicate`` (state outside the fake server: another process's files)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {message}\n"
                                 f"{report()}")
        await asyncio.sleep(0.1)
    return value


SENDS = ("sendPhoto", "sendDocument", "sendMessage", "sendMediaGroup", "copyMessage",
         "forwardMessage")


async def test_bot_killed_just_after_a_result_is_sent_sends_it_once(
        telegram, tmp_path, engine_worker, assets):
    """SIGKILL right after Telegram took the painting (before the bot could write
    that down): after the restart the same edit is made again, no second picture.

    Each job is followed until the restarted process has settled it: its row says
    delivered, and if that was written after the restart, the restarted process
    made the same edit again and Telegram answered "message is not modified".
    Nothing is sent anew after the restart; at the end every user has exactly one
    painting, checked again once every restart has had time to do more."""
    data_dir = tmp_path / "bot-data"
    async with bot_process(telegram, tmp_path, engine_worker, assets) as bot:
        bot.start()
        done = []
        for i, delay in enumerate((0.0, 0.02)):
            user = telegram.user(1120 + i, f"V{i}")
            since = time.monotonic()
            sent = await user.send_photo(user.chat, assets.photo(50 + i),
                                         caption="/style the_scream")
            painted = await telegram.wait_for_call(  # the painting's edit, not a preview's
                "editMessageMedia", lambda c, u=user, s=since: c.chat_id == u.id and c.ok
                and c.time > s and "r:full:" in str(c.params.get("reply_markup")), timeout=JOB_S)
            await asyncio.sleep(delay)
            bot.kill()
            restarted, restarted_wall = time.monotonic(), time.time()
            bot.start()

            def report(u=user):
                return telegram.report(f"{u}: rows {job_rows(data_dir, u)}", u.chat)

            rows = await until(  # the restarted bot has the job settled
                lambda u=user: (r := job_rows(data_dir, u)) and r[0][0] == "delivered" and r,
                JOB_S, f"{user}'s job to be delivered after the restart", report)
            assert len(rows) == 1 and rows[0][1] == "done", report()
            again = [c for c in telegram.calls_to("editMessageMedia", user.chat)
                     if c.time > restarted]
            if rows[0][2] >= restarted_wall:  # written down by the restarted process...
                assert again and all(c.status == 400 and "message is not modified" in c.error
                                     for c in again), report()  # ...after the same edit
                assert again[0].params["message_id"] == painted.params["message_id"]
            else:  # written down before the kill: nothing to redo
                assert again == [], report()
            assert not [c for c in telegram.calls if c.method in SENDS and c.time > restarted
                        and c.chat_id == user.id], report()
            replies = answers_to(user.chat, sent)
            assert len(replies) == 1 and artwork(replies[0]), \
                telegram.report(f"{user}: exactly one painting", user.chat)
            assert replies[0].content not in WAITING
            done.append((user, sent, replies[0]))

        await asyncio.sleep(3)  # the last restart's watcher has polled many times by now
        for user, sent, art in done:
            paintings = [m for m in user.chat.bot_messages if artwork(m)]
            assert paintings == [art] and answers_to(user.chat, sent) == [art], \
                telegram.report(f"{user}: still exactly one painting at the end", user.chat)
            assert len(telegram.calls_to("sendPhoto", user.chat)) == 1, \
                telegram.report(f"{user}: one sendPhoto, the status message", user.chat)


async def test_a_long_painting_rings_when_it_is_ready(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """Delivery edits the status message, which Telegram does not notify: after a
    long wait (here: any wait) a short reply to the painting does."""
    monkeypatch.setattr(delivery, "READY_PING_AFTER_S", 0.0)
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        ana = telegram.user(1130, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(60), caption="/style great_wave")
        art = await telegram.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        ping = await telegram.wait_for_message(ana.chat, after=art)
        assert ping.text == t("en", "done.ready") and ping.reply_to_message_id == art.message_id
        assert answers_to(ana.chat, sent) == [art]
