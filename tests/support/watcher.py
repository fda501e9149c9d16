"""The job service's watcher on its own asyncio loop in a background thread, and
what its delivery callbacks received: the bot's side of a job without Telegram."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


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

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(60)
        return self.deliveries

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(60)
        self.loop.close()

    def __exit__(self, *exc):
        self.stop()
