"""/forget's work: erase everything the bot keeps about one person (issue #11).

What is kept, and where (docs/architecture.md, "Processes"); each store's module
owns its things (keep, read, delete, purge):

- ``jobs.db`` (``JobService``): each job's row - the photo and any uploaded style
  image (``spec``) while it is painted, the result until it is delivered, and the
  record itself; the queue store holds the job's keys while it runs;
- ``bot.db``: settings (``bot.stores.user_settings``), the result cache (Telegram
  file ids of results, ``bot.stores.result_cache``), the private chat's "gone"
  mark (``bot.stores.gone_chats``);
- ``artworks.db`` (``bot.stores.artworks``): the artworks inline mode lists, and
  the files kept with them: ``results/<job>.png``, the full-resolution PNGs, and
  ``timelapse/<job>.zip``, the timelapses' frames;
- ``inbox.db`` (``Inbox``): the updates received in the last day;
- ``ledger.db`` (``bot.stores.ledger``), with fair use on: payments, and which jobs
  used a free or paid painting - no pictures.

``forget`` deletes all of it for one user but the ledger: refunds, disputes and
the day's free count need it, so it stays (what /privacy says).  Otherwise each is kept
``BotConfig.retention_days`` (``LIENZO_RETENTION_DAYS``, what /privacy says):
job records after delivery, artworks and their timelapses and PNGs, cached
file ids after they were made, settings after their owner's last change or
picture, "gone" marks after the chat left, the ledger's spends after they
were made (``bot.app``'s hourly purge; a person who blocked the bot is forgotten
the same way); payments ``PAYMENT_RECORDS_DAYS`` after they were made.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.inbox import Inbox
from bot.jobs import JobService
from bot.stores.artworks import Artworks
from bot.stores.gone_chats import GoneChats
from bot.stores.ledger import PAYMENT_RECORDS_DAYS, Ledger
from bot.stores.result_cache import ResultCache
from bot.stores.user_settings import SettingsStore

SPENDS_AT_LEAST_S = 2 * 86400.0  # the ledger's spends: today's free count, replays


@dataclass(frozen=True)
class Stores:
    """Everything that keeps something about a person."""

    jobs: JobService
    settings: SettingsStore
    results: ResultCache
    gone: GoneChats
    artworks: Artworks
    inbox: Inbox
    ledger: Ledger

    def forget_before(self, when: float) -> None:
        """The retention period: what was made (or last used, or left) before ``when``
        goes - artworks with their PNGs and timelapses, cached file ids, unused
        settings, "gone" marks, the ledger's spends (its payments after
        ``PAYMENT_RECORDS_DAYS``).  Job rows go with the job table's own housekeeping
        (``JobService``'s ``retention``); recorded updates after a day (``bot.inbox``)."""
        self.artworks.purge(when)
        self.results.forget_before(when)
        self.settings.forget_unused_before(when)
        self.gone.forget_before(when)
        # Spends stay two days at least: today's free count and replays need them.
        self.ledger.forget_before(min(when, time.time() - SPENDS_AT_LEAST_S),
                                  time.time() - PAYMENT_RECORDS_DAYS * 86400.0)

    def close(self, *, jobs: bool) -> None:
        """Close every store (``jobs``: the job service too, when it is ours to close)."""
        for store in (self.settings, self.results, self.gone, self.artworks, self.inbox,
                      self.ledger):
            store.close()
        if jobs:
            self.jobs.close()


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` deleted (for the log and the tests)."""

    jobs: int
    artworks: int
    updates: int
    files: int


def forget_now(stores: Stores, user_id: int) -> Forgotten:
    """Erase ``user_id``: jobs first (cancelled, off the queue; the paintings of those
    not started given back), then what points at them (cached results, PNGs,
    timelapses), their artworks, settings and recorded updates."""
    unstarted = stores.jobs.unstarted_of_person(user_id)
    job_ids = stores.jobs.forget_user(user_id)
    for job_id in unstarted:  # cancelled before a worker took them: not paid for
        stores.ledger.give_back(job_id)
    stores.results.forget_jobs(job_ids)
    stores.settings.forget_user(user_id)
    stores.gone.forget_chat(user_id)
    artworks, files = stores.artworks.forget(user_id, job_ids)
    updates = stores.inbox.forget_user(user_id)
    return Forgotten(len(job_ids), artworks, updates, files)


async def forget(stores: Stores, user_id: int) -> Forgotten:
    """``forget_now`` off the event loop (it blocks on SQLite and the queue store)."""
    return await asyncio.to_thread(forget_now, stores, user_id)
