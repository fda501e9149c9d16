"""What the bot knows of the engine workers: whether any is alive, and whether
they have a GPU, hence what they paint by default (docs/architecture.md,
"Settings").

The painter is *offline* when no worker's heartbeat has been seen for
``LIENZO_WORKER_OFFLINE_AFTER`` seconds (counting from the bot's start, so
workers still loading are given that long): new photos are then told so
rather than "queued" as if all were well.

The bot has no GPU of its own; each worker's heartbeat says what it runs on.
``defaults()`` is the one place the bot derives the machine defaults (the cap
on the output's side, the default size and quality) - the workers apply the
same ones themselves, from their own machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from bot.config import BotConfig
from bot.jobs import JobService
from engine.config import MachineDefaults, is_gpu
from engine.queue import Heartbeat


class EngineView:
    def __init__(self, config: BotConfig, jobs: JobService) -> None:
        self.config = config
        self.jobs = jobs
        self._workers: Mapping[str, Heartbeat] = {}
        self._since = time.time()  # the last heartbeat seen, or the bot's start

    async def refresh(self) -> None:
        """Read the workers' heartbeats again; with none alive, the last view stays."""
        found = await asyncio.to_thread(self.jobs.workers, self.config.worker_offline_after_s)
        if found:
            self._workers = found
            self._since = max(self._since, *(w["ts"] for w in found.values()))

    @property
    def offline(self) -> bool:
        return time.time() - self._since > self.config.worker_offline_after_s

    @property
    def silent_for(self) -> float:
        """Seconds since the last heartbeat seen (or since the bot started)."""
        return max(0.0, time.time() - self._since)

    @property
    def has_gpu(self) -> bool:
        return any(is_gpu(w["device"]) for w in self._workers.values())

    def defaults(self) -> MachineDefaults:
        """The workers' defaults: their machine's, with the deployment's overrides."""
        return self.config.defaults_for(self.has_gpu)

    @property
    def max_side(self) -> int:
        """The cap on the output's long side, whatever the user asks."""
        return self.defaults().max_side
