"""A first look in a second (issue 25), end to end against the fake Bot API with a real
engine worker: the status message becomes a feed-forward look with its Cancel
button before the painting, and the painting replaces it (the gallery keeps the
painting); a job cancelled after its look ends cleanly; ``quality=instant`` is
painted with no engine worker at all; while the painter is offline a button
offers the instant picture; a clip's status shows its first frame's look; and
``LIENZO_FIRST_LOOK=off`` is the bot as it was."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from bot.texts import queued_text, t
from tests.e2e.test_clips import H, W, moving_square
from tests.support.bot_harness import (
    JOB_S,
    artwork,
    is_look,
    job_of,
    lienzo_bot,
    markup_of,
    media_edits,
    media_of,
    metric,
)

LONG = "/style starry_night quality=balanced"  # several seconds even here: time to cancel


def photo_ids(message) -> list[str]:
    return [v["photo"][-1]["file_unique_id"] for _, v in message.versions if v.get("photo")]


def kept_file_id(bot, job_id: str) -> str:
    with contextlib.closing(sqlite3.connect(bot.config.data_dir / "artworks.db")) as db:
        return db.execute("select file_id from artworks where job_id = ?",
                          (job_id,)).fetchone()[0]


def no_workers(tmp_path):
    return (f"sqlite:///{tmp_path}/no-workers.db", None)


@pytest.mark.asyncio
async def test_the_first_look_comes_first_with_cancel_and_the_painting_replaces_it(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(2501, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(51), caption="/style starry_night")
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        edits = media_edits(tg, ana.chat, art.message_id)
        assert edits and is_look(edits[0]), tg.report("no first look", ana.chat)
        look, result = edits[0], edits[-1]
        # The look: the first picture edit, with the queue's news and the Cancel button …
        assert look.ok and '"c:' in markup_of(look)
        caption = media_of(look)["caption"]
        assert any(queued_text("en", n) in caption for n in range(5)), caption
        # … and the painting replaced it: a different picture, the result's buttons.
        assert not is_look(result) and '"r:full:' in markup_of(result)
        assert look.time < result.time
        pictures = list(dict.fromkeys(photo_ids(art)))  # each picture once, in order
        assert len(pictures) >= 3  # the photo, the look, (previews,) the painting
        assert pictures[-1] == art["photo"][-1]["file_unique_id"]
        # The gallery (and inline sharing, the Share button) keep the painting.
        await bot.kept(job_of(art))
        assert kept_file_id(bot, job_of(art)) == art["photo"][-1]["file_id"]
        assert await metric(bot, "lienzo_looks_total") >= 1


@pytest.mark.asyncio
async def test_a_job_cancelled_after_its_first_look_ends_cleanly(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        bob = tg.user(2502, "Bob", language_code="es")
        sent = await bob.send_photo(bob.chat, assets.photo(52), caption=LONG)
        status = await tg.wait_for_message(bob.chat, after=sent)
        await tg.wait_for(lambda _: any(is_look(c) for c in media_edits(
            tg, bob.chat, status.message_id)), 30, "the first look", chat=bob.chat)
        job = next(d for d in status.callback_data if d.startswith("c:"))
        await (await bob.press(status, job)).answered()
        await tg.wait_for(lambda _: status.content == t("es", "cancel.done"), JOB_S,
                          "the cancellation", chat=bob.chat)
        await asyncio.sleep(1)
        assert status.content == t("es", "cancel.done")
        assert not any(d.startswith("r:") for d in status.callback_data)


@pytest.mark.asyncio
async def test_a_look_telegram_refuses_leaves_the_caption_edit_and_the_painting_comes(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        leo = tg.user(2507, "Leo")
        tg.fail_next("editMessageMedia", status=400, description="Bad Request: MEDIA_EMPTY")
        sent = await leo.send_photo(leo.chat, assets.photo(57), caption="/style starry_night")
        art = await tg.wait_for_message(leo.chat, artwork, timeout=JOB_S, after=sent)
        refused = media_edits(tg, leo.chat, art.message_id)[0]
        assert is_look(refused) and refused.status == 400
        queued = [c for c in tg.calls_to("editMessageCaption", leo.chat)
                  if any(queued_text("en", n) == c.params.get("caption") for n in range(5))]
        assert queued and queued[0].time > refused.time  # "queued" said as a caption


@pytest.mark.asyncio
async def test_quality_instant_needs_no_engine_worker(
        telegram, tmp_path, monkeypatch, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, no_workers(tmp_path), assets) as bot:
        eva = tg.user(2503, "Eva")
        sent = await eva.send_photo(eva.chat, assets.photo(53),
                                    caption="/style great_wave quality=instant")
        art = await tg.wait_for_message(eva.chat, artwork, timeout=30, after=sent)
        assert t("en", "done.instant").split(".")[0] in art.caption
        assert max(art["photo"][-1]["width"], art["photo"][-1]["height"]) == 48  # full size
        await bot.kept(job_of(art))  # in the gallery like any painting
        press = await eva.press(art, f"r:full:{job_of(art)}")
        await press.answered()
        full = await tg.wait_for_message(eva.chat, lambda m: "document" in m, after=art,
                                         timeout=30)
        assert full.document_bytes.startswith(b"\x89PNG")
        assert bot.jobs.user_jobs(eva.id, active_only=False)[0].state == "delivered"


@pytest.mark.asyncio
async def test_an_instant_default_quality_paints_every_photo_in_the_bot(
        telegram, tmp_path, monkeypatch, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, no_workers(tmp_path), assets,
                          LIENZO_DEFAULT_QUALITY="instant"):
        leo = tg.user(2508, "Leo", language_code="es")
        sent = await leo.send_photo(leo.chat, assets.photo(58), caption="/style great_wave")
        art = await tg.wait_for_message(leo.chat, artwork, timeout=30, after=sent)
        assert t("es", "done.instant").split(".")[0] in art.caption


@pytest.mark.asyncio
async def test_the_painter_offline_offers_the_instant_picture(
        telegram, tmp_path, monkeypatch, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, no_workers(tmp_path), assets,
                          LIENZO_WORKER_OFFLINE_AFTER="0.5"):
        await asyncio.sleep(1)  # longer than LIENZO_WORKER_OFFLINE_AFTER with no heartbeat
        lia = tg.user(2504, "Lía", language_code="es")
        sent = await lia.send_photo(lia.chat, assets.photo(54), caption="/style great_wave")
        status = await tg.wait_for_message(lia.chat, after=sent)
        await tg.wait_for(lambda _: any(d.startswith("i:") for d in status.callback_data),
                          30, "the instant button", chat=lia.chat)
        assert t("es", "queued.offline") in status.content
        assert t("es", "look.offer_instant") in status.content
        button = next(d for d in status.callback_data if d.startswith("i:"))
        answered = await (await lia.press(status, button)).answered()
        assert answered.get("text") == t("es", "instant.started")
        art = await tg.wait_for_message(lia.chat, artwork, timeout=30, after=sent)
        assert art.message_id == status.message_id  # the status message became it
        assert t("es", "done.instant").split(".")[0] in art.caption
        again = await (await lia.press(status, button, force=True)).answered()  # a stale client
        assert again.get("text") == t("es", "instant.too_late") or again.get("show_alert")


@pytest.mark.asyncio
async def test_a_clips_status_shows_its_first_frames_look(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """… and a clip asked for at quality=instant is still painted, by the worker."""
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        ana = tg.user(2505, "Ana")
        sent = await ana.send_animation(ana.chat, moving_square(), width=W, height=H,
                                        caption="/style starry_night quality=instant")
        status = await tg.wait_for_message(ana.chat, after=sent)
        await tg.wait_for(lambda _: any(is_look(c) for c in media_edits(
            tg, ana.chat, status.message_id)), 30, "the clip's first look", chat=ana.chat)
        await tg.wait_for(lambda _: "animation" in status, JOB_S, "the painted clip",
                          chat=ana.chat)


@pytest.mark.asyncio
async def test_first_look_off_is_the_bot_as_it_was(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_FIRST_LOOK="off") as bot:
        ana = tg.user(2506, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(56), caption="/style starry_night")
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        assert not any(is_look(c) for c in media_edits(tg, ana.chat, art.message_id))
        queued = [c for c in tg.calls_to("editMessageCaption", ana.chat)
                  if any(queued_text("en", n) in str(c.params.get("caption"))
                         for n in range(5))]
        assert queued  # "queued" as a caption edit, as before
        assert await metric(bot, "lienzo_looks_total") == 0
