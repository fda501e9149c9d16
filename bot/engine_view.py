"""What the bot knows of the engine workers: whether they have a GPU, hence what
they paint by default (docs/architecture.md, "Settings").

The bot has no GPU of its own; each worker's heartbeat says what it runs on.
``defaults()`` is the one place the bot derives the machine defaults (the cap
on the output's side, the default size and quality) - the workers apply the
same ones themselves, from their own machine.
"""

from __future__ import annotations

import asyncio
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

    async def refresh(self) -> None:
        """Read the workers' heartbeats again; with none alive, the last view stays."""
        self._workers = await asyncio.to_thread(self.jobs.workers) or self._workers

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
