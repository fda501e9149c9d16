"""/gallery (issue #11): the person's own artworks, paged, each with ways to paint it
again and to delete it - against the fake Bot API with a real engine worker
(tests.support.bot_harness).  Most artworks are rows added to the bot's store directly;
one is painted, to see "New seed" paint a different picture."""

from __future__ import annotations

import re
import time
import uuid

import numpy as np
import pytest
import pytest_asyncio

from bot import callback_data as data
from bot.stores.artworks import Artwork, Artworks
from bot.texts import t
from tests.support.bot_harness import JOB_S, artwork, lienzo_bot, metric
from tests.support.fake_telegram import FakeTelegram

PATTERNS = {name: value for name, value in vars(data).items() if isinstance(value, re.Pattern)}
JOB = uuid.uuid4().hex


@pytest_asyncio.fixture
async def inline_telegram():
    async with FakeTelegram(bot_username="LienzoBot", inline=True) as tg:
        yield tg


def add_artworks(bot, tg, assets, user_id: int, count: int, *, documents=()) -> list[str]:
    """``count`` artworks of ``user_id`` in the bot's own store, newest first (their job
    ids); those at the indices in ``documents`` were delivered as files."""
    store = Artworks(bot.config.data_dir / "artworks.db")
    now, ids = time.time(), []
    for i in range(count):
        if i in documents:
            file_id = tg._store_document(assets.photo(100 + i), "art.png", "image/png",
                                         "bot").file_id
        else:
            file_id = tg._store_photo(assets.photo(100 + i), source="bot")[-1].file_id
        job_id = f"job{user_id}x{i}"
        store.add(Artwork(user_id, job_id, file_id, "document" if i in documents else "photo",
                          ("great_wave",), now - i),
                  ["great_wave"])
        ids.append(job_id)
    store.close()
    return ids


def file_id(message) -> str:
    return message["document"]["file_id"] if message.get("document") else \
        message["photo"][-1]["file_id"]


async def caption_becomes(tg, message, text: str) -> None:
    await tg.wait_for(lambda _: text in (message.caption or ""), 10,
                      f"the gallery to say {text!r}")


# --------------------------------------------------------------------------- the codec


# --------------------------------------------------------------------------- the bot


@pytest.mark.asyncio
async def test_gallery_pages_forward_and_back_and_wraps(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(1301, "Ana")
        jobs = add_artworks(bot, tg, assets, ana.id, 3, documents={2})
        add_artworks(bot, tg, assets, 1302, 2)  # someone else's: never shown to Ana

        sent = await ana.send_text(ana.chat, "/gallery")
        page = await tg.wait_for_message(ana.chat, after=sent)
        assert page.photo and page.caption.startswith("🖼 1 of 3 — The Great Wave")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        assert page.caption.endswith(today)
        assert page.callback_data == [
            data.artworks_page(2), data.artworks_page(1), data.result("other", jobs[0]),
            data.result("less", jobs[0]), data.result("more", jobs[0]),
            data.result("seed", jobs[0]), data.artworks_delete(jobs[0], 0),
            data.result("print", jobs[0])]
        first = file_id(page)

        await (await ana.press(page, text=t("en", "button.next"))).answered()
        await caption_becomes(tg, page, "2 of 3")
        assert page.photo and file_id(page) != first
        assert data.artworks_delete(jobs[1], 1) in page.callback_data
        await (await ana.press(page, text=t("en", "button.next"))).answered()
        await caption_becomes(tg, page, "3 of 3")  # delivered as a file: now a document
        assert page.get("document") and not page.photo
        assert data.result("seed", jobs[2]) in page.callback_data
        await (await ana.press(page, text=t("en", "button.next"))).answered()  # wraps
        await caption_becomes(tg, page, "1 of 3")
        assert page.photo and file_id(page) == first
        await (await ana.press(page, text=t("en", "button.prev"))).answered()  # wraps back
        await caption_becomes(tg, page, "3 of 3")
        await (await ana.press(page, text=t("en", "button.prev"))).answered()
        await caption_becomes(tg, page, "2 of 3")
        assert await metric(bot, "lienzo_gallery_opens_total") == 1.0


@pytest.mark.asyncio
async def test_delete_leaves_the_gallery_and_inline_mode_at_once(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = inline_telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        eva = tg.user(1303, "Eva", language_code="es")
        jobs = add_artworks(bot, tg, assets, eva.id, 2, documents={1})
        sent = await eva.send_text(eva.chat, "/gallery")
        page = await tg.wait_for_message(eva.chat, after=sent)
        assert page.caption.startswith("🖼 1 de 2")
        listed = await eva.inline_query("")
        await listed.answered()
        assert [r["id"] for r in listed.results] == jobs
        # a photo as a cached photo, an artwork sent as a file as a cached document
        assert [r["type"] for r in listed.results] == ["photo", "document"]
        assert listed.results[1]["document_file_id"] and listed.results[1]["title"]

        share = await eva.press_switch_inline(page, t("es", "button.share"))
        assert share.query == jobs[0]  # Share on a gallery page: that artwork
        await share.answered()
        assert [r["id"] for r in share.results] == [jobs[0]]

        press = await eva.press(page, text=t("es", "button.delete"))
        assert (await press.answered())["text"] == t("es", "alert.deleted")
        await caption_becomes(tg, page, "1 de 1")
        assert data.artworks_delete(jobs[1], 0) in page.callback_data
        assert data.artworks_page(0) not in page.callback_data  # one page: no ◀ ▶
        listed = await eva.inline_query("")
        await listed.answered()
        assert [r["id"] for r in listed.results] == jobs[1:]

        stale = await eva.press(page, data.artworks_delete(jobs[0], 0), force=True)
        assert (await stale.answered())["show_alert"]  # already gone

        last = await eva.press(page, text=t("es", "button.delete"))
        await last.answered()
        empty = await tg.wait_for_message(eva.chat, t("es", "artworks.empty"), after=page)
        assert empty.text == t("es", "artworks.empty")
        assert page.deleted
        listed = await eva.inline_query("")
        await listed.answered()
        assert listed.results == []


@pytest.mark.asyncio
async def test_group_gallery_points_to_the_private_chat(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, bob = tg.user(1304, "Ana"), tg.user(1305, "Bob")
        group = tg.group("Friends", privacy=True, members=[ana, bob])
        sent = await ana.send_text(group, "/gallery@LienzoBot")
        note = await tg.wait_for_message(group, after=sent)
        assert note.text == t("en", "artworks.private_only")
        url = note.button(t("en", "button.open_gallery"))["url"]
        assert url == "https://t.me/LienzoBot?start=gallery"
        assert await metric(bot, "lienzo_gallery_opens_total") == 0.0

        opened = await ana.open_deep_link(url)  # /start gallery, in private
        empty = await tg.wait_for_message(ana.chat, after=opened)
        assert empty.text == t("en", "artworks.empty")

        add_artworks(bot, tg, assets, bob.id, 1)
        opened = await bob.open_deep_link(url)
        page = await tg.wait_for_message(bob.chat, after=opened)
        assert page.caption.startswith("🖼 1 of 1")
        assert await metric(bot, "lienzo_gallery_opens_total") == 2.0


@pytest.mark.asyncio
async def test_new_seed_paints_the_artwork_again_differently(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(1306, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(71), caption="/style starry_night")
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        job_id = next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]
        await bot.kept(job_id)

        opened = await ana.send_text(ana.chat, "/gallery")
        page = await tg.wait_for_message(ana.chat, after=opened)
        assert page.caption.startswith("🖼 1 of 1 — The Starry Night")
        assert file_id(page) == file_id(art)
        press = await ana.press(page, text=t("en", "button.new_seed"))
        assert (await press.answered())["text"] == t("en", "alert.queued")
        again = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=page)
        new_job = next(d for d in again.callback_data if d.startswith("r:full:")).split(":")[2]
        assert new_job != job_id
        old_seed = (await bot.jobs.astatus(job_id)).meta.params["seed"]
        new_job_meta = (await bot.jobs.astatus(new_job)).meta
        assert new_job_meta.params["seed"] != old_seed
        assert new_job_meta.params["init"] == "noise"  # from the photo, seeds paint alike
        assert new_job_meta.styles == (("starry_night", 1.0),)
        before, after = (np.asarray(m.image().convert("RGB"), dtype=np.int16)
                         for m in (art, again))
        assert before.shape == after.shape
        assert np.abs(before - after).mean() > 1.0  # a different picture, not a re-encode

        await bot.kept(new_job)
        opened = await ana.send_text(ana.chat, "/gallery")  # both are in the gallery now
        page = await tg.wait_for_message(ana.chat, after=opened)
        assert page.caption.startswith("🖼 1 of 2")
        assert data.artworks_delete(new_job, 0) in page.callback_data
