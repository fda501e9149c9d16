"""/forget's work: erase everything the bot keeps about one person (issue #11).

What is kept, and where (docs/architecture.md, "Processes"):

- ``jobs.db`` (``JobService``): each job's row - the photo and any uploaded style
  image (``spec``) while it is painted, the result until it is delivered, and the
  record itself; the queue store holds the job's keys while it runs;
- ``bot.db`` (``BotStore``): settings, the result cache (Telegram file ids of
  results), the private chat's "gone" mark;
- ``artworks.db`` (``Artworks``): the artworks inline mode lists;
- ``inbox.db`` (``Inbox``): the updates received in the last day;
- ``<data dir>/results/<job>.png``: the full-resolution PNGs;
- ``<data dir>/timelapse/<job>.zip`` (``Artworks``): the timelapses' frames.

``forget`` deletes all of it for one user.  Otherwise each is kept
``BotConfig.retention_days`` (``LIENZO_RETENTION_DAYS``, what /privacy says):
job records after delivery, artworks and their timelapses and PNGs, cached
file ids after they were made, settings after their owner's last change or
picture, "gone" marks after the chat left (``bot.app``'s hourly purge; a
person who blocked the bot is forgotten the same way).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from bot.artworks import Artworks
from bot.inbox import Inbox
from bot.jobs import JobService
from bot.store import BotStore


@dataclass(frozen=True)
class Stores:
    """Everything that keeps something about a person."""

    jobs: JobService
    store: BotStore
    artworks: Artworks
    inbox: Inbox
    results_dir: Path


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` deleted (for the log and the tests)."""

    jobs: int
    artworks: int
    updates: int
    files: int


def forget_now(stores: Stores, user_id: int) -> Forgotten:
    """Erase ``user_id``: jobs first (cancelled, off the queue), then what points at
    them (cached results, PNGs, timelapses), their artworks, settings and recorded updates."""
    job_ids = stores.jobs.forget_user(user_id)
    stores.store.forget_user(user_id, job_ids)
    artworks = stores.artworks.forget_user(user_id)
    files = stores.artworks.forget_timelapses(job_ids)
    updates = stores.inbox.forget_user(user_id)
    for job_id in job_ids:
        with contextlib.suppress(FileNotFoundError):
            (stores.results_dir / f"{job_id}.png").unlink()
            files += 1
    return Forgotten(len(job_ids), artworks, updates, files)


async def forget(stores: Stores, user_id: int) -> Forgotten:
    """``forget_now`` off the event loop (it blocks on SQLite and the queue store)."""
    return await asyncio.to_thread(forget_now, stores, user_id)
