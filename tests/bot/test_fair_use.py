"""Fair use's settings and rules on their own (bot/config.py, bot/fair_use.py,
bot/invoices.py): packs read from ``LIENZO_STARS_PACKS``, the invoice payload's
signature, which failures give a painting back, the UTC day, and held jobs queued
as far as a person's paintings go (a real job service on a SQLite queue)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import invoices
from bot.config import BotConfig, StarsPack, free_per_day, stars_packs
from bot.fair_use import (
    CLIP_PAINTINGS,
    PRINT_PAINTINGS,
    THEIRS,
    FairUse,
    today,
    until_tomorrow,
)
from bot.jobs import Cancelling, JobService, JobState
from bot.jobs.errors import UserLimitReached
from bot.metrics import Metrics
from bot.stores.ledger import Ledger
from engine.config import load as load_engine
from engine.errors import InvalidParams
from engine.queue import JobQueue
from tests.support.images import TINY

TOKEN = "123:abc"


def test_packs_are_read_in_order(monkeypatch):
    monkeypatch.setenv("LIENZO_STARS_PACKS", " 10:50, 50:200 ,")
    assert stars_packs() == (StarsPack(10, 50), StarsPack(50, 200))
    monkeypatch.setenv("LIENZO_STARS_PACKS", "")
    assert stars_packs() == ()


@pytest.mark.parametrize("value", ["10", "10:", ":50", "0:50", "10:0", "10:10001", "a:b",
                                   "10:50,10:50", "-1:5"])
def test_bad_packs_are_refused_with_the_setting_named(monkeypatch, value):
    monkeypatch.setenv("LIENZO_STARS_PACKS", value)
    with pytest.raises(InvalidParams, match="LIENZO_STARS_PACKS"):
        stars_packs()


def test_free_per_day_is_zero_or_more(monkeypatch):
    monkeypatch.setenv("LIENZO_FREE_PER_DAY", "3")
    assert free_per_day() == 3
    monkeypatch.setenv("LIENZO_FREE_PER_DAY", "-1")
    with pytest.raises(InvalidParams, match="LIENZO_FREE_PER_DAY"):
        free_per_day()


def test_a_pack_is_on_sale_only_with_fair_use_on(tmp_path, monkeypatch):
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path))
    engine = load_engine()
    packs = (StarsPack(10, 50),)
    on = BotConfig(token=TOKEN, api_url="x", engine=engine, free_per_day=2, stars_packs=packs)
    off = BotConfig(token=TOKEN, api_url="x", engine=engine, stars_packs=packs)
    assert on.pack(10, 50) == StarsPack(10, 50) and on.pack(10, 49) is None
    assert off.pack(10, 50) is None and not off.fair_use


def test_a_payload_reads_back_only_with_its_signature():
    order = invoices.Order(987654321012, StarsPack(50, 10000))
    payload = invoices.payload(TOKEN, order)
    assert len(payload.encode()) <= 128  # the Bot API's limit
    assert invoices.read(TOKEN, payload) == order
    assert invoices.payload(TOKEN, order) != payload  # each invoice its own nonce
    assert invoices.read("456:other", payload) is None  # another bot's
    body, _, signature = payload.rpartition(":")
    changed = body.replace(":50:", ":99:")
    assert invoices.read(TOKEN, f"{changed}:{signature}") is None
    for junk in ("", "v1", "x:y:z", payload + "0", "v2" + payload[2:]):
        assert invoices.read(TOKEN, junk) is None


def test_only_failures_on_our_side_give_the_painting_back():
    assert FairUse.owes_back("failed", "queue_timeout", started=False)
    assert FairUse.owes_back("failed", "worker_lost", started=True)
    assert FairUse.owes_back("failed", "engine_error", started=True)
    assert FairUse.owes_back("failed", None, started=True)
    for code in THEIRS:
        assert not FairUse.owes_back("failed", code, started=True)
    assert FairUse.owes_back("cancelled", None, started=False)  # while queued
    assert not FairUse.owes_back("cancelled", None, started=True)  # it was painting
    assert not FairUse.owes_back("done", None, started=True)
    assert FairUse.owes_back("done", None, started=True, instant=True)  # a sketch: free


def test_the_day_is_utc_and_ends_at_midnight():
    late = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)
    assert today(late) == "2026-12-07"
    assert until_tomorrow(late) == 30 * 60
    assert today(dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC)) == "2026-12-08"


@pytest.fixture
def held_world(tmp_path, monkeypatch, assets):
    """A job service (SQLite queue) with two held jobs of person 7, and a ledger."""
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path))
    service = JobService(JobQueue(f"sqlite:///{tmp_path}/queue.db"), tmp_path / "jobs.db")
    ids = [service.submit(user_id=7, chat_id=7, content=assets.content,
                          styles=["starry_night"], params={"size": TINY}, held=True).job_id
           for _ in range(2)]
    ledger = Ledger(tmp_path / "ledger.db")
    yield service, ledger, ids
    ledger.close()
    service.close()


def fair_use(service, ledger, free_per_day: int) -> FairUse:
    config = BotConfig(token=TOKEN, api_url="x", engine=load_engine(),
                       free_per_day=free_per_day, stars_packs=(StarsPack(2, 10),))
    return FairUse(config, ledger, service, Metrics())


def test_a_print_costs_like_a_clip_and_never_more_than_a_days_free_paintings(held_world):
    """A print is up to LIENZO_PRINT_TIME_LIMIT of a worker: PRINT_PAINTINGS, by the clip's
    rule, so that one can always be printed free one day."""
    service, ledger, _ = held_world
    three = fair_use(service, ledger, free_per_day=3)
    assert (three.cost(False), three.cost(True), three.cost(False, printed=True)) == \
        (1, CLIP_PAINTINGS, PRINT_PAINTINGS) == (1, 3, 3)
    assert fair_use(service, ledger, free_per_day=1).cost(False, printed=True) == 1


@pytest.mark.asyncio
async def test_held_jobs_are_queued_as_far_as_paintings_go(held_world):
    service, ledger, ids = held_world
    assert [j.state for j in service.held(7)] == [JobState.HELD] * 2
    assert service.queue.pending_count() == 0  # held: in no queue
    rules = fair_use(service, ledger, free_per_day=1)
    ledger.spend("earlier", 7, 1, today(), 1)  # today's free one is used
    assert await rules.release_held(7) == []
    ledger.credit("charge", 7, 1, 5)
    released = await rules.release_held(7)
    assert [r.job.id for r in released] == ids[:1]  # oldest first, one painting
    assert service.status(ids[0]).state == JobState.QUEUED
    assert service.status(ids[1]).state == JobState.HELD
    assert service.queue.pending_count() == 1
    assert await rules.release_held(7) == []  # again: nothing more, nothing doubled
    assert ledger.balance(7, today()).paid == 0


@pytest.mark.asyncio
async def test_fair_use_switched_off_releases_every_held_job(held_world):
    service, ledger, ids = held_world
    released = await fair_use(service, ledger, free_per_day=0).release_due()
    assert sorted(r.job.id for r in released) == sorted(ids)
    assert ledger.balance(7, today()).free_used == 0  # nothing counted while off


def test_a_held_job_counts_for_its_person_limit_and_cancels(held_world, assets):
    service, _, ids = held_world
    service.submit(user_id=7, chat_id=7, content=assets.content, styles=["starry_night"],
                   params={"size": TINY})
    with pytest.raises(UserLimitReached):  # two held and one queued: three waiting
        service.submit(user_id=7, chat_id=7, content=assets.content,
                       styles=["starry_night"], params={"size": TINY}, held=True)
    assert service.cancel(ids[0], 7) == Cancelling.CANCELLED
    assert service.status(ids[0]).state == JobState.CANCELLED
    assert service.release(ids[0]) is None  # cancelled: not queued after all


@pytest.mark.asyncio
async def test_a_second_pass_never_gives_back_a_released_job(held_world):
    """The payment's release and the minute's release look at the same held job: the
    one that finds it released already leaves its painting spent."""
    service, ledger, ids = held_world
    ledger.credit("charge", 7, 2, 10)
    rules = fair_use(service, ledger, free_per_day=1)
    ledger.spend("earlier", 7, 1, today(), 1)
    stale = service.held(7)  # what a second pass read before the first released them
    assert len(await rules.release_held(7)) == 2
    for job in stale:  # the second pass, late: found spent, not held any more
        assert (await rules.spend(job.id, 7, 1, refusal_counts=False)).new is False
        assert await service.arelease(job.id) is None
        await rules._settle(job.id)
    assert ledger.balance(7, today()).paid == 0  # both still paid for


@pytest.mark.asyncio
async def test_a_full_queue_keeps_a_photo_held_with_its_painting_back(held_world, tmp_path):
    service, ledger, ids = held_world
    service.queue_cap = 0
    rules = fair_use(service, ledger, free_per_day=5)
    assert await rules.release_held(7) == []
    assert [j.state for j in service.held(7)] == [JobState.HELD] * 2
    assert ledger.balance(7, today()).free_used == 0  # given back, tried again later


@pytest.mark.asyncio
async def test_a_replay_after_paying_releases_the_held_job_it_finds(held_world):
    """The update of a held photo handled again after its person paid: intake spends
    (new) and finds the job held: adopted, it is queued on that spend."""
    service, ledger, ids = held_world
    rules = fair_use(service, ledger, free_per_day=1)
    spend = await rules.spend(ids[0], 7, 1)
    assert spend is not None and spend.new
    await rules.adopt(ids[0])
    assert service.status(ids[0]).state == JobState.QUEUED
    service.cancel(ids[1], 7)
    ledger.credit("charge", 7, 1, 5)
    assert (await rules.spend(ids[1], 7, 1)).paid
    await rules.adopt(ids[1])  # cancelled while held: the new spend goes back
    assert ledger.balance(7, today()).paid == 1
