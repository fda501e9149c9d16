"""Moving pictures through the bot (issue 13, items 3, 4 and 6), end to end: a GIF
(Telegram's MP4 animation), a video or a video note with ``/style`` is painted by
a real engine worker (``tests.support.bot_harness``: random weights, 48 px) and comes
back as an H.264 MP4 - an animation for a GIF, a video for a video - in place of
the status message (which was the clip sent back); the estimate is shown before
it starts, progress says which frame, a clip over 4 s is cut and the user told,
a clip over 20 MB is refused before any download, an unaddressed clip in a group
is ignored, and Cancel stops a clip job."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from bot import delivery
from bot.texts import t
from engine.media import mp4
from tests.support.bot_harness import JOB_S, lienzo_bot, media_of

W, H = 48, 32


def moving_square(frames: int = 6, fps: float = 6.0) -> bytes:
    """A gradient with a yellow square moving right: a tiny H.264 clip."""
    out = []
    for i in range(frames):
        frame = np.zeros((H, W, 3), np.uint8)
        frame[..., 0] = np.linspace(0, 255, W, dtype=np.uint8)[None, :]
        x = (4 + 3 * i) % (W - 12)
        frame[8:20, x:x + 12] = (255, 255, 0)
        out.append(frame)
    return mp4.encode(out, fps)


def clip_edits(tg, chat) -> list:
    """The editMessageMedia calls that put a painted clip in the chat: not the first
    look, which turns the status into a photo while the clip waits (issue 25)."""
    return [c for c in tg.calls_to("editMessageMedia", chat)
            if media_of(c).get("type") != "photo"]


def decoded(data: bytes) -> tuple[str, str, int]:
    """(codec, pixel format, frames) of an MP4."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        return stream.codec_context.name, stream.codec_context.pix_fmt, count


def captions(message) -> list[str]:
    """Every caption or text the message has had, oldest first."""
    return [v.get("caption") or v.get("text") or "" for _, v in message.versions]


@pytest.fixture(autouse=True)
def quick_edits(monkeypatch):
    monkeypatch.setattr(delivery, "EDIT_EVERY_S", 0.3)  # every frame's progress is seen


@pytest.mark.asyncio
async def test_a_gif_comes_back_as_a_painted_animation(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        ana = tg.user(3101, "Ana")
        sent = await ana.send_animation(ana.chat, moving_square(), width=W, height=H,
                                        duration=1, caption="/style starry_night")
        status = await tg.wait_for_message(ana.chat, after=sent, timeout=60)
        assert "animation" in status and tg.calls_to("sendAnimation", ana.chat)
        await tg.wait_for(lambda _: clip_edits(tg, ana.chat), JOB_S,
                          "the painted clip", chat=ana.chat)
        [edit] = clip_edits(tg, ana.chat)
        assert edit.ok, tg.report("the edit failed", ana.chat)
        assert "animation" in status and status.caption  # the painting's caption:
        assert "%" not in status.caption and "Frame" not in status.caption  # not progress
        codec, pix_fmt, frames = decoded(status.document_bytes)
        assert (codec, pix_fmt, frames) == ("h264", "yuv420p", 6)
        assert status.document_bytes != sent.document_bytes  # painted, not the input
        seen = captions(status)
        estimate = next(c for c in seen if "6 frames" in c)  # before it started …
        assert seen.index(estimate) < next(i for i, c in enumerate(seen) if "%" in c)
        frames_seen = {f for f in range(1, 7)
                       if any(t("en", "progress.frame", frame=f, frames=6) in c for c in seen)}
        assert len(frames_seen) >= 2, seen  # … and progress said which frame


@pytest.mark.asyncio
async def test_videos_come_back_as_videos(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        leo = tg.user(3102, "Leo", language_code="es")
        clip = moving_square(4, 4.0)
        sent = await leo.send_video(leo.chat, clip, width=W, height=H, duration=1,
                                    caption="/style great_wave")
        status = await tg.wait_for_message(leo.chat, after=sent, timeout=60)
        assert "video" in status and tg.calls_to("sendVideo", leo.chat)  # the status
        await tg.wait_for(lambda _: clip_edits(tg, leo.chat), JOB_S,
                          "the painted video", chat=leo.chat)
        assert "video" in status and "animation" not in status
        painted = tg.file(status["video"]["file_id"]).data
        assert decoded(painted) == ("h264", "yuv420p", 4)
        assert any(t("es", "progress.frame", frame=1, frames=4) in c for c in captions(status))

        # A video note cannot carry a caption: its status is a text, the painting a video.
        note = await leo.send_video_note(leo.chat, clip, length=W)
        await tg.wait_for_message(leo.chat, t("es", "picker.prompt_clip"), after=note,
                                  timeout=60)
        ask = await leo.send_text(leo.chat, "/style the_scream", reply_to=note)
        text_status = await tg.wait_for_message(
            leo.chat, lambda m: m.reply_to_message_id == note.message_id and m.text is not None
            and m.text != t("es", "picker.prompt_clip"), after=ask, timeout=60)
        result = await tg.wait_for_message(leo.chat, lambda m: "video" in m, JOB_S,
                                           after=text_status)
        assert decoded(tg.file(result["video"]["file_id"]).data)[2] == 4
        assert len(tg.calls_to("sendVideo", leo.chat)) == 2  # the status above, and this
        await tg.wait_for(lambda _: text_status.deleted, 60, "the text status to go",
                          chat=leo.chat)


@pytest.mark.asyncio
async def test_a_long_clip_is_cut_and_told_and_cancel_stops_it(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        eva = tg.user(3103, "Eva")
        sent = await eva.send_animation(eva.chat, moving_square(10, 2.0), width=W, height=H,
                                        duration=5, caption="/style starry_night")
        status = await tg.wait_for_message(eva.chat, after=sent, timeout=60)
        cut = t("en", "clip.cut", seconds=4)
        await tg.wait_for(lambda _: cut in (status.caption or ""), 60, "the cut note",
                          chat=eva.chat)
        assert "8 frames" in status.caption  # 4 s at 2 fps
        await tg.wait_for(lambda _: "Frame" in (status.caption or ""), JOB_S,
                          "the clip to start", chat=eva.chat)
        job = next(d for d in status.callback_data if d.startswith("c:"))
        await (await eva.press(status, job)).answered()
        await tg.wait_for(lambda _: status.caption == t("en", "cancel.done"), 60,
                          "the clip to be cancelled", chat=eva.chat)
        assert not clip_edits(tg, eva.chat)


@pytest.mark.asyncio
async def test_limits_and_groups(telegram, tmp_path, monkeypatch, engine_worker,
                                 assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, bob = tg.user(3104, "Ana"), tg.user(3105, "Bob")
        # Over 20 MB: refused on the size Telegram announced, nothing downloaded or queued.
        big = await ana.send_video(ana.chat, b"\0\0\0\x18ftypmp42" + bytes(21 * 2**20),
                                   caption="/style starry_night")
        reply = await tg.wait_for_message(ana.chat, after=big, timeout=60)
        assert reply.text == t("en", "error.clip_file_too_big", max_mb=20)
        assert not tg.calls_to("getFile") and not bot.jobs.user_jobs(ana.id)

        # In a group: a clip not addressed to the bot is ignored; addressed, it is painted.
        group = tg.group("Clips", privacy=False, members=[ana, bob])
        await bob.send_animation(group, moving_square(), width=W, height=H)
        await bob.send_video(group, moving_square(), caption="/style@OtherBot starry_night")
        await tg.wait_until_consumed()
        assert not group.bot_messages and not tg.calls_to("getFile")
        sent = await ana.send_animation(group, moving_square(), width=W, height=H,
                                        caption="/style@LienzoBot starry_night")
        status = await tg.wait_for_message(group, after=sent, timeout=60)
        assert "animation" in status
        await tg.wait_for(lambda _: bot.jobs.user_jobs(ana.id), 60, "the group's clip job")
        job = next(d for d in status.callback_data if d.startswith("c:"))
        await (await ana.press(status, job)).answered()
        await tg.wait_for(lambda _: status.caption == t("en", "cancel.done"), 60,
                          "the clip to be cancelled", chat=group)


@pytest.mark.asyncio
async def test_painted_clips_are_shared_listed_inline_and_kept_in_the_gallery(
        tmp_path, monkeypatch, engine_worker, assets):
    """A painted GIF or video has a Share button; inline mode lists it (an MPEG-4 GIF,
    a video) and sends it into another chat; /gallery shows it, without the re-paint
    buttons of a still painting."""
    from tests.support.fake_telegram import FakeTelegram

    async with FakeTelegram(bot_username="LienzoBot", inline=True) as tg:
        async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
            ana = tg.user(3105, "Ana")
            sent = await ana.send_animation(ana.chat, moving_square(4, 4.0), width=W,
                                            height=H, duration=1, caption="/style starry_night")
            gif = await tg.wait_for_message(ana.chat, after=sent, timeout=60)
            await tg.wait_for(lambda _: clip_edits(tg, ana.chat), JOB_S,
                              "the painted GIF", chat=ana.chat)
            sent = await ana.send_video(ana.chat, moving_square(4, 4.0), width=W, height=H,
                                        duration=1, caption="/style great_wave")
            # The GIF's one-line "ready" note may land after this video was sent (a
            # job of 30 s or more gets one): the video's status is the one with the video.
            video = await tg.wait_for_message(ana.chat, lambda m: "video" in m, after=sent,
                                              timeout=60)
            await tg.wait_for(lambda _: len(clip_edits(tg, ana.chat)) == 2,
                              JOB_S, "the painted video", chat=ana.chat)
            await bot.kept(*(j.id for j in bot.jobs.user_jobs(ana.id, active_only=False)))

            share = await ana.press_switch_inline(gif, t("en", "button.share"))
            await share.answered()
            [result] = share.results
            assert result["type"] == "mpeg4_gif"
            assert result["mpeg4_file_id"] == gif["animation"]["file_id"]
            group = tg.group("Friends", privacy=True, members=[ana])
            share = await ana.press_switch_inline(gif, t("en", "button.share"), chat=group)
            await share.answered()
            posted = await share.choose(share.query)
            assert posted.chat is group and "animation" in posted and "Starry" in posted.caption

            listed = await ana.inline_query("wave")
            await listed.answered()
            [result] = listed.results
            assert result["type"] == "video" and result["title"]
            assert result["video_file_id"] == video["video"]["file_id"]

            asked = await ana.send_text(ana.chat, "/gallery")
            page = await tg.wait_for_message(ana.chat, after=asked)
            assert "video" in page and page.caption.startswith("🖼 1 of 2")
            assert not any(d.startswith("r:") for d in page.callback_data)  # no re-paints
            await (await ana.press(page, text=t("en", "button.next"))).answered()
            await tg.wait_for(lambda _: "animation" in page, 60, "the GIF's page",
                              chat=ana.chat)
