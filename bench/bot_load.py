"""The bot under load (docs/architecture.md, "Benchmarks"): latency, throughput, memory,
import time.

The bot runs as its own process — ``bot.app.main``, exactly what ``lienzo bot``
runs — with no engine worker (``LIENZO_ENGINE_WORKERS=0``: jobs only queue, on
the embedded SQLite queue), so every figure is the bot's alone.  The fake Bot
API server (tests/support/fake_telegram.py) runs in this process and plays the users;
all times come from its records (``time.monotonic()`` of the same clock):

- **acknowledgement latency**: from the moment a user's photo is queued as an
  update in the fake server to the moment the bot's status message (the photo
  sent back by file id, captioned "⏳ …": ``sendPhoto``) arrives there.  It
  includes the long poll, PTB's dispatch, the settings, cache and per-user-limit
  look-ups, and the send; the bot acknowledges before it downloads anything.
- **queued latency**: from the same moment to the edit that turns the status
  message into "queued, N ahead" (a caption edit, or the first look's media
  edit, which carries the same caption): getFile, the download, the check of the
  picture, the job table and queue writes.
- **throughput**: photos queued per second, burst size ÷ (last "queued" edit −
  first photo queued); for ``echo-floor``, which queues nothing, its replies.
- **/help latency** with the burst's 100 jobs still queued: 20 other users at
  once, then 20 one after another.
- **memory**: the bot process's VmRSS after start-up (idle), after the burst,
  and its peak (VmHWM) — from /proc, so no extra dependency.
- **import time** of ``bot.app`` in a fresh interpreter (median of 5), and a
  check that keras, tensorflow and jax are not loaded.

Modes (``--modes``; ``bench.bot_process`` applies them in the bot process):
``deployed`` is the bot as shipped (no global flood limit, see bot.app.flood_control);
``flood-limit-30`` re-imposes AIORateLimiter's global ~30 messages/s, as the bot had
it before, for comparison; ``echo-floor`` only replies "⏳" (the floor of PTB +
httpx).  Each round starts a fresh bot process, data folder and fake server, modes
interleaved; the tables give the median over rounds of each statistic (every round
is in the JSON), and where a photo's time goes (update → status message → getFile
→ download → "queued").

    .venv/bin/python -m bench.bot_load            # 3 rounds x 3 modes, ~1.5 min on 2 cores
    .venv/bin/python -m bench.bot_load --rounds 1 --users 20 --helps 5 --json /tmp/bot.json  # smoke
    .venv/bin/python -m bench.bot_load --docs     # also rewrite docs/benchmarks.md's block
    PATH=...:$PATH .venv/bin/python -m bench.bot_load --modes deployed --profile burst.txt
                                                  # py-spy's collapsed stacks of the burst

Raw numbers go to bench/results/bot.json.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from bench import common
from tests.support.fake_telegram import FakeMessage, FakeTelegram, free_port, user_entities

ROOT = common.ROOT

GOALS = {"ack_p95_ms": 300, "help_p95_ms": 1000, "rss_mb": 150, "import_s": 2.0}
HEAVY = ("keras", "tensorflow", "jax", "torch")
STYLE_IDS = ("starry_night", "the_scream", "great_wave")
RUNNER = "bench.bot_process"  # module: bot.app.main plus the bench-only knobs below
MODES = {  # name → bench-only settings of the bot process (see bench/bot_process.py)
    # The bot as shipped: AIORateLimiter without a global limit (bot.app.flood_control).
    "deployed": {},
    # The same bot with PTB's default global limit of ~30 messages/s, as it was before.
    "flood-limit-30": {"LIENZO_BENCH_OVERALL_RATE": "30"},
    # A handler that only replies "⏳": the floor of PTB, httpx and the fake server.
    "echo-floor": {"LIENZO_BENCH_HANDLER": "echo"},
}
DEFAULT_MODES = tuple(MODES)
FLOOD_RATE = 30  # messages/s: telegram.constants.FloodLimit.MESSAGES_PER_SECOND
IMPORT_PROBE = ("import json, sys, time; t = time.perf_counter(); import bot.app; "
                "dt = time.perf_counter() - t; heavy = [m for m in HEAVY if m in sys.modules]; "
                "print(json.dumps({'import_s': dt, 'heavy': heavy}))").replace("HEAVY", repr(HEAVY))


# --------------------------------------------------------------------------- helpers


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summary(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "max_ms": max(ms) if ms else None, "mean_ms": statistics.fmean(ms) if ms else None}


def proc_status(pid: int) -> dict:
    """VmRSS, VmHWM (peak RSS) in MB, and user+system CPU seconds of a process."""
    out: dict = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def photo_bytes(index: int, width: int, height: int, base: Image.Image) -> bytes:
    """A distinct 'photo' per user (so every file_unique_id differs): ``base`` with six
    coloured discs of its own, JPEG q85."""
    picture = base.copy()
    draw = ImageDraw.Draw(picture)
    rng = np.random.default_rng(index)
    for _ in range(6):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.02, 0.08) * width
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def import_time(repeats: int = 5) -> dict:
    """Wall time of `python -c "import bot.app"` and the import itself, medians."""
    env = common.child_env()
    walls, inner, heavy = [], [], set()
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - t)
        probe = json.loads(out.stdout.strip().splitlines()[-1])
        inner.append(probe["import_s"])
        heavy.update(probe["heavy"])
    return {"wall_s": statistics.median(walls), "import_s": statistics.median(inner),
            "walls": walls, "imports": inner, "heavy_modules": sorted(heavy)}


# --------------------------------------------------------------------------- one round


class BotProcess:
    """`bot.app.main` in a child process, pointed at the fake server."""

    def __init__(self, tg: FakeTelegram, workdir: Path, styles_dir: Path, max_side: int,
                 mode: str = "deployed"):
        self.log_path = workdir / "bot.log"
        self.env = common.child_env()
        self.env.update(tg.env())
        self.env.update(
            LIENZO_DATA_DIR=str(workdir / "data"),
            LIENZO_QUEUE_URL=f"sqlite:///{workdir / 'queue.db'}", LIENZO_ENGINE_WORKERS="0",
            LIENZO_HTTP_PORT=str(free_port()), LIENZO_STYLES_DIR=str(styles_dir),
            LIENZO_MAX_SIDE=str(max_side), LIENZO_QUEUE_CAP="100000",
            LIENZO_USER_QUEUE_LIMIT="10")
        for key in ("LIENZO_BENCH_OVERALL_RATE", "LIENZO_BENCH_HANDLER"):
            self.env.pop(key, None)
        self.env.update(MODES[mode])
        for key in ("LIENZO_WEBHOOK_URL", "LIENZO_WEBHOOK_SECRET", "LIENZO_ALLOWED_CHATS"):
            self.env.pop(key, None)
        self.proc: subprocess.Popen | None = None

    def start(self, runner: Path | None = None) -> None:
        """``python -m bench.bot_process`` from the repository root, or ``runner`` (a file)."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        command = [sys.executable, *([str(runner.resolve())] if runner else ["-m", RUNNER])]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        atexit.register(self.kill)  # whatever happens to this script, no bot is left behind

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the bot was not started"
        return self.proc.pid

    def status(self) -> dict:
        return proc_status(self.pid)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_profiler(args, pid: int) -> subprocess.Popen | None:
    """``py-spy record`` on the bot for the burst (collapsed stacks, for flame graphs)."""
    if not args.profile:
        return None
    import shutil

    exe = shutil.which("py-spy") or sys.exit("--profile needs py-spy on PATH")
    proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", "500", "--format", "raw",
                             "--threads", "--gil" if args.profile_gil else "--nonblocking",
                             "-o", str(args.profile)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    return proc


def stop_profiler(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def said(call) -> str:
    """What a call says: its text, its caption, or its new media's caption."""
    media = call.params.get("media")
    if isinstance(media, str):
        media = json.loads(media)
    shown = media.get("caption") if isinstance(media, dict) else None
    return str(call.params.get("text") or call.params.get("caption") or shown or "")


async def wait_replies(tg: FakeTelegram, sent: dict, timeout: float,
                       method: str | tuple[str, ...] = "sendMessage") -> dict:
    """chat id → the first ``method`` call (one of them) after that chat's message, for
    every chat."""
    methods = (method,) if isinstance(method, str) else method
    found: dict = {}
    scanned = 0

    def done(calls):
        nonlocal scanned
        for call in calls[scanned:]:  # a call is recorded when its request has arrived
            scanned += 1
            chat_id = call.params.get("chat_id")
            if call.method in methods and chat_id in sent and chat_id not in found \
                    and call.time >= sent[chat_id].versions[0][0]:
                found[chat_id] = call
        return len(found) == len(sent)

    await tg.wait_for(done, timeout, f"{len(sent)} {'/'.join(methods)} calls")
    return found


def phases(calls, sent: dict, replies: dict, queued: dict) -> dict:
    """Where each photo's time went, from the fake server's records: update queued →
    status message arrives (long poll, PTB dispatch, settings, cache and limit
    look-ups) → getFile arrives → download arrives (getFile answered) → "queued"
    edit arrives (the bytes, the check, the job table and queue writes)."""
    chat_of = {m["photo"][-1]["file_id"]: cid for cid, m in sent.items()}
    get_file: dict[int, float] = {}
    path_chat: dict[str | None, int] = {}
    download: dict[int, float] = {}
    for call in calls:
        if call.method == "getFile" and call.params.get("file_id") in chat_of:
            cid = chat_of[call.params["file_id"]]
            get_file.setdefault(cid, call.time)
            if isinstance(call.result, dict):
                path_chat[call.result.get("file_path")] = cid
    for call in calls:
        if call.method == "download" and call.params.get("file_path") in path_chat:
            download.setdefault(path_chat[call.params["file_path"]], call.time)
    out = {}
    status = {c: r.time for c, r in replies.items()}
    for name, start, end in (
            ("update → status message", {c: m.versions[0][0] for c, m in sent.items()}, status),
            ("status message → getFile", status, get_file),
            ("getFile → download", get_file, download),
            ("download → \"queued\" edit", download, {c: r.time for c, r in queued.items()})):
        out[name] = summary([end[c] - start[c] for c in sent if c in start and c in end])
    return out


async def one_round(args, workdir: Path, styles_dir: Path, photos: list[bytes],
                    mode: str) -> dict:
    result: dict = {"mode": mode}
    async with FakeTelegram(bot_username="LienzoBot") as tg:
        bot = BotProcess(tg, workdir, styles_dir, args.max_side, mode)
        t_start = time.monotonic()
        bot.start(args.runner)
        proc = bot.proc
        assert proc is not None
        try:
            await tg.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls)
                              or proc.poll() is not None, 60, "the bot to start")
            if proc.poll() is not None:
                raise RuntimeError("the bot exited at start-up:\n" + bot.tail())
            result["startup_s"] = time.monotonic() - t_start
            await asyncio.sleep(1.0)  # let start-up settle before the idle reading
            result["mem_idle"] = bot.status()

            # Warm-up: one photo and one /help from a user outside the measured sets
            # (first-use costs: lazy imports, SQLite caches, connection pool).
            warm = tg.user(900, "Warm")
            warm_sent = await warm.send_photo(warm.chat, photos[-1],
                                              caption="/style starry_night")
            reply = await tg.wait_for_message(warm.chat, after=warm_sent, timeout=60)
            echo = "LIENZO_BENCH_HANDLER" in MODES[mode]
            ack = "sendMessage" if echo else "sendPhoto"  # the echo floor replies in text
            result["warmup_ack_ms"] = (tg.calls_to(ack, chat=warm.chat)[0].time
                                       - warm_sent.versions[0][0]) * 1000
            assert "⏳" in reply.versions[0][1].get("caption", reply.versions[0][1].get(
                "text", "")), f"warm-up got {reply.content!r}:\n{bot.tail()}"
            if "LIENZO_BENCH_HANDLER" not in MODES[mode]:
                await tg.wait_for(lambda _: reply.edited, 60, "the warm-up photo to be queued")
            warm_sent = await warm.send_text(warm.chat, "/help")
            await tg.wait_for_message(warm.chat, after=warm_sent, timeout=30)
            result["mem_warm"] = bot.status()

            # The burst: every photo stored first (the fake server's thumbnails cost
            # time here, not during the burst), then all messages queued in one go.
            users = [tg.user(10_000 + i, f"User{i}", language_code="en" if i % 2 else "es")
                     for i in range(args.users)]
            caption = "/style starry_night"
            fields: list[dict[str, Any]] = []  # Bot API message fields
            for i in range(args.users):
                sizes = tg._store_photo(photos[i], source="user")  # what send_photo does
                fields.append({"photo": [s.photo_size_json() for s in sizes],
                               "caption": caption, "caption_entities": user_entities(caption)})
            profiler = start_profiler(args, bot.pid)
            cpu0, fake_cpu0 = bot.status().get("cpu_s"), time.process_time()
            sent: dict[int, FakeMessage] = {}
            for user, f in zip(users, fields, strict=True):
                sent[user.id] = await user.send(user.chat, **f)
            t0 = min(m.versions[0][0] for m in sent.values())
            t_spread = max(m.versions[0][0] for m in sent.values()) - t0
            replies = await wait_replies(tg, sent, args.timeout, ack)
            cpu_acks = bot.status().get("cpu_s")
            # Then each status message becomes "queued, N ahead" (the echo floor queues
            # nothing): the burst's work is done when the last of these edits arrives.
            # "queued" is a caption edit, or the first look's media edit (bot.looks).
            queued = {} if echo else await wait_replies(
                tg, sent, args.timeout, ("editMessageCaption", "editMessageMedia"))
            done = queued or replies
            t_last = max(c.time for c in done.values())
            fake_cpu = time.process_time() - fake_cpu0
            result["mem_burst"] = bot.status()
            await asyncio.to_thread(stop_profiler, profiler)
            acks = {cid: c.time - sent[cid].versions[0][0] for cid, c in replies.items()}
            bad = {cid: said(c) for cid, c in [*replies.items(), *queued.items()]
                   if "⏳" not in said(c)}
            result["burst"] = dict(summary(list(acks.values())), errors=len(bad),
                                   error_texts=sorted(set(map(str, bad.values())))[:5],
                                   queue_spread_ms=t_spread * 1000,
                                   wall_s=t_last - t0, updates_per_s=len(done) / (t_last - t0),
                                   cpu_s=(result["mem_burst"].get("cpu_s") or 0) - (cpu0 or 0),
                                   ack_cpu_s=(cpu_acks or 0) - (cpu0 or 0),
                                   fake_server_cpu_s=fake_cpu, load_avg=os.getloadavg()[0])
            if queued:
                result["queued"] = summary([c.time - sent[cid].versions[0][0]
                                            for cid, c in queued.items()])
                result["burst"]["phases"] = phases(tg.calls, sent, replies, queued)
            if bad:
                print(f"warning: {len(bad)} burst users were not queued, e.g. "
                      f"{next(iter(bad.values()))!r}", file=sys.stderr)
            # Wait for the bot to go quiet so the /help figures are not mixed with
            # the burst's tail.
            await asyncio.sleep(args.settle)

            # /help with the burst's jobs queued: at once, then one after another.
            helpers = [tg.user(20_000 + i, f"Helper{i}") for i in range(args.helps)]
            sent = {}
            for user in helpers:
                sent[user.id] = await user.send_text(user.chat, "/help")
            replies = await wait_replies(tg, sent, args.timeout)
            t0 = min(m.versions[0][0] for m in sent.values())
            result["help_at_once"] = dict(
                summary([c.time - sent[cid].versions[0][0] for cid, c in replies.items()]),
                wall_s=max(c.time for c in replies.values()) - t0)
            lat = []
            for user in helpers:
                msg = await user.send_text(user.chat, "/help")
                answered = await wait_replies(tg, {user.id: msg}, args.timeout)
                lat.append(answered[user.id].time - msg.versions[0][0])
            result["help_sequential"] = summary(lat)
            result["mem_end"] = bot.status()
            result["peak_rss_mb"] = result["mem_end"].get("VmHWM")
        finally:
            # In a thread: the fake server must keep answering while the bot shuts down.
            result["exit_code"] = await asyncio.to_thread(bot.stop)
    if result.get("exit_code") not in (0, None):
        print(f"warning: the bot exited with {result['exit_code']}:\n{bot.tail()}",
              file=sys.stderr)
    return result


# --------------------------------------------------------------------------- report


def med(rounds: list[dict], *path, mode: str | None = "deployed") -> float | None:
    """The median over the rounds of ``mode`` of the value at ``path``."""
    values: list[float] = []
    for r in rounds:
        if r.get("mode") != mode:
            continue
        v: Any = r  # a round's JSON: dicts down ``path``, a number at its end
        for key in path:
            v = v.get(key) if isinstance(v, dict) else None
        if v is not None:
            values.append(v)
    return statistics.median(values) if values else None


def ok(value, goal) -> str:
    if value is None:
        return "—"
    return "yes" if value <= goal else "**no**"


def flood_floor(n: int, rate: float = FLOOD_RATE) -> dict:
    """Acknowledgement latencies if the bot cost nothing: PTB's AIORateLimiter lets
    ``rate`` messages through at once, then one every 1/rate s (aiolimiter's bucket)."""
    return summary([max(0.0, (k - rate) / rate) for k in range(1, n + 1)])


def report(data: dict) -> str:
    rounds, imp, m, args = data["rounds"], data["import"], data["machine"], data["args"]
    n, helps = args["users"], args["helps"]
    def f(value):
        if isinstance(value, float) and abs(value) >= 100:
            return f"{value:,.0f}"
        return common.fmt(value)

    modes = [mode for mode in MODES if any(r["mode"] == mode for r in rounds)]
    count = sum(r["mode"] == modes[0] for r in rounds)
    loads = [r["burst"]["load_avg"] for r in rounds]

    def row(label, key, goal="", met_key="p95_ms", goal_value=None, mode="deployed"):
        p50, p95, top = (med(rounds, key, s, mode=mode) for s in ("p50_ms", "p95_ms", "max_ms"))
        met = ok(med(rounds, key, met_key, mode=mode), goal_value) if goal_value else ""
        return [label, f(p50), f(p95), f(top), goal, met]

    floor = flood_floor(n)
    latency = []
    for mode in modes:
        label = f"acknowledgement, {n} users at once" + ("" if mode == "deployed" else
                                                         f" — {mode}")
        latency.append(row(label, "burst", f"p95 ≤ {GOALS['ack_p95_ms']} ms",
                           goal_value=GOALS["ack_p95_ms"], mode=mode))
        if mode == "flood-limit-30":
            latency.append([f"… the floor set by the {FLOOD_RATE} messages/s limit alone",
                            f(floor["p50_ms"]), f(floor["p95_ms"]), f(floor["max_ms"]), "", ""])
        if med(rounds, "queued", "p50_ms", mode=mode) is not None:
            latency.append(row(f'… and the status message says "queued" ({mode})', "queued",
                               mode=mode))
    main_mode = "deployed" if "deployed" in modes else modes[0]
    latency += [
        row(f"`/help`, {helps} users at once, {n} jobs queued", "help_at_once",
            f"≤ {GOALS['help_p95_ms']} ms (§6)", "max_ms", GOALS["help_p95_ms"], main_mode),
        row(f"`/help`, one at a time, {n} jobs queued", "help_sequential",
            f"≤ {GOALS['help_p95_ms']} ms (§6)", "max_ms", GOALS["help_p95_ms"], main_mode),
        ["first photo after start-up (one user)", f(med(rounds, "warmup_ack_ms", mode=main_mode)),
         "", "", "", ""],
    ]
    other = []
    for mode in modes:
        what = "replies" if mode == "echo-floor" else "photos queued"
        ack_cpu = med(rounds, "burst", "ack_cpu_s", mode=mode)
        other += [
            [f"throughput, {what} per second ({mode})",
             f(med(rounds, "burst", "updates_per_s", mode=mode)), "", ""],
            [f"bot CPU per photo, ms, user+system ({mode})",
             f((med(rounds, "burst", "cpu_s", mode=mode) or 0) * 1000 / n), "", ""],
            *([["… of which before the last acknowledgement (deployed)",
                f(ack_cpu * 1000 / n), "", ""]]
              if mode == "deployed" and ack_cpu is not None else []),
        ]
    peaks = {mode: max((r["peak_rss_mb"] for r in rounds
                        if r["mode"] == mode and r.get("peak_rss_mb")), default=None)
             for mode in modes}
    peak = peaks[main_mode]
    other += [
        ["users not acknowledged or not queued", f(max(r["burst"]["errors"] for r in rounds)),
         "0",
         ok(max(r["burst"]["errors"] for r in rounds), 0)],
        ["RSS after start-up (idle), MB", f(med(rounds, "mem_idle", "VmRSS", mode=main_mode)),
         "", ""],
        [f"RSS after the burst ({n} jobs queued), MB",
         f(med(rounds, "mem_burst", "VmRSS", mode=main_mode)), "", ""],
        [f"peak RSS (VmHWM), MB, highest of its rounds ({main_mode})", f(peak),
         f"≤ {GOALS['rss_mb']} MB", ok(peak, GOALS["rss_mb"])],
        *([f"peak RSS (VmHWM), MB, highest of its rounds ({mode})", f(value), "", ""]
          for mode, value in peaks.items() if mode != main_mode),
        ["start-up (process start → first getUpdates), s",
         f(med(rounds, "startup_s", mode=main_mode)), "", ""],
        ['`python -c "import bot.app"`, wall s (median of 5)', f(imp["wall_s"]),
         f"≤ {GOALS['import_s']} s", ok(imp["wall_s"], GOALS["import_s"])],
        ["`import bot.app` alone, s", f(imp["import_s"]), "", ""],
        ["keras / tensorflow / jax loaded by `import bot.app`",
         ", ".join(imp["heavy_modules"]) or "none", "none",
         "yes" if not imp["heavy_modules"] else "**no**"],
    ]
    phase_mode = next((m for m in ("deployed", "flood-limit-30") if m in modes), None)
    names: dict[str, dict] = next((r["burst"]["phases"] for r in rounds if r["mode"] == phase_mode
                  and r["burst"].get("phases")), {})
    return "\n".join([
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB; Python {m['python']}, "
        f"python-telegram-bot {data['ptb']}; {m['date']}; load average during the bursts "
        f"{min(loads):.1f}–{max(loads):.1f}. Median of {count} rounds per mode (a fresh bot "
        f"process each, modes interleaved); {n} photos of {args['photo']} px "
        f"(~{data['photo_kb']:.0f} KB JPEG), no engine worker, SQLite queue.",
        "",
        common.table(["what", "p50 ms", "p95 ms", "max ms", "goal", "met"], latency),
        "",
        common.table(["what", "value", "goal", "met"], other),
        "",
        f"Where a photo's time goes ({phase_mode}):",
        "",
        common.table(["phase", "p50 ms", "p95 ms"], [
            [name, f(med(rounds, "burst", "phases", name, "p50_ms", mode=phase_mode)),
             f(med(rounds, "burst", "phases", name, "p95_ms", mode=phase_mode))]
            for name in names]),
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=100, help="photos sent at once")
    parser.add_argument("--helps", type=int, default=20, help="/help senders")
    parser.add_argument("--photo", default="1280x960",
                        help="WxH of each photo (Telegram's usual compressed size)")
    parser.add_argument("--max-side", type=int, default=384, help="LIENZO_MAX_SIDE")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds between the burst and the /help part")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--docs", action="store_true",
                        help="rewrite the bench/bot_load.py block of docs/benchmarks.md")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE",
                        help="record the bot during the burst with py-spy (collapsed stacks)")
    parser.add_argument("--profile-gil", action="store_true",
                        help="with --profile: only samples holding the GIL")
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES),
                        type=lambda v: [m for m in v.split(",") if m],
                        help=f"comma-separated, of: {', '.join(MODES)} (default: "
                             f"{','.join(DEFAULT_MODES)})")
    parser.add_argument("--runner", type=Path, default=None, metavar="FILE",
                        help="run this Python file as the bot process instead of "
                             "python -m bench.bot_process (to try a change: patch, then call "
                             "bot.app.main)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "bot.json",
                        help="where the raw numbers go (default: %(default)s)")
    parser.add_argument("--from-json", type=Path, default=None, metavar="FILE",
                        help="measure nothing: print (and with --docs write) the report of "
                             "an earlier run's bench/results/bot.json")
    args = parser.parse_args(argv)
    if args.from_json:
        text = report(json.loads(args.from_json.read_text()))
        print(text)
        if args.docs:
            common.publish("bench/bot_load.py", text)
        return 0
    unknown = sorted(set(args.modes) - set(MODES))
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}")
    width, height = (int(v) for v in args.photo.lower().split("x"))

    imp = import_time()
    print(f"import bot.app: {imp['wall_s']:.2f} s wall, {imp['import_s']:.2f} s import; "
          f"heavy modules: {imp['heavy_modules'] or 'none'}", flush=True)

    # Sensor-like noise makes the JPEG the size of a real 1280 px Telegram photo
    # (~140 KB at q85) instead of the ~40 KB of the smooth drawing.
    noise = np.random.default_rng(0).normal(0, 5, (height, width, 3))
    base = Image.fromarray(np.clip(common.make_content(width, height) + noise, 0, 255)
                           .astype(np.uint8))
    photos = [photo_bytes(i, width, height, base) for i in range(args.users + 1)]
    root = Path(tempfile.mkdtemp(prefix="lienzo-bench-bot-"))
    styles_dir = root / "styles"
    styles_dir.mkdir()
    style = Image.fromarray(common.make_style(256))
    for style_id in STYLE_IDS:
        style.save(styles_dir / f"{style_id}.jpg", quality=90)

    rounds = []
    for i in range(args.rounds):
        for mode in args.modes:  # interleaved, so that both see the same machine
            workdir = root / f"round{i}-{mode}"
            workdir.mkdir()
            r = asyncio.run(one_round(args, workdir, styles_dir, photos, mode))
            rounds.append(r)
            b = r["burst"]
            print(f"round {i + 1}, {mode}: ack p50 {b['p50_ms']:.0f} ms, p95 {b['p95_ms']:.0f} "
                  f"ms, max {b['max_ms']:.0f} ms, {b['updates_per_s']:.0f} updates/s, bot CPU "
                  f"{b['cpu_s'] * 1000 / b['n']:.1f} ms/update "
                  f"({b['ack_cpu_s'] * 1000 / b['n']:.1f} to acknowledge; fake server "
                  f"{b['fake_server_cpu_s'] * 1000 / b['n']:.1f}), load {b['load_avg']:.1f}; "
                  f"/help p95 {r['help_at_once']['p95_ms']:.0f} ms (at once), "
                  f"{r['help_sequential']['p95_ms']:.0f} ms (one by one); queued p95 "
                  f"{r.get('queued', {}).get('p95_ms') or 0:.0f} ms; peak RSS "
                  f"{r['peak_rss_mb']:.0f} MB", flush=True)

    from importlib import metadata

    data = {"machine": common.machine(), "ptb": metadata.version("python-telegram-bot"),
            "git": common.git_revision(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "import": imp,
            "photo_kb": statistics.fmean(len(p) for p in photos) / 1024, "rounds": rounds}
    common.conclude("bench/bot_load.py", data, report(data), args.json, docs=args.docs,
                    root=root, keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
