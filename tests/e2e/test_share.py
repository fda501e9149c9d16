"""Share and keep (issue #11), end to end: inline mode lists a person's own
artworks, the Share button shares one, against the fake Bot API with inline
mode on and a real engine worker (tests.support.bot_harness)."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from bot.stores.artworks import Artwork, Artworks
from bot.texts import t
from tests.support.bot_harness import JOB_S, artwork, lienzo_bot, metric
from tests.support.fake_telegram import FakeTelegram

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def inline_telegram():
    async with FakeTelegram(bot_username="LienzoBot", inline=True, inline_feedback=True) as tg:
        yield tg


async def test_inline_mode_lists_only_my_artworks_and_share_sends_one(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = inline_telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, bob = tg.user(1201, "Ana"), tg.user(1202, "Bob", language_code="es")
        sent = await ana.send_photo(ana.chat, assets.photo(70), caption="/style starry_night")
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        job_id = next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]
        await bot.kept(job_id)

        mine = await ana.inline_query("")
        answer = await mine.answered()
        assert answer["is_personal"] and answer["cache_time"] <= 60
        assert [r["id"] for r in mine.results] == [job_id]
        assert mine.results[0]["photo_file_id"] == art["photo"][-1]["file_id"]

        for query in ("starry", "NOCHE", "starry_night"):  # id, English and Spanish names
            found = await ana.inline_query(query)
            await found.answered()
            assert [r["id"] for r in found.results] == [job_id], query
        other = await ana.inline_query("scream")
        await other.answered()
        assert other.results == []

        theirs = await bob.inline_query("")  # Bob has none, and never sees Ana's
        answer = await theirs.answered()
        assert theirs.results == [] and answer["button"]["start_parameter"] == "inline"
        assert answer["button"]["text"] == t("es", "button.inline_empty")

        group = tg.group("Friends", privacy=True, members=[ana, bob])
        share = await ana.press_switch_inline(art, t("en", "button.share"), chat=group)
        assert share.query == job_id
        await share.answered()
        assert [r["id"] for r in share.results] == [job_id]
        posted = await share.choose(job_id)
        assert posted.chat is group and posted["via_bot"]["username"] == "LienzoBot"
        assert "Starry Night" in posted.caption
        link = "https://t.me/LienzoBot?start=s_starry_night"
        assert any(e.get("url") == link for e in art.entities)  # the artwork's caption…
        assert any(e.get("url") == link for e in posted.entities)  # …and the shared one's

        # The link brings Bob to the bot with that style chosen; blends and bad links too.
        welcome = await bob.open_deep_link(link)
        reply = await tg.wait_for_message(bob.chat, after=welcome)
        assert "La noche estrellada" in reply.text  # Bob reads Spanish
        blend = await bob.open_deep_link("https://t.me/LienzoBot?start=s_great_wave-the_scream")
        reply = await tg.wait_for_message(bob.chat, after=blend)
        assert "gran ola" in reply.text and "grito" in reply.text
        bad = await bob.open_deep_link("https://t.me/LienzoBot?start=s_nope")
        reply = await tg.wait_for_message(bob.chat, after=bad)
        assert reply.text.startswith("👋 ¡Hola, Bob!") and "elegido" not in reply.text
        deadline = time.monotonic() + 60
        while await metric(bot, "lienzo_shares_total") != 1.0:
            assert time.monotonic() < deadline, "the share was not counted"
            await asyncio.sleep(0.1)
        assert await metric(bot, "lienzo_inline_queries_total") == 7.0  # every query above


async def test_a_photo_someone_else_painted_is_painted_for_me(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    """The result cache is per person: Bob sending the photo Ana had painted (the
    same Telegram file) gets an artwork of his own, which his Share finds."""
    tg = inline_telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, bob = tg.user(1204, "Ana"), tg.user(1205, "Bob")
        sent = await ana.send_photo(ana.chat, assets.photo(71), caption="/style great_wave")
        hers = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        again = await ana.send_photo(ana.chat, assets.photo(71), caption="/style great_wave")
        cached = await tg.wait_for_message(ana.chat, artwork, after=again)
        assert job_of(cached) == job_of(hers)  # her own repeat: from the cache

        sent = await bob.send_photo(bob.chat, assets.photo(71), caption="/style great_wave")
        his = await tg.wait_for_message(bob.chat, artwork, timeout=JOB_S, after=sent)
        assert job_of(his) != job_of(hers)
        assert [j.id for j in bot.jobs.user_jobs(bob.id, active_only=False)] == [job_of(his)]
        await bot.kept(job_of(his))
        share = await bob.press_switch_inline(his, t("en", "button.share"))
        assert share.query == job_of(his)
        await share.answered()
        assert [r["id"] for r in share.results] == [job_of(his)]


def job_of(art) -> str:
    """The job id a result's buttons carry."""
    return next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]


async def test_inline_results_page_past_fifty(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = inline_telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        eva = tg.user(1203, "Eva")
        store = Artworks(bot.config.data_dir / "artworks.db")  # the bot's own store
        now = time.time()
        for i in range(60):
            photo = tg._store_photo(assets.photo(i), source="bot")[-1]
            store.add(Artwork(eva.id, f"job{i:03d}", photo.file_id, "photo", ("great_wave",),
                              now - i), ["great_wave"])
        store.close()
        first = await eva.inline_query("wave")
        answer = await first.answered()
        assert len(first.results) == 50 and answer["next_offset"] == "50"
        assert first.results[0]["id"] == "job000"  # newest first
        rest = await first.next_page()
        answer = await rest.answered()
        assert [r["id"] for r in rest.results] == [f"job{i:03d}" for i in range(50, 60)]
        assert not answer.get("next_offset")
