"""Chaos (issue #10, "Reliability"): kill the engine worker, kill the bot, restart
Redis, and count what became of every photo.

    .venv/bin/python -m bench.chaos                          # all six scenarios, ~15 min
    .venv/bin/python -m bench.chaos --scenario bot-kills-intake
    .venv/bin/python -m bench.chaos --scenario bot-kills-payment --users 10 --kills 8
    .venv/bin/python -m bench.chaos --scenario worker-kills --jobs 6 --kills 3   # a quick try

The bot and the workers are started (and restarted) from this checkout, so a
checkout that others edit during the run mixes versions.  To measure one commit,
run from an export of it (``git archive <commit> | tar -x -C DIR``, this file and
``bench/bot_process.py`` copied in) with ``--commit <commit>`` for the record.

Each scenario is a world of its own: the fake Bot API server
(tests/support/fake_telegram.py) runs in this process and plays 12 users who send
24 photos captioned ``/style <id>``; the bot runs as a child process
(``python -m bench.bot_process``, which is ``lienzo bot``) with
``LIENZO_ENGINE_WORKERS=0`` on one data dir that outlives its restarts; the
engine workers are started here (``bot.local_workers.LocalWorkers``, restarted
1 s after they die, with no crash-loop back-off so that the kills, not the
back-off, set the pace), so that this script can SIGKILL either side on its
own.  Random VGG19 weights, 48 px pictures, the ``fast`` preset and a 4 s
painting budget (``LIENZO_JOB_TIME_LIMIT``: at the limit the best picture so far
is the result, a path the product has anyway) make a job a few seconds on a
2-core CPU, however busy it is.  Everything else is the product's defaults (the
per-user limit, the heartbeat timeout, the watchdog's attempts).

Scenarios (``--scenario``):

- ``worker-kills``: SQLite queue, one worker.  Whenever the worker's heartbeat
  says it is painting a job, that run is picked with ``--kill-chance`` and the
  worker is SIGKILLed at a random moment of it (0 to ``--job-seconds`` after the
  heartbeat said so; a run that ends first is not killed), until ``--kills``
  kills; a job may be killed more than once (the third time, the product gives
  up on it with a message).
- ``bot-kills-random``: photos sent at random over the first half of the run,
  the bot SIGKILLed at ``--kills`` random moments over all of it (start-up
  included), restarted at once each time.
- ``bot-kills-intake``: photos one at a time; for ``--kills`` of them the bot is
  SIGKILLed 0-30 ms after the fake server answered the ``getUpdates`` that
  carried the photo (restarted at once).
- ``bot-kills-delivery``: all photos at once; each time an artwork appears in a
  chat the bot is SIGKILLed 0-50 ms after the fake server answered the call
  that put it there (restarted at once), until ``--kills`` kills.
- ``bot-kills-payment``: fair use on (``LIENZO_FREE_PER_DAY=1``,
  ``LIENZO_STARS_PACKS=2:10``).  Each user (``--users``) sends two photos: one is
  painted free, the other is *held* (its status message offers the pack).  Then,
  one user at a time, the user presses ``buy:2:10`` on the held photo's status
  message and pays the invoice that arrives (the fake's ``user.pay``: the
  pre-checkout query, then a ``successful_payment`` message); for ``--kills`` of
  the payments the bot is SIGKILLed 0-30 ms after the fake server answered the
  ``getUpdates`` that carried that successful_payment (restarted at once).
- ``redis-restart``: Redis queue, two workers; redis-server (no persistence, as
  in tests/conftest.py: a restart loses every queued message and key) is stopped
  and started again on the same port when half of the photos have an answer
  (``--redis-restarts``, ``--redis-down``).

Trigger times come from the fake server's own records: it wakes whatever waits
on it as it answers a request, and ``Observer`` stamps each answered call then;
the aimed kills sleep their random delay from that stamp.

**Outcomes are read from the final state of the chats**, not from method names
(a result may be a new photo or the status message edited into the artwork).
Per photo: an *artwork* is a bot message that still exists, replies to the photo
and carries result buttons (callback data ``r:…``).  *Delivered exactly once*:
one artwork; *duplicated*: more than one; *failed with a message*: no artwork,
but a bot reply whose final text is neither the acknowledgement, nor
"queued…", nor a progress bar (those texts are taken from ``bot.texts``:
``received``, ``own.album``, ``queued.*``, ``progress.*``); *lost*: neither,
after the settle (below).  *Left waiting*: a lost photo whose reply still shows
one of those waiting texts.  *Stray "⏳"*: a waiting reply left beside a final
answer.  Only replies to the photo count (a note replying to the artwork is not
an answer of its own).  Goal (issue #10): 0 duplicated, 0 lost, no user left without a final
message.

Per payment (``bot-kills-payment``, read after the settle): *credited* once,
twice or never, from ``ledger.db`` (the ``purchases`` rows of its charge id, and
the user's balance: it must be the pack's 2 paintings less the paid paintings
the user's spends used, so a pack credited twice shows as 2 too many); *balance
off*: the balance is not the pack less one painting per painted photo past the
day's free one (a paid painting given back although its photo was painted, or
taken twice); *receipts*: the bot messages in the user's chat that contain the
charge id (at most 1: the receipt is marked, then sent, so a kill while it is
sent leaves none, and Telegram's own payment message stands for it); the held
photo *painted once* (one artwork, counted as above), *lost* (none) or
*duplicated*.  Goal: every payment credited once, no balance off, no second
receipt, its held photo painted once.  Also counted: *extra
invoices* (more than one invoice in a user's chat: a replayed button press) and
the bot's calls the fake refused (``api_errors`` in the JSON).  The photos also
count in the photo table, as in the other scenarios.

Settle: after the chaos, the run waits until every photo has its answer and
nothing has happened for ``--quiet`` s (no API call but polling, no worker
busy), or nothing has happened for ``--idle`` s (longer than the heartbeat
timeout and the watchdog's grace, so a lost job would have been re-run), or
``--settle`` s have passed.

Results: a table on stdout, every photo and kill in
``bench/results/chaos-<date>.json``; docs/benchmarks.md ("Chaos") has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import datetime
import html
import itertools
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import common
from bench.bot_load import BotProcess
from bot.config import cuda_visible_devices
from bot.gpus import visible_gpus
from bot.local_workers import LocalWorkers
from engine.queue import JobQueue
from tests.support.fake_telegram import FakeMessage, FakeTelegram
from tests.support.images import jpeg, tiny_image
from tests.support.redis_server import RedisServer

SCENARIOS = {
    "worker-kills": "SIGKILL the engine worker while it paints (SQLite, 1 worker)",
    "bot-kills-random": "SIGKILL the bot at random moments (SQLite, 1 worker)",
    "bot-kills-intake": "SIGKILL the bot 0–30 ms after a photo arrives (SQLite, 1 worker)",
    "bot-kills-delivery": "SIGKILL the bot 0–50 ms after a result is sent (SQLite, 1 worker)",
    "bot-kills-payment": "SIGKILL the bot 0–30 ms after a Stars payment arrives (SQLite, "
                         "1 worker)",
    "redis-restart": "restart redis-server mid-run (Redis, 2 workers)",
}
OUTCOMES = ("delivered once", "failed with a message", "duplicated", "lost")
STYLE_IDS = ("starry_night", "the_scream", "great_wave")
INTAKE_WINDOW_S = 0.030  # "the first 30 ms after a photo arrives"
DELIVERY_WINDOW_S = 0.050  # "the first 50 ms after a result is sent"
PAYMENT_WINDOW_S = 0.030  # "the first 30 ms after a payment arrives"
PACK_PAINTINGS, PACK_STARS = 2, 10  # the one pack on sale in bot-kills-payment
BUY_DATA = f"buy:{PACK_PAINTINGS}:{PACK_STARS}"  # its button (bot.callback_data.BUY)
FAIR_USE_ENV = {"LIENZO_FREE_PER_DAY": "1",
                "LIENZO_STARS_PACKS": f"{PACK_PAINTINGS}:{PACK_STARS}"}
FRESH_BEAT_S = 3.0  # a heartbeat older than this does not say what a worker does now
WARM_USER = 900


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def sleep_until(t: float) -> None:
    await asyncio.sleep(max(0.0, t - time.monotonic()))


# --------------------------------------------------------------------------- outcomes


def waiting_prefixes() -> tuple[str, ...]:
    """How every "not yet" text of the bot starts, in every language it speaks.

    Read from the catalogues rather than written here, so that a reworded
    acknowledgement is still recognised: the part of each template before its
    first placeholder, HTML removed (the fake server stores plain text)."""
    from bot.texts import CATALOGUES

    prefixes = set()
    for texts in CATALOGUES.values():
        for key, template in texts.items():
            if key in ("received", "own.album") or key.startswith(("queued.", "progress.")):
                head = html.unescape(re.sub(r"<[^>]+>", "", template.split("{", 1)[0])).strip()
                if head:
                    prefixes.add(head)
    return tuple(sorted(prefixes))


def is_artwork(message: FakeMessage) -> bool:
    return any(data.startswith("r:") for data in message.callback_data)


def artwork_job(message: FakeMessage) -> str:
    """The job id in an artwork's buttons (``r:<verb>:<job>``): tells a job delivered
    twice from a photo painted twice."""
    for data in message.callback_data:
        if data.startswith("r:"):
            return data.split(":", 2)[-1]
    return "?"


@dataclass
class Photo:
    index: int
    user_id: int
    chat_id: int
    message_id: int
    sent_s: float  # seconds after the scenario's chaos began

    @property
    def key(self) -> tuple[int, int]:
        return (self.chat_id, self.message_id)


@dataclass
class Payment:
    """One user's purchase of the pack for their held photo (``bot-kills-payment``)."""

    index: int  # the user's, in Rig.users
    user_id: int
    chat_id: int
    held_photo: int | None  # Photo.index of the photo over the quota
    charge_id: str | None = None  # telegram_payment_charge_id, once paid
    message_id: int | None = None  # the successful_payment message
    paid_s: float | None = None  # seconds after the scenario's chaos began
    killed: bool = False  # the bot was SIGKILLed just after it arrived
    error: str | None = None  # why it was not paid


def photo_state(tg: FakeTelegram, photo: Photo, prefixes: tuple[str, ...]) -> dict:
    """What the user sees now under one photo, and what that outcome is."""
    replies = [m for m in tg.chat(photo.chat_id).bot_messages
               if m.reply_to_message_id == photo.message_id]
    artworks = [m for m in replies if is_artwork(m)]
    texts = [(m.content or "").strip() for m in replies if not is_artwork(m)]
    waiting = [t for t in texts if t.startswith(prefixes)]
    failures = [t for t in texts if t and not t.startswith(prefixes)]
    outcome = ("duplicated" if len(artworks) > 1 else "delivered once" if artworks
               else "failed with a message" if failures else "lost")
    return {"outcome": outcome, "artworks": len(artworks),
            "artwork_jobs": [artwork_job(m) for m in artworks],
            "artwork_edited": [m.edited for m in artworks],
            "failures": failures, "waiting": waiting,
            "empty_replies": sum(1 for t in texts if not t)}


# --------------------------------------------------------------------------- the fake's records


class Observer:
    """Follows the fake server's records, each answered call once.

    - ``arrived[(chat, message)]``: when a ``getUpdates`` answer first carried that
      user message to the bot (``handed``: how many answers carried it);
    - ``artworks[(chat, message)]``: when a bot message first became an artwork,
      whatever the method (a new photo, an edit of the status message);
    - ``last_activity``: when the bot's last call other than ``getUpdates`` was
      answered; ``last_poll``: when its last ``getUpdates`` request arrived.

    The fake server wakes its waiters as it answers, and ``update`` runs from such a
    waiter, so a stamp is the moment of the answer to within the event loop's turn.
    """

    def __init__(self, tg: FakeTelegram):
        self.tg = tg
        self.arrived: dict[tuple[int, int], float] = {}
        self.handed: Counter = Counter()
        self.artworks: dict[tuple[int, int], float] = {}
        self.new_artworks: list[tuple[int, int]] = []
        self.last_activity = time.monotonic()
        self.last_poll = 0.0
        self._next = 0  # calls[:_next] have been looked at once
        self._open: list[int] = []  # ... of which these were not answered yet

    def update(self) -> None:
        calls, now = self.tg.calls, time.monotonic()
        still_open = []
        for i in itertools.chain(self._open, range(self._next, len(calls))):
            call = calls[i]
            if i >= self._next and call.method == "getUpdates":
                self.last_poll = max(self.last_poll, call.time)
            if call.status is None:
                still_open.append(i)
            else:
                self._answered(call, now)
        self._open, self._next = still_open, len(calls)

    def _answered(self, call, now: float) -> None:
        if call.method == "getUpdates":
            for update in call.result if call.ok and isinstance(call.result, list) else ():
                message = update.get("message")
                if message:
                    key = (message["chat"]["id"], message["message_id"])
                    self.arrived.setdefault(key, now)
                    self.handed[key] += 1
            return
        self.last_activity = now
        try:
            chat = self.tg.chat(int(call.params.get("chat_id")))
        except (KeyError, TypeError, ValueError):
            return
        for message in chat.bot_messages:
            key = (chat.id, message.message_id)
            if key not in self.artworks and is_artwork(message):
                self.artworks[key] = now
                self.new_artworks.append(key)


# --------------------------------------------------------------------------- one scenario's world


class Rig:
    """One scenario's world: the fake Bot API, the bot process, the engine workers,
    the queue, the users and their photos, and the record of every kill."""

    def __init__(self, tg: FakeTelegram, name: str, workdir: Path, styles_dir: Path, args,
                 *, queue_url: str, workers: int):
        self.tg, self.name, self.workdir, self.args = tg, name, workdir, args
        self.obs = Observer(tg)
        self.prefixes = waiting_prefixes()
        self.bot = BotProcess(tg, workdir, styles_dir, args.max_side)
        for key in ("LIENZO_QUEUE_CAP", "LIENZO_USER_QUEUE_LIMIT"):  # the product's limits
            self.bot.env.pop(key, None)
        self.bot.env.update(LIENZO_QUEUE_URL=queue_url, LIENZO_DEFAULT_QUALITY="fast",
                            LIENZO_JOB_TIME_LIMIT=str(args.job_seconds))
        if args.heartbeat_timeout:
            self.bot.env["LIENZO_HEARTBEAT_TIMEOUT"] = str(args.heartbeat_timeout)
        worker_env = common.child_env(
            LIENZO_VGG19_WEIGHTS="random", LIENZO_STYLES_DIR=str(styles_dir),
            LIENZO_DATA_DIR=str(workdir / "worker-data"), LIENZO_MAX_SIDE=str(args.max_side),
            LIENZO_DEFAULT_QUALITY="fast", LIENZO_JOB_TIME_LIMIT=str(args.job_seconds),
            TF_CPP_MIN_LOG_LEVEL="3")
        worker_env.pop("LIENZO_QUEUE_URL", None)  # given as --queue
        self._worker_log = open(workdir / "workers.log", "ab")  # noqa: SIM115 - lives with them
        self.workers = LocalWorkers(
            workers, gpus=visible_gpus(cuda_visible_devices()), queue_url=queue_url,
            env=worker_env, output=self._worker_log,
            extra_args=["--warmup-size", str(args.max_side)], name_prefix=f"chaos-{name}-",
            restart_delay=1.0, max_restart_delay=1.0, stop_timeout=15.0)
        self.queue = JobQueue(queue_url)
        self.users = [tg.user(30_000 + i, f"User{i}") for i in range(min(args.users, args.jobs))]
        self.photos: list[Photo] = []
        self.payments: list[Payment] = []  # bot-kills-payment
        self.kills: list[dict] = []
        self.bot_starts: list[float] = []
        self.unexpected_exits: list[dict] = []  # bot exits this script did not cause
        self.t0 = time.monotonic()  # reset when the chaos begins

    # -- processes ------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self.workers.start)
        deadline = time.monotonic() + 300
        while not self.workers_ready(await asyncio.to_thread(self.beats)):
            if time.monotonic() > deadline:
                raise RuntimeError("the engine workers did not start; see workers.log")
            await asyncio.sleep(0.5)
        self.start_bot()
        if not await self.bot_up(90):
            raise RuntimeError("the bot did not start polling:\n" + self.bot.tail())

    def start_bot(self) -> None:
        self.bot.start()
        self.bot_starts.append(time.monotonic())

    async def bot_up(self, timeout: float = 60.0) -> bool:
        """Wait until the latest bot process has asked for updates (it is serving)."""
        started = self.bot_starts[-1]
        return await self.until(lambda: self.obs.last_poll >= started, timeout)

    def check_bot(self) -> None:
        """A bot that exited on its own is noted and started again (as a supervisor would)."""
        proc = self.bot.proc
        if proc is not None and proc.poll() is not None:
            self.unexpected_exits.append({"at_s": time.monotonic() - self.t0,
                                          "code": proc.returncode, "log": self.bot.tail(15)})
            log(f"{self.name}: the bot exited by itself ({proc.returncode}); restarting it")
            self.start_bot()

    async def kill_bot(self, trigger: str, trigger_at: float | None = None,
                       aimed_s: float | None = None, **what) -> None:
        """SIGKILL the bot now and start it again at once on the same data dir."""
        self.check_bot()
        proc = self.bot.proc
        assert proc is not None, "kill_bot() before the bot was started"
        serving = self.obs.last_poll >= self.bot_starts[-1]
        proc.send_signal(signal.SIGKILL)
        now = time.monotonic()
        proc.wait()
        self.kills.append({
            "target": "bot", "trigger": trigger, "at_s": round(now - self.t0, 3),
            "aimed_ms": None if aimed_s is None else round(aimed_s * 1000, 1),
            "after_trigger_ms": None if trigger_at is None else round((now - trigger_at) * 1000, 1),
            "bot_age_s": round(now - self.bot_starts[-1], 3), "bot_was_polling": serving, **what})
        self.start_bot()

    def beats(self) -> dict:
        try:
            return self.queue.workers()
        except Exception:  # the store may be down (Redis restarting)
            return {}

    def workers_ready(self, beats: dict) -> bool:
        return all(pid and beats.get(name, {}).get("pid") == pid
                   and beats[name].get("state") in ("idle", "busy")
                   for name, pid in zip(self.workers.names, self.workers.pids(), strict=True))

    def painting(self, beats: dict) -> list[tuple[str, int, str]]:
        """(name, pid, job) of each worker whose fresh heartbeat says it paints a job."""
        now, out = time.time(), []
        for name, pid in zip(self.workers.names, self.workers.pids(), strict=True):
            beat = beats.get(name) or {}
            if pid and beat.get("pid") == pid and beat.get("state") == "busy" \
                    and beat.get("current_job") and now - beat.get("ts", 0) < FRESH_BEAT_S:
                out.append((name, pid, beat["current_job"]))
        return out

    def kill_worker(self, pid: int, job: str, aimed_s: float) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            self.kills.append({"target": "worker", "trigger": "painting",
                               "at_s": round(time.monotonic() - self.t0, 3), "job": job,
                               "aimed_ms": round(aimed_s * 1000, 1)})

    async def close(self) -> dict:
        """Stop the bot (SIGTERM) and the workers; the exit codes, for the record."""
        code = await asyncio.to_thread(self.bot.stop)  # the fake keeps answering meanwhile
        await asyncio.to_thread(self.workers.stop)
        self.queue.close()
        self._worker_log.close()
        return {"bot_exit": code, "worker_exits": self.workers.exit_codes()}

    # -- users ----------------------------------------------------------------------
    async def send(self, index: int) -> Photo:
        user = self.users[index % len(self.users)]
        picture = jpeg(tiny_image(1000 + index, self.args.max_side))
        message = await user.send_photo(user.chat, picture,
                                        caption=f"/style {STYLE_IDS[index % len(STYLE_IDS)]}")
        photo = Photo(index, user.id, user.chat.id, message.message_id,
                      round(time.monotonic() - self.t0, 3))
        self.photos.append(photo)
        return photo

    async def send_all(self, rng: random.Random) -> None:
        """Every photo, a moment apart (as people would, not one burst)."""
        for i in range(self.args.jobs):
            await self.send(i)
            await asyncio.sleep(rng.uniform(0.0, 0.2))

    async def warm_up(self) -> float:
        """One photo from a user outside the counts, painted end to end before the
        chaos: the pipeline works, and how long a job takes from photo to artwork."""
        user = self.tg.user(WARM_USER, "Warm")
        t = time.monotonic()
        message = await user.send_photo(user.chat, jpeg(tiny_image(999, self.args.max_side)),
                                        caption=f"/style {STYLE_IDS[0]}")
        key = (user.chat.id, message.message_id)
        done = await self.until(lambda: any(
            k[0] == key[0] and self.tg.chat(k[0]).message(k[1]).reply_to_message_id == key[1]
            for k in self.obs.artworks), 300)
        if not done:
            raise RuntimeError("the warm-up photo was not painted:\n" + self.bot.tail())
        return time.monotonic() - t

    # -- waiting ----------------------------------------------------------------------
    async def until(self, condition, timeout: float) -> bool:
        """Re-check ``condition`` each time the fake server answers something."""
        def check(_calls) -> bool:
            self.obs.update()
            return bool(condition())
        try:
            await self.tg.wait_for(check, timeout, "chaos")
            return True
        except AssertionError:
            return False

    def unanswered(self) -> int:
        """Photos with neither an artwork nor a failure message yet."""
        return sum(photo_state(self.tg, p, self.prefixes)["outcome"] == "lost"
                   for p in self.photos)

    async def settle(self) -> dict:
        """Wait for the end (see the module docstring); says how it ended."""
        start = last_busy = time.monotonic()
        while True:
            self.check_bot()
            self.obs.update()
            now = time.monotonic()
            if self.painting(await asyncio.to_thread(self.beats)):
                last_busy = now
            quiet = now - max(self.obs.last_activity, last_busy)
            left = self.unanswered()
            reason = ("every photo answered" if left == 0 and quiet >= self.args.quiet else
                      f"nothing happened for {self.args.idle:.0f} s" if quiet >= self.args.idle
                      else f"--settle {self.args.settle:.0f} s" if now - start >= self.args.settle
                      else None)
            if reason:
                return {"settle_s": round(now - start, 1), "ended": reason, "unanswered": left}
            await asyncio.sleep(0.5)

    # -- the outcome --------------------------------------------------------------------
    def outcome(self) -> dict:
        photos = []
        for p in self.photos:
            state = photo_state(self.tg, p, self.prefixes)
            photos.append({**asdict(p), **state, "handed_to_bot": self.obs.handed[p.key],
                           "arrived_s": (round(self.obs.arrived[p.key] - self.t0, 3)
                                         if p.key in self.obs.arrived else None)})
        counts = Counter(p["outcome"] for p in photos)
        lost = [p for p in photos if p["outcome"] == "lost"]
        return {
            "photos": len(photos), "counts": {o: counts.get(o, 0) for o in OUTCOMES},
            "left_waiting": sum(1 for p in lost if p["waiting"]),
            "users_without_final_message": len({p["user_id"] for p in lost}),
            "stray_waiting": sum(len(p["waiting"]) for p in photos if p["outcome"] != "lost"),
            "per_photo": photos,
        }


# --------------------------------------------------------------------------- the scenarios


async def worker_kills(rig: Rig, rng: random.Random, job_s: float) -> None:
    await rig.send_all(rng)
    decided: set[tuple[int, str]] = set()  # (pid, job): each run is considered once
    deadline = time.monotonic() + rig.args.chaos_limit
    while len(rig.kills) < rig.args.kills and time.monotonic() < deadline:
        if not rig.unanswered():
            break
        rig.check_bot()
        for name, pid, job in rig.painting(await asyncio.to_thread(rig.beats)):
            if (pid, job) in decided:
                continue
            decided.add((pid, job))
            if rng.random() >= rig.args.kill_chance:
                continue
            aimed = rng.uniform(0.0, rig.args.job_seconds)  # within its painting, mostly
            await asyncio.sleep(aimed)
            if (name, pid, job) in rig.painting(await asyncio.to_thread(rig.beats)):
                rig.kill_worker(pid, job, aimed)
                log(f"worker-kills: kill {len(rig.kills)} (job {job[:8]}, {aimed:.1f} s in)")
            break
        await asyncio.sleep(0.2)


async def bot_kills_random(rig: Rig, rng: random.Random, job_s: float) -> None:
    span = rig.args.jobs * job_s  # about how long the engine needs for them all
    send_at = sorted(rng.uniform(0, span / 2) for _ in range(rig.args.jobs))
    kill_at = sorted(rng.uniform(0, span) for _ in range(rig.args.kills))

    async def sender() -> None:
        for i, t in enumerate(send_at):
            await sleep_until(rig.t0 + t)
            await rig.send(i)

    sending = asyncio.create_task(sender())
    try:
        for n, t in enumerate(kill_at, 1):
            await sleep_until(rig.t0 + t)
            await rig.kill_bot("random")
            log(f"bot-kills-random: kill {n} at {t:.1f} s")
        await sending
    finally:
        sending.cancel()


async def bot_kills_intake(rig: Rig, rng: random.Random, job_s: float) -> None:
    aimed_at = set(rng.sample(range(rig.args.jobs), min(rig.args.kills, rig.args.jobs)))
    for i in range(rig.args.jobs):
        await rig.bot_up()
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        photo = await rig.send(i)
        if i not in aimed_at:
            continue
        if not await rig.until(lambda p=photo: p.key in rig.obs.arrived, 60):
            log(f"bot-kills-intake: photo {i} never reached the bot; no kill")
            continue
        trigger = rig.obs.arrived[photo.key]
        aimed = rng.uniform(0.0, INTAKE_WINDOW_S)
        await sleep_until(trigger + aimed)
        await rig.kill_bot("intake", trigger, aimed, photo=i)
        log(f"bot-kills-intake: kill {len(rig.kills)} (photo {i}, "
            f"{rig.kills[-1]['after_trigger_ms']:.0f} ms after it arrived)")


async def bot_kills_delivery(rig: Rig, rng: random.Random, job_s: float) -> None:
    await rig.send_all(rng)
    seen = len(rig.obs.new_artworks)  # the warm-up's artwork came before
    deadline = time.monotonic() + rig.args.chaos_limit
    while len(rig.kills) < rig.args.kills and time.monotonic() < deadline:
        rig.check_bot()
        wait = min(3 * job_s + 60, deadline - time.monotonic())
        if not await rig.until(lambda n=seen: len(rig.obs.new_artworks) > n
                               or not rig.unanswered(), wait) \
                or len(rig.obs.new_artworks) == seen:
            break  # every photo answered, or nothing more comes
        key = rig.obs.new_artworks[-1]  # if several appeared at once, the latest
        seen = len(rig.obs.new_artworks)
        trigger = rig.obs.artworks[key]
        aimed = rng.uniform(0.0, DELIVERY_WINDOW_S)
        await sleep_until(trigger + aimed)
        replied = rig.tg.chat(key[0]).message(key[1]).reply_to_message_id
        photo = next((p.index for p in rig.photos if p.key == (key[0], replied)), None)
        await rig.kill_bot("delivery", trigger, aimed, photo=photo)
        log(f"bot-kills-delivery: kill {len(rig.kills)} (photo {photo}, "
            f"{rig.kills[-1]['after_trigger_ms']:.0f} ms after its artwork)")


def pack_offer(rig: Rig, user_index: int) -> tuple[Photo, FakeMessage] | None:
    """The user's held photo and its status message, once that offers the pack."""
    for photo in rig.photos:
        if photo.user_id != rig.users[user_index].id:
            continue
        for message in rig.tg.chat(photo.chat_id).bot_messages:
            if message.reply_to_message_id == photo.message_id \
                    and BUY_DATA in message.callback_data:
                return photo, message
    return None


def receipts(rig: Rig, payment: Payment) -> int:
    """Bot messages in the payer's chat that name the charge (the receipt says it)."""
    charge = payment.charge_id
    return 0 if charge is None else sum(
        charge in (m.content or "") for m in rig.tg.chat(payment.chat_id).bot_messages)


def held_artworks(rig: Rig, payment: Payment) -> int:
    photo = next((p for p in rig.photos if p.index == payment.held_photo), None)
    return 0 if photo is None else photo_state(rig.tg, photo, rig.prefixes)["artworks"]


async def bot_kills_payment(rig: Rig, rng: random.Random, job_s: float) -> None:
    users = len(rig.users)
    for i in range(users):  # user i: photos i and users + i, one free, one held
        for index in (i, users + i):
            await rig.send(index)
            await asyncio.sleep(rng.uniform(0.0, 0.2))
    if not await rig.until(lambda: all(pack_offer(rig, u) for u in range(users)),
                           60 + 2 * users):
        log("bot-kills-payment: not every user has a held photo offering the pack")
    aimed_at = set(rng.sample(range(users), min(rig.args.kills, users)))
    for i, user in enumerate(rig.users):
        offer = pack_offer(rig, i)
        payment = Payment(i, user.id, user.chat.id, offer[0].index if offer else None)
        rig.payments.append(payment)
        if offer is None:
            payment.error = "no held photo offering the pack"
            continue
        rig.check_bot()
        await rig.bot_up()
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        before = max((m.message_id for m in user.chat.bot_messages), default=0)
        try:
            press = await user.press(offer[1], BUY_DATA)
            await press.answered(30)
            invoice = await rig.tg.wait_for_message(user.chat, lambda m: "invoice" in m, 30,
                                                    after=before)
            result = await user.pay(invoice)
        except AssertionError as exc:  # the fake's way of saying "did not happen"
            payment.error = str(exc).splitlines()[0]
            log(f"bot-kills-payment: user {i} could not pay: {payment.error}")
            continue
        if not result.ok or result.message is None:
            payment.error = ("pre-checkout timed out" if result.timed_out
                             else f"refused: {result.error_message}")
            log(f"bot-kills-payment: user {i} could not pay: {payment.error}")
            continue
        payment.charge_id, payment.message_id = result.charge_id, result.message.message_id
        payment.paid_s = round(time.monotonic() - rig.t0, 3)
        if i not in aimed_at:
            continue
        key = (payment.chat_id, payment.message_id)
        if not await rig.until(lambda k=key: k in rig.obs.arrived, 60):
            log(f"bot-kills-payment: payment {i} never reached the bot; no kill")
            continue
        trigger = rig.obs.arrived[key]
        aimed = rng.uniform(0.0, PAYMENT_WINDOW_S)
        await sleep_until(trigger + aimed)
        await rig.kill_bot("payment", trigger, aimed, photo=payment.held_photo, payment=i)
        payment.killed = True
        log(f"bot-kills-payment: kill {len(rig.kills)} (payment {i}, "
            f"{rig.kills[-1]['after_trigger_ms']:.0f} ms after it arrived)")
    # the held photos (their receipts come first), before the usual settle (a held photo's
    # "over the quota" text counts as an answer there)
    paid = [p for p in rig.payments if p.charge_id]
    if not await rig.until(lambda: all(held_artworks(rig, p) for p in paid),
                           len(rig.photos) * job_s * 2 + rig.args.idle):
        log("bot-kills-payment: not every payment has its painting yet")


def ledger_state(path: Path) -> dict:
    """What ``ledger.db`` holds: rows per charge, balances, paid paintings used."""
    if not path.exists():
        return {"purchases": {}, "balances": {}, "paid_used": {}, "paid_given_back": {}}
    with contextlib.closing(sqlite3.connect(path)) as db:
        purchases = Counter(row[0] for row in db.execute("select charge_id from purchases"))
        balances = dict(db.execute("select user_id, paintings from balances").fetchall())
        used = dict(db.execute(
            "select user_id, sum(paintings) from spends where paid = 1 "
            "and given_back_at is null group by user_id").fetchall())
        given_back = dict(db.execute(
            "select user_id, sum(paintings) from spends where paid = 1 "
            "and given_back_at is not null group by user_id").fetchall())
    return {"purchases": dict(purchases), "balances": balances, "paid_used": used,
            "paid_given_back": given_back}


PAYMENT_OUTCOMES = {
    "credited": ("once", "twice", "never", "other"),
    "receipts": ("0", "1", "2+"),
    "held photo": ("painted once", "lost", "duplicated"),
}


def payment_outcome(rig: Rig) -> dict:
    """Each payment's fate (the module docstring): credited, receipts, its held photo."""
    ledger = ledger_state(Path(rig.bot.env["LIENZO_DATA_DIR"]) / "ledger.db")
    per_payment = []
    for p in rig.payments:
        rows = ledger["purchases"].get(p.charge_id, 0) if p.charge_id else 0
        balance = ledger["balances"].get(p.user_id, 0)
        used = ledger["paid_used"].get(p.user_id, 0)
        packs = (balance + used) / PACK_PAINTINGS  # how many packs the ledger gave the user
        credited = ("once" if rows == 1 and packs == 1 else "twice" if rows and packs >= 2
                    else "never" if rows == 0 and packs == 0 else "other")
        sent = receipts(rig, p)
        art = held_artworks(rig, p)
        invoices = sum("invoice" in m for m in rig.tg.chat(p.chat_id).bot_messages)
        # every painted photo of the user past the day's free one took a paid painting
        painted = sum(1 for photo in rig.photos if photo.user_id == p.user_id
                      and photo_state(rig.tg, photo, rig.prefixes)["artworks"])
        expected = PACK_PAINTINGS - max(0, painted - int(FAIR_USE_ENV["LIENZO_FREE_PER_DAY"]))
        per_payment.append({
            **asdict(p), "purchase_rows": rows, "balance": balance, "paid_used": used,
            "paid_given_back": ledger["paid_given_back"].get(p.user_id, 0),
            "photos_painted": painted, "balance_expected": expected,
            "balance_as_expected": balance == expected,
            "credited": credited, "receipts": sent, "invoices": invoices,
            "receipts_bucket": "2+" if sent > 1 else str(sent), "held_artworks": art,
            "held_photo_outcome": ("duplicated" if art > 1 else "painted once" if art
                                   else "lost")})
    made = [p for p in per_payment if p["charge_id"]]
    counts = {
        "credited": Counter(p["credited"] for p in made),
        "receipts": Counter(p["receipts_bucket"] for p in made),
        "held photo": Counter(p["held_photo_outcome"] for p in made),
    }
    return {"payments": {
        "made": len(made), "not_paid": len(per_payment) - len(made),
        "balance_off": sum(not p["balance_as_expected"] for p in made),
        "extra_invoices": sum(max(0, p["invoices"] - 1) for p in per_payment),
        # the bot's calls the fake refused (a pre-checkout answered twice, ...)
        "api_errors": dict(Counter(f"{c.method}: {c.error}" for c in rig.tg.calls
                                   if c.status is not None and not c.ok
                                   and c.method != "getUpdates")),
        "counts": {what: {o: counts[what].get(o, 0) for o in outcomes}
                   for what, outcomes in PAYMENT_OUTCOMES.items()},
        "per_payment": per_payment}}


async def redis_restart(rig: Rig, rng: random.Random, job_s: float, redis: RedisServer) -> None:
    await rig.send_all(rng)
    restarts = rig.args.redis_restarts
    for r in range(restarts):
        answered = rig.args.jobs * (r + 1) // (restarts + 1)
        await rig.until(lambda n=answered: rig.args.jobs - rig.unanswered() >= n,
                        rig.args.chaos_limit)
        deadline = time.monotonic() + 2 * job_s  # mid-job if possible
        while not rig.painting(await asyncio.to_thread(rig.beats)) \
                and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        busy = [job for _, _, job in rig.painting(await asyncio.to_thread(rig.beats))]
        t = time.monotonic()
        await asyncio.to_thread(redis.stop)
        await asyncio.sleep(rig.args.redis_down)
        await asyncio.to_thread(redis.start)
        rig.kills.append({"target": "redis", "trigger": "mid-run", "at_s": round(t - rig.t0, 3),
                          "down_s": round(time.monotonic() - t, 2), "jobs_running": busy,
                          "answered_before": rig.args.jobs - rig.unanswered()})
        log(f"redis-restart: restarted ({len(busy)} jobs running, "
            f"{rig.kills[-1]['answered_before']} photos answered)")


CHAOS = {"worker-kills": worker_kills, "bot-kills-random": bot_kills_random,
         "bot-kills-intake": bot_kills_intake, "bot-kills-delivery": bot_kills_delivery,
         "bot-kills-payment": bot_kills_payment}


async def run_scenario(name: str, args, root: Path, styles_dir: Path, seed: int) -> dict:
    rng = random.Random(f"{seed}-{name}")
    workdir = root / name
    workdir.mkdir()
    redis = None
    if name == "redis-restart":
        redis = RedisServer(workdir)
        await asyncio.to_thread(redis.start)
        atexit.register(redis.stop)
        queue_url, workers = redis.url, 2
    else:
        queue_url, workers = f"sqlite:///{workdir / 'queue.db'}", 1
    started = time.monotonic()
    result: dict = {"scenario": name, "what": SCENARIOS[name], "workers": workers}
    async with FakeTelegram(bot_username="LienzoBot") as tg:
        rig = Rig(tg, name, workdir, styles_dir, args, queue_url=queue_url, workers=workers)
        if name == "bot-kills-payment":
            rig.bot.env.update(FAIR_USE_ENV)
        following = asyncio.create_task(tg.wait_for(lambda _: rig.obs.update(), 10**7))
        try:
            await rig.start()
            job_s = await rig.warm_up()
            result["job_s"] = round(job_s, 2)
            log(f"{name}: warm-up job took {job_s:.1f} s; chaos begins")
            rig.t0 = time.monotonic()
            if redis is not None:
                await redis_restart(rig, rng, job_s, redis)
            else:
                await CHAOS[name](rig, rng, job_s)
            result["chaos_s"] = round(time.monotonic() - rig.t0, 1)
            log(f"{name}: {len(rig.kills)} {'restarts' if redis else 'kills'} in "
                f"{result['chaos_s']:.0f} s; settling")
            result.update(await rig.settle())
            result.update(rig.outcome())
            if name == "bot-kills-payment":
                result.update(payment_outcome(rig))
        except Exception as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
            log(f"{name}: {result['error']}")
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            result.update(await rig.close())
            if redis is not None:
                await asyncio.to_thread(redis.stop)
    result["kills"] = rig.kills
    result["bot_starts"] = len(rig.bot_starts)
    result["unexpected_bot_exits"] = rig.unexpected_exits
    result["worker_restarts"] = rig.workers.restarts()
    bot_log = (workdir / "bot.log").read_text(errors="replace") \
        if (workdir / "bot.log").exists() else ""
    result["bot_log_tracebacks"] = bot_log.count("Traceback (most recent call last)")
    result["bot_log_errors"] = sum(" ERROR " in line for line in bot_log.splitlines())
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


# --------------------------------------------------------------------------- report


def report(data: dict) -> str:
    rows = []
    for r in data["scenarios"]:
        if "counts" not in r:
            rows.append([r["scenario"], "—", len(r.get("kills", [])), "—", "—", "—", "—", "—",
                         "—", "—", "—", r.get("error", "")])
            continue
        c = r["counts"]
        kind = "restarts" if r["scenario"] == "redis-restart" else "kills"
        met = c["duplicated"] == 0 and c["lost"] == 0 and r["users_without_final_message"] == 0
        rows.append([r["scenario"], r["photos"], f"{len(r['kills'])} {kind}",
                     c["delivered once"], c["failed with a message"], c["duplicated"], c["lost"],
                     r["left_waiting"], r["users_without_final_message"], r["stray_waiting"],
                     "yes" if met else "**no**", f"{r['wall_s']:.0f}"])
    text = common.table(
        ["scenario", "photos", "chaos", "delivered once", "failed with a message",
         "duplicated", "lost", "… left waiting", "users without a final message",
         "stray \"⏳\" replies", "goal met", "wall s"], rows)
    payments = payments_report(data)
    return text + ("\n\n" + payments if payments else "")


def payments_report(data: dict) -> str:
    """The payments table (bot-kills-payment), or "" when no scenario paid."""
    rows = []
    for r in data["scenarios"]:
        if "payments" not in r:
            continue
        p, c = r["payments"], r["payments"]["counts"]
        credited, sent, held = c["credited"], c["receipts"], c["held photo"]
        met = (p["not_paid"] == 0 and credited["once"] == p["made"] and p["balance_off"] == 0
               and sent["2+"] == 0 and held["painted once"] == p["made"])
        rows.append([r["scenario"], p["made"], p["not_paid"],
                     f"{sum(1 for k in r['kills'] if k.get('trigger') == 'payment')} kills",
                     credited["once"], credited["twice"], credited["never"], credited["other"],
                     p["balance_off"], sent["0"], sent["1"], sent["2+"], held["painted once"],
                     held["lost"], held["duplicated"], p["extra_invoices"],
                     "yes" if met else "**no**"])
    if not rows:
        return ""
    return common.table(
        ["scenario", "payments", "not paid", "chaos", "credited once", "credited twice",
         "credited never", "credited otherwise", "balance off", "receipts 0", "receipts 1",
         "receipts 2+", "held photo painted once", "held photo lost", "held photo duplicated",
         "extra invoices", "goal met"],
        rows)


def git_state(commit: str | None = None) -> dict:
    """The commit, and whether product files differ from it (others edit concurrently).
    ``commit``: what to call a tree that is no git checkout (a ``git archive`` export)."""
    try:
        out = subprocess.run(["git", "-C", str(common.ROOT), "status", "--porcelain", "--",
                              "bot", "engine"], capture_output=True, text=True, timeout=10,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    return {"commit": commit or common.git_revision(),
            "product_changes_uncommitted": [line[3:] for line in out.splitlines()]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="all", choices=[*SCENARIOS, "all"])
    parser.add_argument("--jobs", type=int, default=24, help="photos per scenario")
    parser.add_argument("--users", type=int, default=12, help="users sending them")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per kill scenario")
    parser.add_argument("--kill-chance", type=float, default=0.7,
                        help="worker-kills: chance that a job run is picked for a kill")
    parser.add_argument("--redis-restarts", type=int, default=1)
    parser.add_argument("--redis-down", type=float, default=1.0,
                        help="seconds redis-server stays down at each restart")
    parser.add_argument("--max-side", type=int, default=48, help="LIENZO_MAX_SIDE, px")
    parser.add_argument("--job-seconds", type=float, default=4.0,
                        help="LIENZO_JOB_TIME_LIMIT: a job's painting stops there (its best "
                             "picture so far is the result), so a job costs the same on a "
                             "busy machine")
    parser.add_argument("--heartbeat-timeout", type=float, default=None,
                        help="LIENZO_HEARTBEAT_TIMEOUT for the bot (default: the product's)")
    parser.add_argument("--quiet", type=float, default=15.0,
                        help="settle: every photo answered and nothing happening this long")
    parser.add_argument("--idle", type=float, default=60.0,
                        help="settle: nothing happening this long, answered or not")
    parser.add_argument("--settle", type=float, default=300.0, help="settle: at most this long")
    parser.add_argument("--chaos-limit", type=float, default=600.0,
                        help="at most this long for a scenario's kills")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None,
                        help="default: bench/results/chaos-<date>[-<scenario>].json")
    parser.add_argument("--commit", default=None,
                        help="the commit to record when this tree is not a git checkout "
                             "(e.g. a `git archive` export of a commit)")
    parser.add_argument("--keep", action="store_true", help="keep the work folders (logs)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]

    root = Path(tempfile.mkdtemp(prefix="lienzo-chaos-"))
    styles_dir = root / "styles"
    styles_dir.mkdir()
    for i, style_id in enumerate(STYLE_IDS):
        (styles_dir / f"{style_id}.jpg").write_bytes(jpeg(tiny_image(100 + i)))
    started = time.monotonic()
    data = {"machine": common.machine(), **git_state(args.commit), "seed": seed,
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "scenarios": []}
    log(f"seed {seed}; work folder {root}")
    try:
        for name in names:
            log(f"{name}: {SCENARIOS[name]}")
            result = asyncio.run(run_scenario(name, args, root, styles_dir, seed))
            data["scenarios"].append(result)
            if "counts" in result:
                log(f"{name}: {result['counts']} in {result['wall_s']:.0f} s")
    finally:
        data["wall_s"] = round(time.monotonic() - started, 1)
        date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
        suffix = "" if args.scenario == "all" else f"-{args.scenario}"
        path = args.json or common.BENCH / "results" / f"chaos-{date}{suffix}.json"
        common.dump(path, data)
        if args.keep:
            log(f"logs kept in {root}")
        else:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    m = data["machine"]
    dirty = " + uncommitted product changes" if data["product_changes_uncommitted"] else ""
    print(f"\n{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB; {m['date']}; commit "
          f"{data['commit']}{dirty}; seed {seed}; {data['wall_s'] / 60:.1f} min\n")
    print(report(data))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
