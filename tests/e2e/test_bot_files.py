"""Files the bot cannot paint (issue #10): one friendly reply, nothing downloaded.

The real bot (``bot.app.serve``, via ``tests.support.bot_harness.lienzo_bot``) against the fake
Bot API.  No engine worker: every answer here comes straight from a handler, and
the one album that is submitted only needs to reach the queue.
"""

from __future__ import annotations

import io

import pytest
import pytest_asyncio
from PIL import Image

from bot.handlers.unpaintable import CLIP, FILE
from bot.texts import t
from engine import queue as q
from tests.support.bot_harness import lienzo_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.images import tiny_image

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
ZIP = b"PK\x05\x06" + b"\0" * 18  # an empty zip archive
HEIC = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"  # the header of an iPhone photo


def encoded(fmt: str, side: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(tiny_image(5, side)).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def engine_queue(tmp_path_factory):
    """A queue and no worker: what ``lienzo_bot`` needs in place of ``engine_worker``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bot-files')}/queue.db"
    queue = q.JobQueue(url)
    yield url, queue
    queue.close()


@pytest_asyncio.fixture
async def telegram():
    async with FakeTelegram(bot_username="LienzoBot") as tg:
        yield tg


async def answered(tg, chat, sent, key: str, lang: str = "en"):
    """The bot's one reply to ``sent``: the ``key`` text, quoting ``sent``."""
    reply = await tg.wait_for_message(chat, after=sent)
    assert reply.text == t(lang, key), (sent, reply)
    assert reply.reply_to_message_id == sent.message_id
    return reply


@pytest.mark.asyncio
async def test_private_files_get_one_reply_saying_what_can_be_painted(
        telegram, tmp_path, monkeypatch, engine_queue, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_queue, assets):
        ana = telegram.user(2001, "Ana")
        chat = ana.chat
        pdf = await ana.send_document(chat, PDF, "doc.pdf", "application/pdf",
                                      caption="/style starry_night")
        await answered(telegram, chat, pdf, FILE)
        cases = [
            (ana.send_document(chat, ZIP, "photos.zip", "application/zip"), FILE),
            (ana.send_document(chat, b"a poem\n", "poem.txt", "text/plain"), FILE),
            (ana.send_document(chat, HEIC, "IMG_0001.HEIC", "image/heic",
                               caption="/style great_wave"), FILE),
            (ana.send_sticker(chat), FILE),
            (ana.send_sticker(chat, kind="animated"), CLIP),
            (ana.send_sticker(chat, kind="video"), CLIP),
            (ana.send_voice(chat), FILE),
            (ana.send_audio(chat, caption="/style the_scream"), FILE),
            # GIFs, videos and video notes are painted (tests/e2e/test_clips.py); sent as
            # files or stickers, the reply says how to send them
            (ana.send_document(chat, encoded("GIF"), "cat.gif", "image/gif",
                               caption="/style starry_night"), CLIP),
            (ana.send_document(chat, b"\0\0\0\x18ftypmp42", "clip.mp4", "video/mp4"), CLIP),
            # /style as a text reply to a file it cannot paint: about that file, not
            # "reply to a photo", and no style is preselected for later
            (ana.send_text(chat, "/style starry_night", reply_to=pdf), FILE),
        ]
        for send, key in cases:
            await answered(telegram, chat, await send, key)

        # Pictures still go to the painting: a photo, a PNG and a TIFF file are asked
        # which style (the gallery) - so no style was preselected above.
        for send in (ana.send_photo(chat, assets.photo(31)),
                     ana.send_document(chat, encoded("PNG"), "pic.png", "image/png"),
                     ana.send_document(chat, encoded("TIFF"), "scan.tif", "image/tiff")):
            sent = await send
            prompt = await answered(telegram, chat, sent, "picker.prompt")
            assert prompt.callback_data
        await telegram.wait_until_consumed()
        assert len(chat.bot_messages) == 1 + len(cases) + 3  # one reply each, nothing else
        assert not telegram.calls_to("getFile")  # nothing was downloaded


@pytest.mark.asyncio
async def test_spanish(telegram, tmp_path, monkeypatch, engine_queue, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_queue, assets):
        eva = telegram.user(2002, "Eva", language_code="es")
        pdf = await eva.send_document(eva.chat, PDF, "doc.pdf", "application/pdf",
                                      caption="/style starry_night")
        reply = await answered(telegram, eva.chat, pdf, FILE, "es")
        assert "JPEG" in reply.text and reply.text != t("en", FILE)
        gif = await eva.send_document(eva.chat, encoded("GIF"), "gato.gif", "image/gif",
                                      caption="/style great_wave")
        await answered(telegram, eva.chat, gif, CLIP, "es")
        assert not telegram.calls_to("getFile")


@pytest.mark.asyncio
async def test_groups_stay_silent_unless_addressed(
        telegram, tmp_path, monkeypatch, engine_queue, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_queue, assets):
        ana, bob = telegram.user(2003, "Ana"), telegram.user(2004, "Bob")
        group = telegram.group("Open club", privacy=False, members=[ana, bob])  # sees all
        silent = [  # the bot sees them all, and none is for it
            await ana.send_document(group, PDF, "doc.pdf", "application/pdf"),
            await ana.send_document(group, PDF, "doc.pdf", "application/pdf",
                                    caption="paint this? starry_night"),
            await bob.send_document(group, PDF, "doc.pdf", "application/pdf",
                                    caption="/style@OtherBot starry_night"),
            await bob.send_document(group, PDF, "doc.pdf", "application/pdf",
                                    caption="/help@LienzoBot"),  # a caption only says /style
            await bob.send_video(group),
            await bob.send_sticker(group),
        ]
        addressed = await ana.send_document(group, PDF, "doc.pdf", "application/pdf",
                                            caption="/style@LienzoBot starry_night")
        reply = await answered(telegram, group, addressed, FILE)
        # /style for every bot in the chat, as for a photo
        for_all = await ana.send_document(group, encoded("GIF"), "cat.gif", "image/gif",
                                          caption="/style great_wave")
        await answered(telegram, group, for_all, CLIP)
        ask = await bob.send_text(group, "/style@LienzoBot great_wave", reply_to=silent[0])
        await answered(telegram, group, ask, FILE)
        gif = await bob.send_sticker(group, kind="video", reply_to=reply)  # a reply to the bot
        await answered(telegram, group, gif, CLIP)
        await telegram.wait_until_consumed()
        answered_ids = [m.reply_to_message_id for m in group.bot_messages]
        assert answered_ids == [m.message_id for m in (addressed, for_all, ask, gif)]

        # With privacy on, Telegram gives the bot only what is addressed to it.
        private_club = telegram.group("Art club", privacy=True, members=[ana])
        await ana.send_document(private_club, PDF, "doc.pdf", "application/pdf")
        sent = await ana.send_document(private_club, PDF, "doc.pdf", "application/pdf",
                                       caption="/style@LienzoBot great_wave")
        await answered(telegram, private_club, sent, FILE)
        assert len(private_club.bot_messages) == 1
        assert not telegram.calls_to("getFile")


@pytest.mark.asyncio
async def test_albums(telegram, tmp_path, monkeypatch, engine_queue, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_queue, assets) as bot:
        leo = telegram.user(2005, "Leo")
        # A caption the bot cannot read: the request's error, nothing downloaded.
        bad, _ = await leo.send_album(leo.chat, [assets.photo(32), assets.custom_style],
                                      caption="/style great_wave foo=1")
        error = await telegram.wait_for_message(leo.chat, after=bad)
        assert "foo" in error.text and not telegram.calls_to("getFile")

        # An album of files that are not pictures: one reply for the whole album.
        group_id = "album-of-pdfs"
        pdfs = [await leo.send(leo.chat, media_group_id=group_id, document={
            "file_id": f"BQACAgQAAxkBAAIpdf{i}", "file_unique_id": f"AgADpdf{i}",
            "file_name": f"part{i}.pdf", "mime_type": "application/pdf", "file_size": 99},
            **({"caption": "/style starry_night"} if i == 0 else {})) for i in range(2)]
        await answered(telegram, leo.chat, pdfs[0], FILE)

        # The caption's styles and options, and the second photo as the user's own painting.
        first, _ = await leo.send_album(leo.chat, [assets.photo(33), assets.custom_style],
                                        caption="/style great_wave strength=high")
        status = await telegram.wait_for_message(leo.chat, after=first, timeout=30)
        first_version = status.versions[0][1]  # says what will happen
        assert (first_version.get("text") or first_version.get("caption")) == t("en", "own.album")
        await telegram.wait_for(lambda _: bot.jobs.user_jobs(leo.id), timeout=30,
                                message="the album's job to be submitted")
        [job] = bot.jobs.user_jobs(leo.id)
        assert job.meta.styles == (("great_wave", 1.0),)
        assert job.meta.style_media is not None
        assert job.meta.params["strength"] == 3.0  # high
        assert len(leo.chat.bot_messages) == 3
