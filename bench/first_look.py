"""A first look in a second (issue 25): how soon does a person see a picture?

The bot runs as its own process - ``bot.app.main`` through ``bench.bot_process``,
exactly what ``lienzo bot`` runs - with ``LIENZO_ENGINE_WORKERS=0`` and one real
engine worker beside it (``lienzo worker``, started here with
``bot.local_workers.LocalWorkers``, TensorFlow on the CPU,
``LIENZO_VGG19_WEIGHTS=random``: the ImageNet weights cannot be downloaded on the
benchmark machines; timings do not depend on the weights).  Bot and worker share
one SQLite queue.  The fake Bot API server (tests/support/fake_telegram.py) runs in
this process and plays the users; every time comes from its records (the
``time.monotonic()`` at which a request had fully arrived), measured from the moment
the user's photo update was queued in the fake server:

- **acknowledgement**: the status message's send (the user's photo sent back,
  captioned "⏳ Got it…": ``sendPhoto`` by file id, ``sendMessage`` where that is
  refused);
- **first picture**: the first ``editMessageMedia`` on that status message - the
  first look where there is one, else the first live preview, else the painting
  itself (in the 20-photo case a short job may end before it sends a preview);
- **painting**: the ``editMessageMedia`` that carries the result keyboard (a
  button with callback data ``r:…`` or the Share button, ``bot.keyboards.result``).

Each media edit is classified from what the fake server recorded: *result* (the
keyboard above), *preview* (the upload is named ``preview-<job>.jpg``,
``bot.preview``), *look* (the upload is named ``first-look.jpg`` or the caption starts
with "👀", ``bot.intake``), anything else *other*; so the tables also say what the
first picture was.  The bot's own count of first looks shown and skipped (busy:
``bot.looks.MAX_WAITING``) is read from its /metrics.

Two modes, ``LIENZO_FIRST_LOOK=off`` ("before": the first picture is the first live
preview) and ``on`` ("after"), interleaved, each round starting fresh bot processes
(a fresh data folder and fake server) beside the same warm worker.  Per round and
mode:

1. **single photos** (``--singles``, default 3), one after another, at the CPU
   default size (384 px, quality fast): acknowledgement and first picture for
   each; the last ``--paint-singles`` (default 1) are painted to the end (the
   painting time at the default size: 75 s on 2 idle cores, ~3 min beside
   another busy process), the others are
   cancelled (their Cancel button) once their first picture has come;
2. **20 photos at once** (``--burst``) from 20 different users, by a second bot
   process started with ``LIENZO_JOB_TIME_LIMIT=--burst-limit`` (default 3 s): the
   photos and the first looks stay at the default size, but each painting stops
   at the limit and delivers its best picture so far (as a job at the limit
   does), so that 20 paintings take ~2 minutes instead of an hour.  The painting
   time of this case is the queue's (the k-th photo waits for k-1 paintings);
   the first picture is what the feature is about.

Each bot's CPU seconds (utime+stime from /proc/<pid>/stat) around the photos and
its peak RSS (VmHWM) are read as well.  Before each part a warm-up photo (another
user, cancelled) pays the first-use costs (the look's network and style vector,
SQLite, the connection pool, the worker's compilation).

    .venv/bin/python -m bench.first_look             # 1 round x 2 modes, 8-10 min on 2 cores
    .venv/bin/python -m bench.first_look --rounds 2  # 16-20 min
    .venv/bin/python -m bench.first_look --singles 1 --paint-singles 0 --burst 4 \\
        --json /tmp/fl.json                          # smoke test, ~2 min
    .venv/bin/python -m bench.first_look --docs      # also rewrite docs/benchmarks.md's block
    .venv/bin/python -m bench.first_look --from-json bench/results/first_look.json --docs

Raw numbers go to bench/results/first_look.json.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from bench import common
from bench.bot_load import BotProcess, percentile, photo_bytes, said
from tests.support.fake_telegram import Call, FakeMessage, FakeTelegram, user_entities

ROOT = common.ROOT
MODES = ("off", "on")  # LIENZO_FIRST_LOOK: "before" and "after"
LABEL = {"off": "before (look off)", "on": "after (look on)"}
STYLE_IDS = ("starry_night", "the_scream", "great_wave")
CAPTION = "/style starry_night"
STATUS_SENDS = ("sendPhoto", "sendMessage", "sendDocument")
GOAL_FIRST_PICTURE_S = 2.0  # single photo, p50, look on
ACK_SLACK_MS = 50.0  # "unchanged": after's p50 within max(25 %, this) of before's
WORKER_NAME = "first-look-0"


# --------------------------------------------------------------------------- helpers


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values) if values else None}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def buttons(params: dict) -> list[dict]:
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        with contextlib.suppress(ValueError):
            markup = json.loads(markup)
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [b for row in rows for b in row if isinstance(b, dict)]


def upload_name(call: Call) -> str:
    media = call.params.get("media") or {}
    ref = str(media.get("media", "")) if isinstance(media, dict) else ""
    if ref.startswith("attach://"):
        return str(call.files.get(ref[len("attach://"):], {}).get("filename", ""))
    return ref


def media_kind(call: Call) -> str:
    """What an ``editMessageMedia`` on a status message showed: ``result`` (the result
    keyboard: ``r:`` callbacks or Share), ``preview`` (bot.preview's upload name,
    ``preview-<job>.jpg``), ``look`` (``first-look.jpg``, or a caption starting "👀"),
    else ``other``."""
    for b in buttons(call.params):
        if str(b.get("callback_data", "")).startswith("r:") or \
                "switch_inline_query_chosen_chat" in b:
            return "result"
    name = upload_name(call)
    if name.startswith("preview-"):
        return "preview"
    if "look" in name or said(call).startswith("👀"):
        return "look"
    return "other"


class Tracker:
    """Per chat, from the fake server's records: the status message, its media edits."""

    def __init__(self, tg: FakeTelegram):
        self.tg = tg
        self.scanned = 0
        self.unanswered: list[int] = []  # indices of calls not answered when last scanned
        self.sent: dict[int, FakeMessage] = {}  # chat → the user's photo
        self.status: dict[int, Call] = {}  # chat → the status message's send
        self.edits: dict[int, list[Call]] = {}  # chat → media edits of the status message
        self.caption_edits: dict[int, list[Call]] = {}  # chat → caption/text edits
        self.timeline: dict[int, list[Call]] = {}  # chat → every edit of the status message

    def watch(self, chat_id: int, msg: FakeMessage) -> None:
        self.sent[chat_id] = msg
        self.edits[chat_id] = []
        self.caption_edits[chat_id] = []
        self.timeline[chat_id] = []

    def scan(self) -> None:
        """Take in the calls answered since the last scan (in arrival order; a call
        still unanswered, such as a long poll, is looked at again next time)."""
        calls = self.tg.calls
        fresh = [i for i in self.unanswered if calls[i].status is not None]
        self.unanswered = [i for i in self.unanswered if calls[i].status is None]
        while self.scanned < len(calls):
            if calls[self.scanned].status is None:
                self.unanswered.append(self.scanned)
            else:
                fresh.append(self.scanned)
            self.scanned += 1
        for i in sorted(fresh):
            self.take(calls[i])

    def take(self, call: Call) -> None:
        cid = call.params.get("chat_id")
        if cid not in self.sent or not call.ok:
            return
        if call.method in STATUS_SENDS and cid not in self.status \
                and call.time >= self.t0(cid):
            self.status[cid] = call
        elif cid in self.status and call.params.get("message_id") == \
                self.status[cid].result.get("message_id"):
            if call.method == "editMessageMedia":
                self.edits[cid].append(call)
            elif call.method in ("editMessageCaption", "editMessageText"):
                self.caption_edits[cid].append(call)
            else:
                return
            self.timeline[cid].append(call)

    def t0(self, cid: int) -> float:
        return self.sent[cid].versions[0][0]

    def first(self, cid: int, kind: str | None = None) -> Call | None:
        return next((c for c in self.edits.get(cid, ()) if kind is None or media_kind(c) == kind),
                    None)

    async def until(self, done, timeout: float, what: str) -> None:
        def check(_calls):
            self.scan()
            return done()

        await self.tg.wait_for(check, timeout, what)

    def record(self, cid: int) -> dict:
        """One photo's times (seconds from its update) and what its first picture was."""
        t0 = self.t0(cid)
        out: dict[str, Any] = {"chat": cid}
        status = self.status.get(cid)
        out["ack_s"] = status.time - t0 if status else None
        out["status_method"] = status.method if status else None
        first = self.first(cid)
        out["first_picture_s"] = first.time - t0 if first else None
        out["first_kind"] = media_kind(first) if first else None
        for kind in ("look", "preview", "result"):
            call = self.first(cid, kind)
            out[f"{kind}_s"] = call.time - t0 if call else None
        look = self.first(cid, "look")
        if look is not None:
            out["look_upload"] = upload_name(look)
            out["look_caption"] = said(look)[:120]
        out["media_edits"] = [media_kind(c) for c in self.edits.get(cid, ())]
        out["load_avg"] = os.getloadavg()[0]  # when the photo's record was taken
        # Every edit of the status message: seconds from the update, method, and the
        # media edit's kind or the caption's first words.
        out["timeline"] = [
            [round(c.time - t0, 3), c.method,
             media_kind(c) if c.method == "editMessageMedia"
             else str(c.params.get("caption") or c.params.get("text") or "")[:40]]
            for c in self.timeline.get(cid, ())]
        return out


def looks_counted(port: str) -> dict[str, float]:
    """The bot's ``lienzo_looks_total`` by outcome (shown, skipped, failed, instant),
    from its /metrics; empty where there is none."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return {}
    return {sample.labels["outcome"]: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name == "lienzo_looks_total"}


def healthy(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


# --------------------------------------------------------------------------- the worker


class Worker:
    """One ``lienzo worker`` for the whole run (CPU, random VGG19 weights), on the
    shared SQLite queue; kept warm across rounds and modes."""

    def __init__(self, root: Path, styles_dir: Path, queue_url: str, max_side: int):
        from bot.local_workers import LocalWorkers
        from engine.queue import JobQueue

        env = common.child_env(
            LIENZO_VGG19_WEIGHTS="random", LIENZO_STYLES_DIR=str(styles_dir),
            LIENZO_DATA_DIR=str(root / "worker-data"), LIENZO_MAX_SIDE=str(max_side),
            TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", KERAS_BACKEND="tensorflow")
        for key in ("LIENZO_QUEUE_URL", "LIENZO_JOB_TIME_LIMIT", "LIENZO_DEFAULT_QUALITY",
                    "LIENZO_GPU", "LIENZO_FIRST_LOOK"):
            env.pop(key, None)
        self.log_path = root / "worker.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives with the worker
        self.workers = LocalWorkers(1, gpus=(), queue_url=queue_url, env=env, output=self._log,
                                    name_prefix=WORKER_NAME[:-1], stop_timeout=20.0)
        self.queue = JobQueue(queue_url)
        atexit.register(self.stop)

    def beat(self) -> dict:
        try:
            return dict(self.queue.workers().get(WORKER_NAME) or {})
        except Exception:  # the store is busy: no news
            return {}

    def start(self, timeout: float = 300.0) -> float:
        t = time.monotonic()
        self.workers.start()
        pid = self.workers.pids()[0]
        while True:
            beat = self.beat()
            if beat.get("pid") == pid and beat.get("state") in ("idle", "busy"):
                return time.monotonic() - t
            if time.monotonic() - t > timeout:
                raise RuntimeError("the engine worker did not start:\n" + self.tail())
            time.sleep(0.5)

    async def idle(self, timeout: float = 120.0) -> bool:
        """Until a heartbeat newer than now says idle."""
        since = time.time()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            beat = await asyncio.to_thread(self.beat)
            if beat.get("state") == "idle" and beat.get("ts", 0) >= since:
                return True
            await asyncio.sleep(0.5)
        return False

    def pid(self) -> int | None:
        pids = self.workers.pids()
        return pids[0] if pids else None

    def stop(self) -> None:
        self.workers.stop()
        with contextlib.suppress(Exception):
            self.queue.close()
        with contextlib.suppress(Exception):
            self._log.close()

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


# --------------------------------------------------------------------------- one part


class Run:
    """What every part shares: the photos, folders, the queue and the worker."""

    def __init__(self, args, root: Path, styles_dir: Path, photos: list[bytes], worker: Worker,
                 queue_url: str):
        self.args, self.root, self.styles_dir = args, root, styles_dir
        self.photos, self.worker, self.queue_url = photos, worker, queue_url
        self.parts = 0
        self.worker_warm = False


async def cancel(tg: FakeTelegram, tracker: Tracker, user, cid: int, timeout: float) -> bool:
    """Press the status message's Cancel button; wait until the caption says so (or a
    result came) and the worker is idle.  False if that did not happen in time."""
    msg_id = tracker.status[cid].result["message_id"]
    msg = user.chat.message(msg_id)

    def has_cancel() -> str | None:
        return next((b["callback_data"] for row in msg.buttons for b in row
                     if str(b.get("callback_data", "")).startswith("c:")), None)

    try:
        await tg.wait_for(lambda _c: has_cancel(), 30, "a Cancel button")
    except AssertionError:
        return False
    pressed_at = time.monotonic()
    await user.press(msg, has_cancel())
    try:
        await tracker.until(lambda: any(c.time >= pressed_at for c in
                                        tracker.caption_edits[cid] + tracker.edits[cid]),
                            timeout, "the cancellation to show")
    except AssertionError:
        return False
    return True


async def warm_up(run: Run, tg: FakeTelegram, tracker: Tracker, uid: int) -> dict:
    """One photo from a user outside the measured ones, cancelled once its first
    picture (and, the first time in the run, a live preview: the worker compiles) came."""
    user = tg.user(uid, "Warm")
    sent = await user.send_photo(user.chat, run.photos[-1], caption=CAPTION)
    tracker.watch(user.chat.id, sent)
    wait_preview = not run.worker_warm
    await tracker.until(lambda: tracker.first(user.chat.id) is not None and
                        (not wait_preview or tracker.first(user.chat.id, "preview")
                         or tracker.first(user.chat.id, "result")),
                        run.args.timeout, "the warm-up's first picture")
    run.worker_warm = True
    out = tracker.record(user.chat.id)
    await cancel(tg, tracker, user, user.chat.id, 90)
    await run.worker.idle()
    return out


async def part(run: Run, mode: str, kind: str, round_no: int) -> dict:
    args = run.args
    run.parts += 1
    base = 1_000_000 * run.parts  # user ids never repeat: job ids hash the update
    workdir = run.root / f"round{round_no}-{mode}-{kind}"
    workdir.mkdir()
    result: dict[str, Any] = {"mode": mode, "part": kind, "round": round_no}
    async with FakeTelegram(bot_username="LienzoBot") as tg:
        bot = BotProcess(tg, workdir, run.styles_dir, args.max_side)
        bot.env.update(LIENZO_QUEUE_URL=run.queue_url, LIENZO_FIRST_LOOK=mode,
                       LIENZO_VGG19_WEIGHTS="random")
        bot.env.pop("LIENZO_JOB_TIME_LIMIT", None)
        if kind == "burst":
            bot.env["LIENZO_JOB_TIME_LIMIT"] = str(args.burst_limit)
        bot.start()
        proc = bot.proc
        assert proc is not None
        tracker = Tracker(tg)
        try:
            await tg.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls)
                              or proc.poll() is not None, 60, "the bot to start")
            if proc.poll() is not None:
                raise RuntimeError("the bot exited at start-up:\n" + bot.tail())
            port = bot.env["LIENZO_HTTP_PORT"]
            deadline = time.monotonic() + 60
            while not await asyncio.to_thread(healthy, port):  # it has seen the worker
                if time.monotonic() > deadline:
                    raise RuntimeError("the bot's /healthz never said ok:\n" + bot.tail())
                await asyncio.sleep(0.5)
            result["mem_idle"] = bot.status()
            result["warmup"] = await warm_up(run, tg, tracker, base + 999)
            result["mem_warm"] = bot.status()
            looks0 = await asyncio.to_thread(looks_counted, port)
            if kind == "single":
                result["photos"] = await singles(run, tg, tracker, bot, base, result)
            else:
                result["photos"] = await burst(run, tg, tracker, bot, base, result)
            result["mem_end"] = bot.status()
            result["peak_rss_mb"] = result["mem_end"].get("VmHWM")
            looks1 = await asyncio.to_thread(looks_counted, port)
            result["looks"] = {k: v - looks0.get(k, 0.0) for k, v in looks1.items()}
            if not await run.worker.idle():
                print("warning: the worker is still busy after the part", file=sys.stderr)
        finally:
            result["exit_code"] = await asyncio.to_thread(bot.stop)  # the fake keeps answering
    if result.get("exit_code") not in (0, None):
        print(f"warning: the bot exited with {result['exit_code']}:\n{bot.tail()}",
              file=sys.stderr)
    return result


async def singles(run: Run, tg: FakeTelegram, tracker: Tracker, bot: BotProcess, base: int,
                  result: dict) -> list[dict]:
    args = run.args
    out = []
    cpu0 = bot.status().get("cpu_s") or 0.0
    for i in range(args.singles):
        paint = i >= args.singles - args.paint_singles
        user = tg.user(base + i, f"Single{i}", language_code="en")
        cid = user.chat.id
        sent = await user.send_photo(user.chat, run.photos[i], caption=CAPTION)
        tracker.watch(cid, sent)
        await tracker.until(lambda cid=cid: tracker.first(cid) is not None, args.timeout,
                            "a single photo's first picture")
        if paint:
            await tracker.until(lambda cid=cid: tracker.first(cid, "result") is not None,
                                args.job_timeout, "a single photo's painting")
        else:
            if not await cancel(tg, tracker, user, cid, 90):
                print("warning: a single photo's cancellation did not show", file=sys.stderr)
            await run.worker.idle()
        rec = tracker.record(cid)
        rec["painted"] = paint
        out.append(rec)
        log(f"  single {i + 1}: ack {(rec['ack_s'] or 0) * 1000:.0f} ms, first picture "
            f"{rec['first_picture_s'] or 0:.2f} s ({rec['first_kind']})"
            + (f", painting {rec['result_s']:.1f} s" if rec.get("result_s") else ""))
    result["cpu_s"] = (bot.status().get("cpu_s") or 0.0) - cpu0
    return out


async def burst(run: Run, tg: FakeTelegram, tracker: Tracker, bot: BotProcess, base: int,
                result: dict) -> list[dict]:
    args = run.args
    users = [tg.user(base + i, f"User{i}", language_code="en" if i % 2 else "es")
             for i in range(args.burst)]
    fields: list[dict[str, Any]] = []
    for i in range(args.burst):  # stored first: the fake's thumbnails cost time here
        sizes = tg._store_photo(run.photos[args.singles + i], source="user")
        fields.append({"photo": [s.photo_size_json() for s in sizes], "caption": CAPTION,
                       "caption_entities": user_entities(CAPTION)})
    cpu0 = bot.status().get("cpu_s") or 0.0
    for user, f in zip(users, fields, strict=True):
        tracker.watch(user.chat.id, await user.send(user.chat, **f))
    chats = [u.chat.id for u in users]
    await tracker.until(lambda: all(c in tracker.status for c in chats), args.timeout,
                        "every acknowledgement")
    cpu_ack = bot.status().get("cpu_s") or 0.0
    await tracker.until(lambda: all(tracker.first(c) is not None for c in chats),
                        args.timeout + args.burst * (args.burst_limit + 20),
                        "every first picture")
    cpu_first = bot.status().get("cpu_s") or 0.0
    t_first = time.monotonic()
    await tracker.until(lambda: all(tracker.first(c, "result") is not None for c in chats),
                        args.burst * (args.burst_limit + 20) + 120, "every painting")
    result["cpu_s"] = (bot.status().get("cpu_s") or 0.0) - cpu0
    result["cpu_ack_s"] = cpu_ack - cpu0
    result["cpu_first_s"] = cpu_first - cpu0
    result["first_to_last_result_s"] = time.monotonic() - t_first
    return [tracker.record(c) for c in chats]


# --------------------------------------------------------------------------- report


def values(rounds: list[dict], mode: str, kind: str, key: str) -> list[float]:
    return [p[key] for r in rounds if r["mode"] == mode and r["part"] == kind
            for p in r["photos"] if p.get(key) is not None]


def report(data: dict) -> str:
    rounds, args, m = data["rounds"], data["args"], data["machine"]
    modes = [mo for mo in MODES if any(r["mode"] == mo for r in rounds)]
    nrounds = max((r["round"] for r in rounds), default=0)
    burst_n, limit = args["burst"], args["burst_limit"]

    def f(v, unit="s"):
        if v is None:
            return "—"
        return f"{v * 1000:.0f}" if unit == "ms" else common.fmt(v)

    headers = ["what"]
    for mo in modes:
        headers += [f"{LABEL[mo]} p50", "p95"]
    headers += ["goal", "met"]

    def row(label, kind, key, unit="s", goal="", met=""):
        cells = [label]
        for mo in modes:
            vs = values(rounds, mo, kind, key)
            cells += [f(percentile(vs, 50), unit), f(percentile(vs, 95), unit)]
        return cells + [goal, met]

    def p50(mo, kind, key):
        return percentile(values(rounds, mo, kind, key), 50)

    def warm(mo):
        vs = [r["warmup"]["first_picture_s"] for r in rounds if r["mode"] == mo
              and r.get("warmup", {}).get("first_picture_s") is not None]
        return [f(percentile(vs, 50)), f(max(vs) if vs else None)]

    first_after = p50("on", "single", "first_picture_s") if "on" in modes else None
    met_first = "—" if first_after is None else \
        ("yes" if first_after <= GOAL_FIRST_PICTURE_S else "**no**")

    def ack_met(kind):
        if len(modes) < 2:
            return "—"
        before, after = p50("off", kind, "ack_s"), p50("on", kind, "ack_s")
        if before is None or after is None:
            return "—"
        slack = max(0.25 * before, ACK_SLACK_MS / 1000)
        return "yes" if abs(after - before) <= slack else "**no**"

    n_single = len(values(rounds, modes[0], "single", "ack_s")) if modes else 0
    n_painted = sum(1 for r in rounds if r["mode"] == modes[0] and r["part"] == "single"
                    for p in r["photos"] if p.get("painted")) if modes else 0
    latency = [
        row(f"1 photo: acknowledgement, ms (n={n_single})", "single", "ack_s", "ms",
            "unchanged", ack_met("single")),
        row("1 photo: first picture, s", "single", "first_picture_s", "s",
            f"p50 ≤ {GOAL_FIRST_PICTURE_S:g} s (after)", met_first),
        row("… the first look, s", "single", "look_s"),
        row("… the first live preview, s", "single", "preview_s"),
        row(f"1 photo: the painting, 384 px fast, s (n={n_painted})", "single", "result_s"),
        ["first photo after the bot starts (warm-up): first picture, s",
         *(cell for mo in modes for cell in warm(mo)), "", ""],
        row(f"{burst_n} photos at once: acknowledgement, ms", "burst", "ack_s", "ms",
            "unchanged", ack_met("burst")),
        row(f"{burst_n} photos at once: first picture, s", "burst", "first_picture_s"),
        row("… the first look, s (those that had one)", "burst", "look_s"),
        row("… the first live preview, s (those that had one)", "burst", "preview_s"),
        row(f"{burst_n} photos at once: the painting (each stopped at {limit:g} s), s",
            "burst", "result_s"),
    ]

    def kinds(mo, kind):
        counts: dict[str, int] = {}
        for r in rounds:
            if r["mode"] == mo and r["part"] == kind:
                for p in r["photos"]:
                    counts[p.get("first_kind") or "none"] = \
                        counts.get(p.get("first_kind") or "none", 0) + 1
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "—"

    def cpu(mo, kind, key="cpu_s"):
        vs = [r[key] / len(r["photos"]) for r in rounds
              if r["mode"] == mo and r["part"] == kind and r.get(key) is not None and r["photos"]]
        return statistics.median(vs) if vs else None

    def looks_line(mo):
        shown = skipped = 0.0
        seen = False
        for r in rounds:
            if r["mode"] == mo and r["part"] == "burst" and "looks" in r:
                seen = True
                shown += r["looks"].get("shown", 0.0)
                skipped += r["looks"].get("skipped", 0.0)
        return f"{shown:.0f} / {skipped:.0f}" if seen else "—"

    def peak(mo):
        vs = [r["peak_rss_mb"] for r in rounds if r["mode"] == mo and r.get("peak_rss_mb")]
        return max(vs) if vs else None

    other_headers = ["what", *(LABEL[mo] for mo in modes)]
    other = [
        ["1 photo: the first picture was…", *(kinds(mo, "single") for mo in modes)],
        [f"{burst_n} photos: the first picture was…", *(kinds(mo, "burst") for mo in modes)],
        [f"{burst_n} photos: first looks shown / skipped (the bot's /metrics)",
         *(looks_line(mo) for mo in modes)],
        ["bot CPU per photo, single photos (whole job), ms",
         *(f(cpu(mo, "single"), "ms") for mo in modes)],
        [f"bot CPU per photo, {burst_n} at once, until every first picture, ms",
         *(f(cpu(mo, "burst", "cpu_first_s"), "ms") for mo in modes)],
        [f"bot CPU per photo, {burst_n} at once, until every painting, ms",
         *(f(cpu(mo, "burst"), "ms") for mo in modes)],
        ["bot peak RSS (VmHWM), MB, highest of its processes",
         *(common.fmt(peak(mo)) for mo in modes)],
        ["bot RSS after start-up (idle), MB",
         *(common.fmt(statistics.median([r["mem_idle"]["VmRSS"] for r in rounds
                                          if r["mode"] == mo and r.get("mem_idle", {})
                                          .get("VmRSS")] or [0])) for mo in modes)],
    ]
    loads = [r.get("load_avg") for r in rounds if r.get("load_avg") is not None]
    return "\n".join([
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, no GPU; Python {m['python']}, "
        f"TensorFlow {data['versions'].get('tensorflow')} on the CPU, random VGG19 weights; "
        f"{m['date']}; git {data.get('git')}; load average during the parts "
        f"{min(loads):.1f}–{max(loads):.1f}." if loads else "",
        f"{nrounds} round(s), modes interleaved (a fresh bot process per part, one warm "
        f"worker); photos of {args['photo']} px (~{data['photo_kb']:.0f} KB JPEG), "
        f"`{CAPTION}`; percentiles over every photo of every round. Times from the photo's "
        f"update to the request's arrival at the fake Bot API.",
        "",
        common.table(headers, latency),
        "",
        common.table(other_headers, other),
        "",
        f"(The warm-up row: median and highest over the parts; the run's very first "
        f"photo also waited for the worker's first compilation. Whole run "
        f"{data.get('wall_s', 0) / 60:.1f} min, the worker's start "
        f"{data.get('worker_start_s', 0):.0f} s.)",
    ])


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES),
                        type=lambda v: [x for x in v.split(",") if x],
                        help="LIENZO_FIRST_LOOK values, comma-separated (default: off,on)")
    parser.add_argument("--singles", type=int, default=3, help="single photos per part")
    parser.add_argument("--paint-singles", type=int, default=1,
                        help="of them, how many (the last) are painted to the end "
                             "(75 s to 3 min each on 2 cores); the others are cancelled")
    parser.add_argument("--burst", type=int, default=20, help="photos at once")
    parser.add_argument("--burst-limit", type=float, default=3.0,
                        help="LIENZO_JOB_TIME_LIMIT (s) of the burst part's bot")
    parser.add_argument("--photo", default="1280x960", help="WxH of each photo")
    parser.add_argument("--max-side", type=int, default=384,
                        help="LIENZO_MAX_SIDE (384: the CPU default)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for an acknowledgement or first picture")
    parser.add_argument("--job-timeout", type=float, default=420.0,
                        help="seconds to wait for a single photo's painting")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--docs", action="store_true",
                        help="rewrite the bench/first_look.py block of docs/benchmarks.md")
    parser.add_argument("--json", type=Path,
                        default=ROOT / "bench" / "results" / "first_look.json",
                        help="where the raw numbers go (default: %(default)s)")
    parser.add_argument("--from-json", type=Path, default=None, metavar="FILE",
                        help="measure nothing: the report of an earlier run's JSON")
    args = parser.parse_args(argv)
    if args.from_json:
        text = report(json.loads(args.from_json.read_text()))
        print(text)
        if args.docs:
            common.publish("bench/first_look.py", text)
        return 0
    bad = sorted(set(args.modes) - set(MODES))
    if bad:
        parser.error(f"unknown mode(s) {', '.join(bad)}; known: {', '.join(MODES)}")
    args.paint_singles = min(args.paint_singles, args.singles)
    width, height = (int(v) for v in args.photo.lower().split("x"))

    noise = np.random.default_rng(0).normal(0, 5, (height, width, 3))
    base = Image.fromarray(np.clip(common.make_content(width, height) + noise, 0, 255)
                           .astype(np.uint8))
    photos = [photo_bytes(i, width, height, base) for i in range(args.singles + args.burst + 1)]
    root = Path(tempfile.mkdtemp(prefix="lienzo-bench-look-"))
    styles_dir = root / "styles"
    styles_dir.mkdir()
    style = Image.fromarray(common.make_style(256))
    for style_id in STYLE_IDS:
        style.save(styles_dir / f"{style_id}.jpg", quality=90)
    queue_url = f"sqlite:///{root / 'queue.db'}"

    t_run = time.monotonic()
    worker = Worker(root, styles_dir, queue_url, args.max_side)
    log("starting the engine worker (TensorFlow, CPU, random VGG19)…")
    worker_start_s = worker.start()
    log(f"worker ready in {worker_start_s:.1f} s")
    run = Run(args, root, styles_dir, photos, worker, queue_url)
    rounds = []
    try:
        for i in range(1, args.rounds + 1):
            for mode in args.modes:  # interleaved, so that both see the same machine
                for kind in ("single", "burst"):
                    if kind == "single" and args.singles == 0 or kind == "burst" and \
                            args.burst == 0:
                        continue
                    log(f"round {i}, LIENZO_FIRST_LOOK={mode}, {kind}")
                    t = time.monotonic()
                    r = asyncio.run(part(run, mode, kind, i))
                    r["wall_s"] = time.monotonic() - t
                    with contextlib.suppress(OSError):
                        r["load_avg"] = os.getloadavg()[0]
                    rounds.append(r)
                    ps = r["photos"]
                    first = [p["first_picture_s"] for p in ps if p["first_picture_s"] is not None]
                    acks = [p["ack_s"] for p in ps if p["ack_s"] is not None]
                    ack50, first50 = percentile(acks, 50) or 0, percentile(first, 50) or 0
                    log(f"  → ack p50 {ack50 * 1000:.0f} ms, first picture p50 {first50:.2f} s "
                        f"p95 {percentile(first, 95) or 0:.2f} s; bot CPU "
                        f"{r.get('cpu_s', 0) * 1000 / max(len(ps), 1):.0f} ms/photo, peak RSS "
                        f"{r.get('peak_rss_mb') or 0:.0f} MB; {r['wall_s']:.0f} s")
    finally:
        worker.stop()

    from importlib import metadata

    data: dict[str, Any] = {"machine": common.machine(), "versions": common.versions(),
            "ptb": metadata.version("python-telegram-bot"), "git": common.git_revision(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "worker_start_s": worker_start_s, "wall_s": time.monotonic() - t_run,
            "photo_kb": statistics.fmean(len(p) for p in photos) / 1024, "rounds": rounds}
    common.conclude("bench/first_look.py", data, report(data), args.json, docs=args.docs,
                    root=root, keep=args.keep,
                    footer=f"\nwhole run {data['wall_s'] / 60:.1f} min; raw numbers in "
                           f"{args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
