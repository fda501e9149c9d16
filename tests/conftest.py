"""Shared fixtures: tiny images, a real redis-server on a free port, engine worker
processes, and a job watcher running on its own asyncio loop.

Nothing here mocks huey or Redis.  Waiting is always on a condition with a
deadline (``wait_for``), never a bare sleep.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.images import TINY, jpeg, tiny_image
from tests.support.redis_server import RedisServer
from tests.support.waiting import free_port, wait_for  # noqa: F401 - re-exported to tests/*.py

REPO = Path(__file__).resolve().parents[1]
# As ``lienzo bot`` runs PTB (bot.app.main): time periods as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")


# --------------------------------------------------------------------------- helpers
# wait_for, free_port, TINY, jpeg, tiny_image and RedisServer live in tests/support/
# (the benchmarks use them too); they are imported here for the fixtures and for the
# test modules that import them from tests.conftest.


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
