"""Queue overhead (docs/architecture.md, "Benchmarks"): the cost of the job pipeline itself.

    .venv/bin/python -m bench.queue_throughput      # SQLite, and Redis if redis-server exists
    .venv/bin/python -m bench.queue_throughput --jobs 30 --flood 300 --backends sqlite

For each backend, one real `lienzo worker` process (random weights, a trivial
job: 32 px, 1 step) and the real job service with its asyncio watcher:

- submit → start: from ``JobService.submit`` to the worker taking the job off
  the queue (``stats.picked_at``), with the worker idle (jobs one at a time);
- result → delivery: from the worker's result (``JobResult.finished``) to the
  ``on_result`` callback (the watcher's poll, the copy into the job table and
  the image check included);
- memory: 1000 jobs queued at once, then drained: RSS of the bot side (this
  process: job service + watcher) and of the worker, at checkpoints.

Both clocks are this machine's.  Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bot.config import cuda_visible_devices
from bot.gpus import visible_gpus
from bot.jobs import JobService
from bot.local_workers import LocalWorkers
from engine import queue as q

SIDE = 32


def rss_mb(pid: int | None = None) -> float:
    path = f"/proc/{pid or 'self'}/status"
    with open(path) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def tiny_jpeg() -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (SIDE, SIDE, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    """One backend: a worker process, a job service, a watcher."""

    def __init__(self, url: str, root: Path, styles: Path):
        self.url = url
        env = dict(os.environ, LIENZO_VGG19_WEIGHTS="random", LIENZO_STYLES_DIR=str(styles),
                   LIENZO_DATA_DIR=str(root / "data"), TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("LIENZO_QUEUE_URL", None)
        self.log = open(root / "worker.log", "ab")  # noqa: SIM115
        self.workers = LocalWorkers(1, gpus=visible_gpus(cuda_visible_devices()),
                                    queue_url=url, env=env, output=self.log,
                                    extra_args=["--warmup-size", str(SIDE)],
                                    name_prefix="bench-")
        self.queue = q.JobQueue(url)
        self.queue.clear()
        self.service = JobService(self.queue, root / "jobs.db", user_limit=10**6,
                                  queue_cap=10**6)
        # only what the figures need: keeping the images would measure the bench itself
        self.delivered: dict[str, tuple[float, str, float, float]] = {}
        self.content = tiny_jpeg()

    async def __aenter__(self):
        self.workers.start()
        deadline = time.monotonic() + 300
        while not all(n in self.queue.workers() and self.queue.workers()[n]["state"] == "idle"
                      for n in self.workers.names):
            if time.monotonic() > deadline:
                raise RuntimeError("worker did not start; see worker.log")
            await asyncio.sleep(0.2)

        async def on_result(job, outcome):
            self.delivered[job.id] = (time.time(), outcome.status,
                                      outcome.stats.get("picked_at", 0.0), outcome.finished)

        self.service.start(None, on_result)
        return self

    async def __aexit__(self, *exc):
        await self.service.stop()
        await asyncio.to_thread(self.workers.stop)
        self.service.close()
        self.log.close()

    async def submit(self, user: int = 1) -> tuple[str, float]:
        t = time.time()
        sub = await self.service.asubmit(user_id=user, chat_id=user, content=self.content,
                                         styles=["starry_night"],
                                         params={"size": SIDE, "iterations": 1})
        return sub.job_id, t

    async def wait(self, ids, timeout=600):
        deadline = time.monotonic() + timeout
        while not all(i in self.delivered for i in ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{sum(i in self.delivered for i in ids)}/{len(ids)} "
                                   "delivered before the deadline")
            await asyncio.sleep(0.02)

    async def latency(self, n: int) -> dict:
        start, deliver = [], []
        for _ in range(n):
            await asyncio.sleep(random.uniform(0.3, 0.6))  # decorrelate from polling phases
            job_id, t_submit = await self.submit()
            await self.wait([job_id], 120)
            t_delivered, status, picked_at, finished = self.delivered[job_id]
            assert status == "done", status
            start.append(picked_at - t_submit)
            deliver.append(t_delivered - finished)
        return {"start": start, "deliver": deliver}

    async def flood(self, n: int) -> list[tuple]:
        worker_pid = self.workers.pids()[0]
        rows: list[tuple[str, float, float, float]] = [
            ("idle, warm", 0, rss_mb(), rss_mb(worker_pid))]
        t0 = time.monotonic()
        ids = [(await self.submit(user=i % 50))[0] for i in range(n)]
        rows.append((f"{n} queued", 0, rss_mb(), rss_mb(worker_pid)))
        marks = sorted({n // 10, n // 2, n})
        for mark in marks:
            await self.wait(ids[:mark], 1800)
            rows.append((f"{mark} delivered", time.monotonic() - t0, rss_mb(),
                         rss_mb(worker_pid)))
        statuses = {self.delivered[i][1] for i in ids}
        assert statuses == {"done"}, statuses
        return rows


async def bench_backend(name: str, url: str, args, styles: Path) -> tuple[dict, list]:
    with tempfile.TemporaryDirectory(prefix=f"lienzo-bench-{name}-") as tmp:
        async with Run(url, Path(tmp), styles) as run:
            lat = await run.latency(args.jobs)
            rows = await run.flood(args.flood)
    return lat, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50, help="jobs for the latency figures")
    parser.add_argument("--flood", type=int, default=1000, help="jobs queued at once")
    parser.add_argument("--backends", default="sqlite,redis")
    args = parser.parse_args()

    styles = Path(tempfile.mkdtemp(prefix="lienzo-bench-styles-"))
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (SIDE, SIDE, 3), dtype=np.uint8)).save(
        styles / "starry_night.jpg")

    results = {}
    redis = None
    try:
        for name in args.backends.split(","):
            if name == "sqlite":
                url = None
            elif name == "redis":
                exe = shutil.which("redis-server")
                if exe is None:
                    print("redis-server not found: Redis skipped", file=sys.stderr)
                    continue
                port = free_port()
                redis = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no"],
                                         stdout=subprocess.DEVNULL)
                url = f"redis://127.0.0.1:{port}/0"
                time.sleep(0.5)  # bench only: redis-server is up in well under this
            else:
                raise SystemExit(f"unknown backend {name}")
            with tempfile.TemporaryDirectory() as tmp:
                url = url or f"sqlite:///{tmp}/queue.db"
                print(f"[{name}] {args.jobs} single jobs, then {args.flood} at once...",
                      file=sys.stderr)
                results[name] = asyncio.run(bench_backend(name, url, args, styles))
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait()
        shutil.rmtree(styles, ignore_errors=True)

    print(f"\n### Queue overhead ({args.jobs} trivial jobs one at a time: {SIDE} px, 1 step; "
          "one worker; service poll 0.25 s, worker poll 0.25 s / Redis blocking pop)\n")
    print("| backend | submit → start p50 | p95 | result → delivery p50 | p95 |")
    print("|---|---|---|---|---|")
    for name, (lat, _) in results.items():
        s, d = lat["start"], lat["deliver"]
        print(f"| {name} | {1000 * statistics.median(s):.0f} ms | {1000 * pct(s, 95):.0f} ms "
              f"| {1000 * statistics.median(d):.0f} ms | {1000 * pct(d, 95):.0f} ms |")
    print(f"\n### Memory with {args.flood} jobs queued at once (RSS, MB)\n")
    print("| backend | point | elapsed | bot (service + watcher) | worker |")
    print("|---|---|---|---|---|")
    for name, (_, rows) in results.items():
        for point, elapsed, bot, worker in rows:
            print(f"| {name} | {point} | {elapsed:.0f} s | {bot:.0f} | {worker:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
