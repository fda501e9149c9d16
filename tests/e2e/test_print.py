"""🖨 Print, end to end: the bot (``bot.app.serve``) against the fake Bot API with a real
engine worker whose print side is 192 px (``LIENZO_PRINT_SIDE=192``; paintings are 48 px,
tests.support.workers.SIDE).  A result's and a /gallery page's Print → a status message
naming the print → the print as a document (a JPEG 192 px on its long side, captioned with
its size and "upscaled" for a smaller photo) and its PNG; one print at a time per person;
nothing for a clip, a forgotten or deleted photo, or someone else's painting."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot import callback_data as data
from bot.clip_intake import ClipInfo
from bot.jobs.meta import JobMeta
from bot.state import Media
from bot.texts import t
from tests.support.bot_harness import JOB_S, artwork, job_of, lienzo_bot
from tests.support.images import TINY
from tests.support.workers import running_worker

SIDE = 192  # the print side, worker and bot alike
PRINT_ENV = {"LIENZO_PRINT_SIDE": str(SIDE), "LIENZO_PRINT_TIME_LIMIT": "20"}

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def print_worker(tmp_path_factory, assets):
    """This module's engine worker, which prints at 192 px within 20 s."""
    with running_worker(tmp_path_factory.mktemp("print-e2e"), assets, "print-e2e-",
                        **PRINT_ENV) as worker:
        yield worker


def printing(m) -> bool:
    """A print's status message: the painting sent back, captioned as a print."""
    return t("en", "print.heading", side=SIDE) in (m.caption or m.content or "")


def printed(m) -> bool:
    """The print: a JPEG document captioned "🖨 … Printed at …"."""
    return bool(m.get("document")) and "Printed at" in (m.caption or "")


async def paint(tg, user, chat, assets, seed: int, caption: str = "/style starry_night"):
    sent = await user.send_photo(chat, assets.photo(seed), caption=caption)
    return await tg.wait_for_message(chat, artwork, timeout=JOB_S, after=sent)


async def test_print_a_result_sends_the_print_as_documents(
        telegram, tmp_path, monkeypatch, print_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, print_worker, assets, **PRINT_ENV):
        ana = tg.user(2201, "Ana")
        art = await paint(tg, ana, ana.chat, assets, 31)
        assert data.result("print", job_of(art)) in art.callback_data

        press = await ana.press(art, text=t("en", "button.print"))
        assert (await press.answered())["text"] == t("en", "alert.print_started")
        status = await tg.wait_for_message(ana.chat, printing, after=art, timeout=30)
        assert status.reply_to_message_id == art.message_id
        assert status.photo and status.versions[0][1]["photo"] == art["photo"]  # the painting
        # A second press while it is on its way: one print at a time.
        again = await ana.press(art, text=t("en", "button.print"))
        answer = await again.answered()
        assert answer["text"] == t("en", "alert.print_busy") and answer["show_alert"]
        await tg.wait_for(lambda _: "⏳" in status.content or "🎨" in status.content
                          or printed(status), 30, "the print to be queued", chat=ana.chat)
        assert any(d.startswith("c:") for d in status.callback_data) or printed(status)

        await tg.wait_for(lambda _: printed(status), JOB_S, "the print", chat=ana.chat)
        jpeg = Image.open(io.BytesIO(status.document_bytes))
        assert jpeg.format == "JPEG" and max(jpeg.size) == SIDE
        assert f"Printed at {jpeg.size[0]}×{jpeg.size[1]} px" in status.caption
        assert f"Upscaled from {TINY}×{TINY}" in status.caption  # the photo is TINY px
        assert status.callback_data == []  # a print is a file: no buttons
        png = await tg.wait_for_message(ana.chat, lambda m: m.get("document") and
                                        m.reply_to_message_id == status.message_id,
                                        after=status, timeout=30)
        lossless = Image.open(io.BytesIO(png.document_bytes))
        assert lossless.format == "PNG" and lossless.size == jpeg.size
        assert png.caption == t("en", "print.png")


async def test_print_from_the_gallery_in_spanish(
        telegram, tmp_path, monkeypatch, print_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, print_worker, assets,
                          **PRINT_ENV) as bot:
        eva = tg.user(2202, "Eva", language_code="es")
        art = await paint(tg, eva, eva.chat, assets, 32)
        await bot.kept(job_of(art))
        sent = await eva.send_text(eva.chat, "/gallery")
        page = await tg.wait_for_message(eva.chat, after=sent)
        assert data.result("print", job_of(art)) in page.callback_data
        press = await eva.press(page, text=t("es", "button.print"))
        assert (await press.answered())["text"] == t("es", "alert.print_started")
        heading = t("es", "print.heading", side=SIDE)
        status = await tg.wait_for_message(eva.chat, lambda m: heading in (m.caption or ""),
                                           after=page, timeout=30)
        await tg.wait_for(lambda _: bool(status.get("document")), JOB_S, "the print",
                          chat=eva.chat)
        assert "Impreso a" in status.caption and "Ampliada desde" in status.caption
        assert max(Image.open(io.BytesIO(status.document_bytes)).size) == SIDE


async def test_a_clips_result_has_no_print_and_refuses_one(
        telegram, tmp_path, monkeypatch, print_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, print_worker, assets,
                          **PRINT_ENV) as bot:
        ana = tg.user(2203, "Ana")
        clip = Media("CgAD", "uc", 1000, 1, kind="animation")
        meta = JobMeta(lang="en", requester="Ana", group=False, status_media=True,
                       content=clip, styles=(("starry_night", 1.0),), style_media=None,
                       params={}, cache_key="", label="The Starry Night",
                       clip=ClipInfo(12, 48, 48, False))
        job = bot.jobs.submit(user_id=ana.id, chat_id=ana.chat.id, content=assets.content,
                              styles=["starry_night"], meta=meta, enqueue=False).job_id
        bot.jobs.cancel(job)  # never painted: only its row, for the press to find
        sent = await ana.send_text(ana.chat, "/help")
        reply = await tg.wait_for_message(ana.chat, after=sent)
        press = await ana.press(reply, data.result("print", job), force=True)
        answer = await press.answered()
        assert answer["text"] == t("en", "alert.print_clip") and answer["show_alert"]
        assert not [m for m in ana.chat.bot_messages if printing(m)]


async def test_a_forgotten_or_deleted_photo_is_not_printed_and_nothing_is_lost(
        telegram, tmp_path, monkeypatch, print_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, print_worker, assets, **PRINT_ENV):
        ana = tg.user(2204, "Ana")
        art = await paint(tg, ana, ana.chat, assets, 33)
        # Telegram no longer gives the photo (deleted): the status message says so.
        photo = art.reply_to_message_id
        sent = next(m for m in ana.chat.messages.values() if m.message_id == photo)
        for size in sent["photo"]:
            tg._files.pop(size["file_id"], None)
        press = await ana.press(art, text=t("en", "button.print"))
        await press.answered()
        status = await tg.wait_for_message(ana.chat, printing, after=art, timeout=30)
        await tg.wait_for(lambda _: status.content == t("en", "print.photo_gone"), 30,
                          "the print refused", chat=ana.chat)
        assert art.photo and data.result("print", job_of(art)) in art.callback_data  # kept

        # /forget: the painting's job is gone, and the Print button says why.
        ask = await ana.send_text(ana.chat, "/forget")
        confirm = await tg.wait_for_message(ana.chat, after=ask)
        await (await ana.press(confirm, text=t("en", "button.forget_yes"))).answered()
        await tg.wait_for(lambda _: confirm.text == t("en", "forget.done"), 60, "forgotten",
                          chat=ana.chat)
        press = await ana.press(art, text=t("en", "button.print"))
        answer = await press.answered()
        assert answer["text"] == t("en", "alert.print_gone") and answer["show_alert"]


async def test_a_stranger_in_a_group_cannot_print_someone_elses_painting(
        telegram, tmp_path, monkeypatch, print_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, print_worker, assets, **PRINT_ENV):
        ana, bob = tg.user(2205, "Ana"), tg.user(2206, "Bob")
        group = tg.group("Prints", members=[ana, bob])
        art = await paint(tg, ana, group, assets, 34, "/style@LienzoBot starry_night")
        press = await bob.press(art, text=t("en", "button.print"))
        answer = await press.answered()
        assert answer["text"] == t("en", "alert.not_requester") and answer["show_alert"]
        assert not [m for m in group.bot_messages if printing(m)]
