"""Real engine worker processes for the tests: their assets (tiny catalogue styles),
their environment (random VGG19 weights, no network) and their readiness."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from bot.local_workers import LocalWorkers
from engine.queue import JobQueue
from tests.support.images import TINY, jpeg, tiny_image
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
SIDE = 48  # the bot tests' worker's LIENZO_MAX_SIDE: every artwork is 48 px on its long side


@dataclass(frozen=True)
class Assets:
    styles_dir: Path
    content: bytes  # a TINY×TINY JPEG
    custom_style: bytes  # the user's own painting, TINY×TINY

    def photo(self, seed: int) -> bytes:
        return jpeg(tiny_image(seed))


def engine_env(assets: Assets, data_dir: Path, **extra: object) -> dict[str, str]:
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


def worker_ready(queue: JobQueue, names: list[str], since: float = 0.0) -> bool:
    """Every named worker has a fresh heartbeat saying it is idle or busy."""
    try:
        beats = queue.workers()
    except Exception:
        return False
    return all(n in beats and beats[n].get("state") in ("idle", "busy")
               and beats[n]["ts"] >= since for n in names)


@contextlib.contextmanager
def running_worker(root, assets, name_prefix: str, *extra_args: str, **variables: object):
    """One real engine worker (random weights, ``SIDE`` px, ``fast``) on a SQLite queue
    in ``root``, ready; yields (queue url, queue).  ``variables``: more of its environment
    (``LIENZO_PRINT_SIDE=192``)."""
    url = f"sqlite:///{root}/queue.db"
    queue = JobQueue(url)
    log = open(root / "worker.log", "ab")  # noqa: SIM115 - the worker writes to it until the end
    env = engine_env(assets, root / "worker-data", **{"LIENZO_MAX_SIDE": SIDE,
                                                      "LIENZO_DEFAULT_QUALITY": "fast",
                                                      **variables})
    workers = LocalWorkers(1, queue_url=url, env=env, output=log, name_prefix=name_prefix,
                           extra_args=["--warmup-size", str(SIDE), "--poll", "0.05",
                                       *extra_args])
    workers.start()
    try:
        wait_for(lambda: worker_ready(queue, workers.names), 240, interval=0.2,
                 message="the engine worker to be ready")
        yield url, queue
    finally:
        workers.stop()
        log.close()
        queue.close()
