"""The bot end to end: real PTB against the fake Bot API, a real engine worker.

Every test runs ``bot.app.serve`` (the same code as ``lienzo bot``) against
``tests.support.fake_telegram`` over HTTP, with one ``lienzo worker`` process for the
module on a SQLite queue (random VGG19 weights, tiny pictures): ``tests.support.bot_harness``.
Users are played through the fake server; assertions are on what Telegram received.
"""

from __future__ import annotations

import io
import logging

import aiohttp
import pytest
from PIL import Image

from bot import delivery
from bot.jobs import JobState
from bot.texts import t
from tests.support.bot_harness import JOB_S, RECEIVED, SIDE, answer, artwork, lienzo_bot
from tests.support.images import jpeg, tiny_image

pytestmark = pytest.mark.asyncio


async def test_private_photo_with_caption_gets_status_then_artwork(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = telegram.user(1001, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(11), caption="/style starry_night")
        status = await answer(telegram, ana.chat, sent)
        first_version = status.versions[0][1]
        assert first_version["caption"] in RECEIVED  # acknowledged before the download…
        assert first_version["photo"] == sent["photo"]  # …with the photo itself, sent back
        assert "⏳" in status.content and status.reply_to_message_id == sent.message_id
        assert any(b.startswith("c:") for b in status.callback_data)  # a cancel button
        art = await telegram.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        assert art.reply_to_message_id == sent.message_id
        assert art.message_id == status.message_id  # the status message became the painting
        assert max(art.image().size) == SIDE
        assert "The Starry Night" in art.caption or "Starry" in art.caption
        assert {d.split(":")[1] for d in art.callback_data if d.startswith("r:")} == \
            {"other", "more", "less", "keep", "full", "tl", "print"}  # tl: the timelapse
        assert telegram.calls_to("sendChatAction", chat=ana.chat)
        assert [m for m in ana.chat.bot_messages if m.message_id > sent.message_id] == [art]

        # Full resolution: the PNG, as a document.
        await ana.press(art, art.callback_data[-1] if art.callback_data[-1].startswith("r:full")
                        else next(d for d in art.callback_data if d.startswith("r:full")))
        doc = await telegram.wait_for_message(ana.chat, lambda m: m.document_bytes,
                                              after=art)
        png = Image.open(io.BytesIO(doc.document_bytes))
        assert png.format == "PNG" and max(png.size) == SIDE

        # The same photo, style and settings again: the earlier result, at once.
        uploads = len(telegram.calls_to("sendPhoto"))
        again = await ana.send_photo(ana.chat, assets.photo(11), caption="/style starry_night")
        cached = await telegram.wait_for_message(ana.chat, artwork, after=again)
        assert cached.photo_bytes == art.photo_bytes
        assert [m for m in ana.chat.bot_messages if m.message_id > again.message_id] == [cached]
        assert len(telegram.calls_to("sendPhoto")) == uploads + 1
        assert "file_id" in str(telegram.calls_to("sendPhoto")[-1].params) or \
            not telegram.calls_to("sendPhoto")[-1].files

        # The painting's engine time is in the metrics (the cached answer is not).
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{bot.config.http_port}/metrics"
            async with http.get(url) as r:
                assert "lienzo_job_seconds_count 1.0" in await r.text()


async def test_spanish_user_gallery_and_strength_button(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        eva = telegram.user(1002, "Eva", language_code="es")
        sent = await eva.send_photo(eva.chat, assets.photo(12))
        gallery = await telegram.wait_for_message(eva.chat, after=sent)
        assert "¿" in gallery.text  # Spanish
        pick = next(d for d in gallery.callback_data if d.endswith(":great_wave"))
        await eva.press(gallery, pick)
        art = await telegram.wait_for_message(eva.chat, artwork, timeout=JOB_S, after=sent)
        assert art.reply_to_message_id == sent.message_id
        stronger = next(d for d in art.callback_data if d.startswith("r:more"))
        await eva.press(art, stronger)
        second = await telegram.wait_for_message(eva.chat, artwork, timeout=JOB_S, after=art)
        assert second.photo_bytes != art.photo_bytes


async def test_album_of_two_uses_the_second_as_the_painting(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        leo = telegram.user(1003, "Leo")
        first, _ = await leo.send_album(leo.chat, [assets.photo(13), assets.custom_style])
        status = await telegram.wait_for_message(leo.chat, after=first, timeout=30)
        assert "style of the second" in status.versions[0][1]["caption"]  # says what will happen
        art = await telegram.wait_for_message(leo.chat, artwork, timeout=JOB_S, after=first)
        assert art.reply_to_message_id == first.message_id
        assert "own painting" in art.caption


async def test_a_long_job_gets_one_ready_note_in_private_and_none_in_a_group(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """A painting that took long enough for its owner to look away is followed by
    one "ready" reply to it, in a private chat only (every job counts as long here)."""
    monkeypatch.setattr(delivery, "READY_PING_AFTER_S", 0.0)
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as running:
        ana = telegram.user(1011, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(17), caption="/style great_wave")
        art = await telegram.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        ready = t("en", "done.ready")
        note = await telegram.wait_for_message(ana.chat, ready, after=art, timeout=60)
        assert note.reply_to_message_id == art.message_id

        group = telegram.group("Friends", members=[ana])
        sent = await ana.send_photo(group, assets.photo(18),
                                    caption="/style@LienzoBot great_wave")
        await telegram.wait_for_message(group, artwork, timeout=JOB_S, after=sent)

        def delivered(_) -> bool:  # a note is sent before its job is marked delivered
            jobs = running.jobs.user_jobs(ana.id, active_only=False)
            return len(jobs) == 2 and all(job.state == JobState.DELIVERED for job in jobs)

        await telegram.wait_for(delivered, 60, "both jobs delivered", chat=group)
        for chat in (ana.chat, group):  # no second note, none in the group
            assert [m for m in chat.bot_messages if ready in m.content] == \
                ([note] if chat is ana.chat else [])


async def test_group_reply_names_requester_and_only_they_can_press(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        ana, bob = telegram.user(1004, "Ana"), telegram.user(1005, "Bob")
        group = telegram.group("Art club", privacy=True, members=[ana, bob])
        photo = await bob.send_photo(group, assets.photo(14))  # hidden from the bot (privacy)
        ignored = await ana.send_text(group, "/style@OtherBot great_wave", reply_to=photo)
        ask = await ana.send_text(group, "/style@LienzoBot great_wave", reply_to=photo)
        art = await telegram.wait_for_message(group, artwork, timeout=JOB_S, after=ask)
        assert art.reply_to_message_id == photo.message_id
        assert "Ana" in art.caption
        answers = [m for m in group.bot_messages if m.message_id > ignored.message_id
                   and m.reply_to_message_id == photo.message_id]
        assert answers == [art]  # one job: the command for another bot was ignored
        press = await bob.press(art, next(d for d in art.callback_data if d.startswith("r:more")))
        answer = await press.answered()
        assert answer.get("show_alert") and "Only the person" in answer["text"]

        captioned = await bob.send_photo(group, assets.photo(24),
                                         caption="/style@LienzoBot the_scream")
        art2 = await telegram.wait_for_message(group, artwork, timeout=JOB_S, after=captioned)
        assert art2.reply_to_message_id == captioned.message_id and "Bob" in art2.caption

        # Privacy off, the bot sees everything: an album nobody addressed to it is not its own.
        open_group = telegram.group("Open club", privacy=False, members=[ana])
        ignored_album, _ = await ana.send_album(open_group,
                                                [assets.photo(27), assets.custom_style])
        # A second album, addressed, painted: by the time its artwork is back, the first
        # (sent earlier, through the same path) would long have had its answer.
        addressed, _ = await ana.send_album(open_group, [assets.photo(28), assets.custom_style],
                                            caption="/style@LienzoBot strength=high")
        await telegram.wait_for_message(open_group, artwork, timeout=JOB_S, after=addressed)
        assert ignored_album.message_id not in [m.reply_to_message_id
                                                for m in open_group.bot_messages]


async def test_queue_full_is_a_polite_busy(telegram, tmp_path, monkeypatch, engine_worker,
                                           assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets, CAP="1"):
        ana, bob = telegram.user(1016, "Ana"), telegram.user(1017, "Bob")
        first = await ana.send_photo(ana.chat, assets.photo(25), caption="/style great_wave")
        assert "⏳" in (await answer(telegram, ana.chat, first)).content
        second = await bob.send_photo(bob.chat, assets.photo(26), caption="/style great_wave")
        busy = await answer(telegram, bob.chat, second)
        assert "busy" in busy.content
        await telegram.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=first)


async def test_limits_have_clear_messages(telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        kim = telegram.user(1006, "Kim")
        text = await kim.send_document(kim.chat, b"hello", "notes.png", "image/png",
                                       caption="/style starry_night")
        reply = await answer(telegram, kim.chat, text)
        assert "doesn't look like an image" in reply.content
        assert reply.edited  # the acknowledgement became the error: one message
        assert [m for m in kim.chat.bot_messages if m.message_id > text.message_id] == [reply]
        unknown = await kim.send_photo(kim.chat, assets.photo(15), caption="/style starry")
        reply = await telegram.wait_for_message(kim.chat, after=unknown)
        assert "starry" in reply.text and any(d.endswith("starry_night")
                                              for d in reply.callback_data)
        bad = await kim.send_photo(kim.chat, assets.photo(15), caption="/style great_wave foo=1")
        reply = await telegram.wait_for_message(kim.chat, after=bad)
        assert "foo" in reply.text
        tiny = await kim.send_document(kim.chat, jpeg(tiny_image(3, 8)), "tiny.jpg", "image/jpeg",
                                       caption="/style great_wave")
        reply = await answer(telegram, kim.chat, tiny)
        assert "too small" in reply.content


async def test_user_limit_and_cancel(telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets, LIMIT="1"):
        max_ = telegram.user(1007, "Max")
        first = await max_.send_photo(max_.chat, assets.photo(16), caption="/style the_scream")
        assert "⏳" in (await answer(telegram, max_.chat, first)).content
        second = await max_.send_photo(max_.chat, assets.photo(17), caption="/style the_scream")
        refused = await answer(telegram, max_.chat, second)
        assert "(1)" in refused.text
        cancel = await max_.send_text(max_.chat, "/cancel")
        await telegram.wait_for_message(max_.chat, "Cancelled 1 picture", after=cancel)
        status = next(m for m in max_.chat.bot_messages if m.reply_to_message_id
                      == first.message_id)
        await telegram.wait_for(lambda _: "Cancelled" in status.content, timeout=JOB_S,
                                message="the status message to say cancelled")
        assert not any(artwork(m) for m in max_.chat.bot_messages)


async def test_chat_not_allowed(telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_ALLOWED_CHATS="1"):
        zoe = telegram.user(1008, "Zoe")
        sent = await zoe.send_photo(zoe.chat, assets.photo(18), caption="/style great_wave")
        reply = await telegram.wait_for_message(zoe.chat, after=sent)
        assert "not available in this chat" in reply.text


async def test_commands_settings_stats_and_start(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        assert [c["command"] for c in telegram.commands("es")][:2] == ["start", "style"]
        assert telegram.commands("") and telegram.commands("es") != telegram.commands("")
        ana = telegram.user(1009, "Ana")
        help_ = await ana.send_text(ana.chat, "/help")
        assert "/style starry_night" in (await telegram.wait_for_message(ana.chat,
                                                                         after=help_)).text
        settings = await ana.send_text(ana.chat, "/settings")
        panel = await telegram.wait_for_message(ana.chat, after=settings)
        await ana.press(panel, "s:language")
        await telegram.wait_for(lambda _: "s:language:es" in panel.callback_data,
                                message="the language picker")
        await ana.press(panel, "s:language:es")
        await telegram.wait_for(lambda _: "Idioma" in (panel.text or "") or
                                "idioma" in (panel.text or ""), timeout=60,
                                message="settings in Spanish")
        stats = await ana.send_text(ana.chat, "/stats")
        assert "🔒" in (await telegram.wait_for_message(ana.chat, after=stats)).text
        admin = telegram.user(42, "Root")
        stats = await admin.send_text(admin.chat, "/stats")
        reply = await telegram.wait_for_message(admin.chat, after=stats)
        assert "bot-e2e-" in reply.text  # the worker, alive
        start = await admin.send_text(admin.chat, "/start style_great_wave")
        assert "Great Wave" in (await telegram.wait_for_message(admin.chat, after=start)).text

        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # no catalogue downloads
        styles = await ana.send_text(ana.chat, "/styles")
        sheet = await telegram.wait_for_message(ana.chat, lambda m: m.photo, after=styles,
                                                timeout=60)
        assert sheet.image().size[0] > 256 and any(d.startswith("gp:") for d in
                                                   sheet.callback_data)
        await ana.press(sheet, next(d for d in sheet.callback_data if d.startswith("gp:")))
        await telegram.wait_for(lambda _: sheet.edited, message="the gallery's next page")


async def test_health_metrics_and_token_kept_out_of_logs(
        telegram, tmp_path, monkeypatch, engine_worker, assets, caplog):
    caplog.set_level(logging.DEBUG)
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        port = bot.config.http_port
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                body = await r.json()
                assert r.status == 200 and body["queue"] == "ok" and body["workers"]
            async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                text = await r.text()
                assert "lienzo_jobs" in text and "lienzo_workers_alive" in text
        ana = telegram.user(1010, "Ana")
        await telegram.wait_for_message(ana.chat, after=await ana.send_text(ana.chat, "/help"))
    token = telegram.env()["TELEGRAM_BOT_TOKEN"]
    assert caplog.records and token not in caplog.text


async def test_webhook_checks_the_secret(telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets,
                          webhook=True) as bot:
        hook = telegram.webhook
        assert hook["url"].endswith("/telegram") and hook.get("secret_token") == "s3cret"
        ana = telegram.user(1011, "Ana")
        sent = await ana.send_text(ana.chat, "/help")  # delivered by POST, with the secret
        assert "/style" in (await telegram.wait_for_message(ana.chat, after=sent)).text
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{bot.config.http_port}/telegram"
            async with http.post(url, json={"update_id": 1}) as r:
                assert r.status == 403
            async with http.post(url, json={"update_id": 1},
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403


async def test_flood_control_on_edits_does_not_lose_the_result_and_blocking_cancels(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = telegram.user(1012, "Ana")
        telegram.fail_next("editMessageText", retry_after=1, times=5)
        sent = await ana.send_photo(ana.chat, assets.photo(19), caption="/style the_scream")
        await telegram.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)

        bob = telegram.user(1013, "Bob")
        sent = await bob.send_photo(bob.chat, assets.photo(20), caption="/style great_wave")
        assert "⏳" in (await answer(telegram, bob.chat, sent)).content
        bob.block_bot()

        def cancelled():
            jobs = bot.jobs.user_jobs(bob.id, active_only=False)
            return jobs and all(j.state in ("cancelled", "delivered") for j in jobs)

        await telegram.wait_for(lambda _: cancelled(), timeout=JOB_S,
                                message="Bob's job to be cancelled")
        assert not any(artwork(m) for m in bob.chat.bot_messages)


async def test_flood_control_on_the_acknowledgement_waits_and_retries(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        ana = telegram.user(1018, "Ana")
        telegram.fail_next("sendPhoto", retry_after=1, chat=ana.chat)  # the acknowledgement
        sent = await ana.send_photo(ana.chat, assets.photo(27), caption="/style great_wave")
        status = await answer(telegram, ana.chat, sent)
        assert "⏳" in status.content
        refused, accepted = [c for c in telegram.calls if c.method == "sendPhoto"
                             and c.chat_id == ana.id][:2]
        assert refused.status == 429 and accepted.ok
        assert accepted.time - refused.time >= 1.0  # Telegram's retry_after, honoured
        await ana.press(status, next(d for d in status.callback_data if d.startswith("c:")))
        await telegram.wait_for(lambda _: "Cancelled" in status.content or any(
            artwork(m) for m in ana.chat.bot_messages), timeout=JOB_S,
            message="the job to be cancelled (or painted)")


async def test_own_painting_by_button_and_by_reply(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        ivy = telegram.user(1014, "Ivy")
        photo = await ivy.send_photo(ivy.chat, assets.photo(21))
        gallery = await telegram.wait_for_message(ivy.chat, after=photo)
        await ivy.press(gallery, f"own:{ivy.id}")
        prompt = await telegram.wait_for_message(ivy.chat, "painting", after=gallery)
        await ivy.send_photo(ivy.chat, assets.custom_style)
        art = await telegram.wait_for_message(ivy.chat, artwork, timeout=JOB_S, after=prompt)
        assert art.reply_to_message_id == photo.message_id

        painting = await ivy.send_photo(ivy.chat, assets.photo(22), reply_to=photo)
        art2 = await telegram.wait_for_message(ivy.chat, artwork, timeout=JOB_S, after=painting)
        assert art2.reply_to_message_id == photo.message_id


async def test_file_over_20_mb_is_refused_before_download(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets):
        big = telegram.user(1015, "Big")
        huge = assets.photo(23) + b"\0" * (21 * 1024 * 1024)
        sent = await big.send_document(big.chat, huge, "huge.jpg", "image/jpeg",
                                       caption="/style great_wave")
        reply = await telegram.wait_for_message(big.chat, after=sent)
        assert "20 MB" in reply.text
        assert not telegram.calls_to("getFile")
