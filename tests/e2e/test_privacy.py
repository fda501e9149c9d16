"""/privacy and /forget (issue #11), end to end against the fake Bot API with a real
engine worker (tests.support.bot_harness): after "Yes, forget me" no table of any database
has a row about the person, their PNGs and queue keys are gone, inline mode lists
nothing for them at once - and another person's artworks are untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_asyncio

from bot.texts import t
from tests.support.bot_harness import JOB_S, artwork, lienzo_bot
from tests.support.fake_telegram import FakeTelegram

pytestmark = pytest.mark.asyncio

ANA_ID, BOB_ID = 9100000001, 9100000002  # distinctive: found in a row only if it is theirs


@pytest_asyncio.fixture
async def inline_telegram():
    async with FakeTelegram(bot_username="LienzoBot", inline=True) as tg:
        yield tg


def job_of(art) -> str:
    return next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]


def mentions(value: object, user_id: int) -> bool:
    if isinstance(value, int):
        return value == user_id
    if isinstance(value, str):
        return str(user_id) in value
    if isinstance(value, bytes):
        return str(user_id).encode() in value
    return False


def rows_about(db_path: Path, user_id: int, job_ids: set[str]) -> dict[str, list[tuple]]:
    """Every row, in every table of the database, naming ``user_id`` or one of ``job_ids``."""
    found: dict[str, list[tuple]] = {}
    with sqlite3.connect(db_path) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            hits = [row for row in db.execute(f"select * from {table}")  # noqa: S608
                    if any(mentions(v, user_id) or (isinstance(v, str) and v in job_ids)
                           for v in row)]
            if hits:
                found[table] = hits
    return found


def databases(bot, jobs_db: Path) -> dict[str, Path]:
    data = bot.config.data_dir
    return {"jobs": jobs_db, "bot": data / "bot.db", "artworks": data / "artworks.db",
            "inbox": data / "inbox.db"}


async def test_forget_erases_everything_about_that_user_only(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = inline_telegram
    _, queue = engine_worker
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, bob = tg.user(ANA_ID, "Ana"), tg.user(BOB_ID, "Bob")

        # Ana: a painting in a catalogue style, one in her own painting, a setting.
        sent = await ana.send_photo(ana.chat, assets.photo(81), caption="/style great_wave")
        first = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        album = await ana.send_album(ana.chat, [assets.photo(82), assets.custom_style])
        second = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=album[-1])
        settings = await ana.send_text(ana.chat, "/settings")
        panel = await tg.wait_for_message(ana.chat, after=settings)
        await ana.press(panel, "s:strength")
        await tg.wait_for(lambda _: "s:strength:high" in panel.callback_data,
                          message="the strength picker")
        await (await ana.press(panel, "s:strength:high")).answered()
        # Bob: one painting, which must survive.
        sent = await bob.send_photo(bob.chat, assets.photo(83), caption="/style great_wave")
        bobs = await tg.wait_for_message(bob.chat, artwork, timeout=JOB_S, after=sent)

        ana_jobs = {job_of(first), job_of(second)}
        bob_job = job_of(bobs)
        results = bot.config.data_dir / "results"  # bot.stores.artworks: the PNGs
        for job_id in (*ana_jobs, bob_job):
            assert (results / f"{job_id}.png").exists()
        await bot.kept(*ana_jobs, bob_job)
        dbs = databases(bot, tmp_path / "jobs.db")  # the harness's job table
        assert rows_about(dbs["artworks"], ANA_ID, ana_jobs)  # kept until /forget
        assert rows_about(dbs["bot"], ANA_ID, ana_jobs)["user_settings"]
        assert rows_about(dbs["jobs"], ANA_ID, ana_jobs)["jobs"]
        assert rows_about(dbs["inbox"], ANA_ID, ana_jobs)["inbox"]

        # /forget asks first; Bob cannot press Ana's button; Cancel deletes nothing.
        ask = await ana.send_text(ana.chat, "/forget")
        confirm = await tg.wait_for_message(ana.chat, after=ask)
        assert confirm.callback_data == [f"fy:{ANA_ID}", f"fn:{ANA_ID}"]
        intruder = await bob.press(confirm, f"fy:{ANA_ID}")
        alert = await intruder.answered()
        assert alert.get("show_alert") and alert["text"] == t("en", "alert.not_yours")
        await (await ana.press(confirm, f"fn:{ANA_ID}")).answered()
        await tg.wait_for(lambda _: confirm.text == t("en", "forget.kept"), timeout=60,
                          message="the confirmation to say nothing was deleted")
        mine = await ana.inline_query("")
        await mine.answered()
        assert sorted(r["id"] for r in mine.results) == sorted(ana_jobs)
        for name, path in dbs.items():
            if name != "inbox":
                assert rows_about(path, ANA_ID, ana_jobs), name

        # Yes: everything goes.
        ask = await ana.send_text(ana.chat, "/forget")
        confirm = await tg.wait_for_message(ana.chat, after=ask)
        await (await ana.press(confirm, f"fy:{ANA_ID}")).answered()
        await tg.wait_for(lambda _: confirm.text == t("en", "forget.done"), timeout=60,
                          message="the confirmation to say everything was forgotten")
        assert confirm.text == "Done — I've forgotten everything about you."
        assert not confirm.callback_data
        for name, path in dbs.items():
            assert rows_about(path, ANA_ID, ana_jobs) == {}, name
        for job_id in ana_jobs:
            assert not (results / f"{job_id}.png").exists()
            assert queue.reports([job_id]) == {} and queue.get_spec(job_id) is None
        with sqlite3.connect(dbs["bot"]) as db:
            assert db.execute("select count(*) from result_cache where job_id in (?, ?)",
                              tuple(ana_jobs)).fetchone()[0] == 0

        # Inline mode forgets her artworks at once; Bob's is untouched.
        mine = await ana.inline_query("")
        await mine.answered()
        assert mine.results == []
        theirs = await bob.inline_query("")
        await theirs.answered()
        assert [r["id"] for r in theirs.results] == [bob_job]
        assert (results / f"{bob_job}.png").exists()
        assert rows_about(dbs["jobs"], BOB_ID, {bob_job})["jobs"]
        assert bot.jobs.status(bob_job) is not None
        # A fresh start: her settings are the defaults again.
        settings = await ana.send_text(ana.chat, "/settings")
        panel = await tg.wait_for_message(ana.chat, after=settings)
        assert t("en", "value.strength.high") not in panel.text


async def test_privacy_and_forget_in_a_group(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        assert [c["command"] for c in telegram.commands("")][-2:] == ["privacy", "forget"]
        ana = telegram.user(1301, "Ana", language_code="es")
        asked = await ana.send_text(ana.chat, "/privacy")
        said = await telegram.wait_for_message(ana.chat, after=asked)
        assert said.text.startswith("🔒") and "30" in said.text and "/forget" in said.text
        group = telegram.group("Friends", members=[ana])
        asked = await ana.send_text(group, "/forget@LienzoBot")
        said = await telegram.wait_for_message(group, after=asked)
        assert "/forget" in said.text and not said.callback_data
        help_ = await ana.send_text(ana.chat, "/help")
        assert "/privacy" in (await telegram.wait_for_message(ana.chat, after=help_)).text


async def test_the_retention_period_forgets_the_old_and_keeps_the_new(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    """LIENZO_RETENTION_DAYS, end to end: the bot's purge (on start, then hourly) drops
    what is older than the period - artworks with their timelapses, PNGs, cached file
    ids, settings not used since, a blocked chat's mark - and keeps the rest."""
    import os
    import time

    from bot.stores.artworks import Artwork, Artworks
    from bot.stores.gone_chats import GoneChats
    from bot.stores.result_cache import CachedResult, ResultCache
    from bot.stores.user_settings import SettingsStore, UserSettings

    tg, data_dir = inline_telegram, tmp_path / "bot-data"
    now, old = time.time(), time.time() - 3 * 86400  # kept 2 days: "old" is 3 days ago
    artworks = Artworks(data_dir / "artworks.db")
    cache, settings = ResultCache(data_dir / "bot.db"), SettingsStore(data_dir / "bot.db")
    gone = GoneChats(data_dir / "bot.db")
    results = data_dir / "results"
    for job_id, when in (("oldjob", old), ("newjob", now)):
        photo = tg._store_photo(assets.photo(120 if job_id == "oldjob" else 121),
                                source="bot")[-1]
        artworks.add(Artwork(ANA_ID, job_id, photo.file_id, "photo", ("great_wave",), when),
                     ["great_wave"])
        artworks.timelapses.keep_frames(job_id, [b"frame"])
        os.utime(data_dir / "timelapse" / f"{job_id}.zip", (when, when))
        artworks.full_size.keep(job_id, b"png")
        os.utime(results / f"{job_id}.png", (when, when))
        cache.remember(f"key-{job_id}", CachedResult(job_id, photo.file_id, False, ""))
    for user_id in (ANA_ID, BOB_ID):
        settings.save(user_id, UserSettings(strength="high"))
    gone.mark(BOB_ID, True)
    for store in (artworks, cache, settings, gone):
        store.close()
    with sqlite3.connect(data_dir / "bot.db") as db:  # made 3 days ago
        db.execute("update result_cache set created_at = ? where job_id = 'oldjob'", (old,))
        db.execute("update user_settings set used_at = ? where user_id = ?", (old, BOB_ID))
        db.execute("update gone_chats set since = ?", (old,))

    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_RETENTION_DAYS="2"):
        await tg.wait_for(lambda _: not (results / "oldjob.png").exists(), timeout=30,
                          message="the purge at start-up")
        ana = tg.user(ANA_ID, "Ana")
        listed = await ana.inline_query("")
        await listed.answered()
        assert [r["id"] for r in listed.results] == ["newjob"]
    assert (results / "newjob.png").exists()
    assert sorted(p.name for p in (data_dir / "timelapse").iterdir()) == ["newjob.zip"]
    with sqlite3.connect(data_dir / "bot.db") as db:
        assert db.execute("select job_id from result_cache").fetchall() == [("newjob",)]
        assert db.execute("select user_id from user_settings").fetchall() == [(ANA_ID,)]
        assert db.execute("select count(*) from gone_chats").fetchone() == (0,)
