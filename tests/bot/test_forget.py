"""/forget's work and the retention period (bot/forget.py) over real stores: one
person's jobs, cached results, settings, "gone" mark, artworks with their files
and recorded updates go; another's stay.  The payments ledger stays: refunds,
disputes and the day's free count need it."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from bot import jobs
from bot.forget import Forgotten, Stores, forget_now
from bot.inbox import Inbox
from bot.stores.artworks import Artwork, Artworks
from bot.stores.gone_chats import GoneChats
from bot.stores.ledger import Balance, Ledger
from bot.stores.result_cache import CachedResult, ResultCache
from bot.stores.user_settings import SettingsStore, UserSettings
from engine import queue as q
from tests.support.images import TINY

ANA, BOB = 7, 8
DAY = "2026-12-07"


@pytest.fixture
def stores(tmp_path):
    data = tmp_path / "data"
    found = Stores(jobs.JobService(q.JobQueue(f"sqlite:///{tmp_path}/queue.db"),
                                   data / "jobs.db"),
                   SettingsStore(data / "bot.db"), ResultCache(data / "bot.db"),
                   GoneChats(data / "bot.db"), Artworks(data / "artworks.db"),
                   Inbox(data / "inbox.db"), Ledger(data / "ledger.db"))
    yield found
    found.close(jobs=True)


def keep_everything(stores: Stores, assets, user_id: int) -> str:
    job_id = stores.jobs.submit(user_id=user_id, chat_id=user_id, content=assets.content,
                                styles=["starry_night"], params={"size": TINY}).job_id
    stores.results.remember(f"key{user_id}", CachedResult(job_id, "f", False, ""))
    stores.settings.save(user_id, UserSettings(strength="high"))
    stores.gone.mark(user_id, True)
    stores.artworks.add(Artwork(user_id, job_id, "f", "photo", (), time.time()), ["own"])
    stores.artworks.full_size.keep(job_id, b"png")
    stores.artworks.timelapses.keep_frames(job_id, [b"a"])
    stores.inbox.record([{"update_id": user_id, "message": {"from": {"id": user_id}}}])
    stores.ledger.credit(f"charge{user_id}", user_id, 10, 50)
    stores.ledger.spend(job_id, user_id, 1, DAY, free_per_day=1)
    return job_id


def test_forget_erases_one_person_in_every_store(stores, assets):
    ana_job, bob_job = keep_everything(stores, assets, ANA), keep_everything(stores, assets, BOB)
    assert forget_now(stores, ANA) == Forgotten(jobs=1, artworks=1, updates=1, files=2)
    assert stores.jobs.status(ana_job) is None and stores.results.get(f"key{ANA}") is None
    assert stores.settings.settings(ANA) == UserSettings() and stores.gone.all() == {BOB}
    assert stores.artworks.of_user(ANA) == [] and stores.artworks.full_size.read(ana_job) is None
    assert stores.jobs.status(bob_job) is not None and stores.results.get(f"key{BOB}")
    assert stores.artworks.full_size.read(bob_job) and stores.artworks.timelapses.frames(bob_job)
    assert [u["update_id"] for u in stores.inbox.unfinished()] == [BOB]
    # kept: the payment and the balance; the free painting of her job, which never
    # started, is given back
    assert stores.ledger.purchase(f"charge{ANA}") is not None
    assert stores.ledger.balance(ANA, DAY) == Balance(free_used=0, paid=10)


def test_forget_gives_back_the_paintings_of_jobs_not_started(stores, assets):
    queued = stores.jobs.submit(user_id=ANA, chat_id=ANA, content=assets.content,
                                styles=["starry_night"], params={"size": TINY}).job_id
    stores.ledger.credit("charge", ANA, 1, 5)
    stores.ledger.spend(queued, ANA, 1, DAY, free_per_day=1)
    stores.ledger.spend("other", ANA, 1, DAY, free_per_day=1)  # a painted job's: stays
    forget_now(stores, ANA)
    assert stores.ledger.balance(ANA, DAY) == Balance(free_used=0, paid=0)


def test_the_retention_period_forgets_the_old(stores, assets, tmp_path):
    job_id = keep_everything(stores, assets, ANA)
    long_ago = time.time() - 365 * 86400
    for path in (stores.artworks.full_size.path(job_id), stores.artworks.timelapses.path(job_id)):
        os.utime(path, (long_ago, long_ago))
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        db.execute("update user_settings set used_at = ?", (long_ago,))
        db.execute("update result_cache set created_at = ?", (long_ago,))
        db.execute("update gone_chats set since = ?", (long_ago,))
    with sqlite3.connect(tmp_path / "data" / "artworks.db") as db:
        db.execute("update artworks set created_at = ?", (long_ago,))
    with sqlite3.connect(tmp_path / "data" / "ledger.db") as db:
        db.execute("update spends set spent_at = ?", (long_ago,))
    stores.forget_before(time.time() - 86400)
    assert stores.artworks.of_user(ANA) == [] and stores.artworks.full_size.read(job_id) is None
    assert stores.artworks.timelapses.frames(job_id) is None
    assert stores.results.get(f"key{ANA}") is None and stores.gone.all() == set()
    assert stores.settings.settings(ANA) == UserSettings()
    assert stores.jobs.status(job_id) is not None  # job rows: the job table's housekeeping
    assert stores.ledger.balance(ANA, DAY).free_used == 0  # the spend went with the time
    assert stores.ledger.balance(ANA, DAY).paid == 10  # the balance stays
    assert stores.ledger.purchase(f"charge{ANA}") is not None  # payments: a year
