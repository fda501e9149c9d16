"""Shared fixtures: tiny images, a real redis-server on a free port, engine worker
processes, and a job watcher running on its own asyncio loop.

Nothing here mocks huey or Redis.  Waiting is always on a condition with a
deadline (``wait_for``), never a bare sleep.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
# As ``lienzo bot`` runs PTB (bot.app.main): time periods as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")
TINY = 64  # px: every test image and job is TINY×TINY, so a worker compiles once


# --------------------------------------------------------------------------- helpers


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {message or predicate}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg(image: np.ndarray, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, fmt)
    return buf.getvalue()


def tiny_image(seed: int, size: int = TINY) -> np.ndarray:
    """A smooth random picture (gradients plus blobs): compresses like a photo."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(-1, 1, 3)
        channels.append(np.sin(3 * a * xx + 4 * b * yy + c) * 0.5 + 0.5)
    image = np.stack(channels, -1) * 255 + rng.normal(0, 8, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Assets:
    styles_dir: Path
    content: bytes  # a TINY×TINY JPEG
    custom_style: bytes  # the user's own painting, TINY×TINY

    def photo(self, seed: int) -> bytes:
        return jpeg(tiny_image(seed))


@pytest.fixture(scope="session")
def assets(tmp_path_factory) -> Assets:
    styles = tmp_path_factory.mktemp("styles")
    for i, style_id in enumerate(("starry_night", "the_scream", "great_wave")):
        (styles / f"{style_id}.jpg").write_bytes(jpeg(tiny_image(100 + i)))
    return Assets(styles, jpeg(tiny_image(1)), jpeg(tiny_image(2)))


def engine_env(assets: Assets, data_dir: Path, **extra) -> dict:
    """Environment for a worker process: random weights, tiny styles, no network."""
    env = dict(os.environ)
    env.update(
        LIENZO_VGG19_WEIGHTS="random",
        LIENZO_STYLES_DIR=str(assets.styles_dir),
        LIENZO_DATA_DIR=str(data_dir),
        LIENZO_JOB_TIME_LIMIT="120",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("LIENZO_QUEUE_URL", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


WORKER_ARGS = ["--warmup-size", str(TINY), "--poll", "0.05", "--preview-interval", "0.3"]


# --------------------------------------------------------------------------- redis


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 without persistence."""

    def __init__(self, workdir: Path):
        self.exe = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def up():
            assert self.process.poll() is None, "redis-server exited at start-up"
            try:
                return client.ping()
            except redis.exceptions.ConnectionError:
                return False

        wait_for(up, 20, message="redis-server to answer PING")
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port: without persistence, all data is gone."""
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed; `make test` installs it "
                    "(apt-get install -y redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- the watcher


@dataclass
class Deliveries:
    """What the delivery callbacks received, in order (thread-safe)."""

    progress: list = field(default_factory=list)  # (job_id, record, preview)
    results: list = field(default_factory=list)  # (job_id, outcome)
    fail_next: dict = field(default_factory=dict)  # job_id → number of failures to fake
    lock: threading.Lock = field(default_factory=threading.Lock)

    def results_for(self, job_id: str) -> list:
        with self.lock:
            return [o for j, o in self.results if j == job_id]

    def outcome(self, job_id: str):
        found = self.results_for(job_id)
        return found[0] if found else None

    def progress_for(self, job_id: str) -> list:
        with self.lock:
            return [(r, p) for j, r, p in self.progress if j == job_id]

    def delivered_ids(self) -> list[str]:
        with self.lock:
            return [j for j, _ in self.results]


class Watcher:
    """``JobService.start`` on an asyncio loop in a background thread."""

    def __init__(self, service, deliveries: Deliveries | None = None):
        self.service = service
        self.deliveries = deliveries or Deliveries()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _on_progress(self, job, record, preview):
        with self.deliveries.lock:
            self.deliveries.progress.append((job.id, record, preview))

    async def _on_result(self, job, outcome):
        with self.deliveries.lock:
            left = self.deliveries.fail_next.get(job.id, 0)
            if left:
                self.deliveries.fail_next[job.id] = left - 1
                raise ConnectionError("Telegram is down (test)")
            self.deliveries.results.append((job.id, outcome))

    def __enter__(self) -> Deliveries:
        self.thread.start()

        async def start():
            self.service.start(self._on_progress, self._on_result)

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return self.deliveries

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------- workers


def worker_ready(queue, names, since: float = 0.0) -> bool:
    """Every named worker has a fresh heartbeat saying it is idle or busy."""
    try:
        beats = queue.workers()
    except Exception:
        return False
    return all(n in beats and beats[n].get("state") in ("idle", "busy")
               and beats[n]["ts"] >= since for n in names)


def python() -> str:
    return sys.executable


# The bot under test and its engine worker (tests.bot_harness), for every test module.
from tests.bot_harness import engine_worker, telegram  # noqa: E402, F401
