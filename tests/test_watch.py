"""Watch it paint (issue 13, items 1 and 2), end to end: the status message shows the
painting as it forms (editMessageMedia, paced, off by /settings, falling back to
captions on an error, never after the result), and the "🎞 Timelapse" button sends
an MP4 animation kept with the artwork, against the fake Bot API with a real engine
worker (``tests.bot_harness``) that writes a preview every 0.25 s."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import timedelta

import av
import numpy as np
import pytest
from PIL import Image

from bot import preview
from bot.artworks import Artwork, Artworks
from bot.texts import t
from engine import mp4
from engine import queue as q
from engine.queue.payloads import MAX_TIMELAPSE_FRAMES, BadPayload
from tests.bot_harness import JOB_S, artwork, lienzo_bot, running_worker
from tests.support.queue_reads import result_of
from tests.test_cli import lienzo, workspace  # noqa: F401 - the CLI's fixture
from tests.test_worker import queue  # noqa: F401 - the worker tests' queue fixture

PRODUCT_PRIVATE_EVERY_S, PRODUCT_GROUP_EVERY_S = preview.PRIVATE_EVERY_S, preview.GROUP_EVERY_S
PRIVATE_EVERY_S, GROUP_EVERY_S = 1.0, 3.0  # the tests' pace (the product's: 5 s and 20 s)
LONG = "/style starry_night quality=balanced"  # 300 steps: several previews, even here


@pytest.fixture(scope="module")
def engine_worker(tmp_path_factory, assets):
    """As the harness's, with a preview JPEG every 0.25 s instead of every 3 s."""
    with running_worker(tmp_path_factory.mktemp("watch-e2e"), assets, "watch-e2e-",
                        "--preview-interval", "0.25") as worker:
        yield worker


@pytest.fixture(autouse=True)
def quick_pace(monkeypatch):
    monkeypatch.setattr(preview, "PRIVATE_EVERY_S", PRIVATE_EVERY_S)
    monkeypatch.setattr(preview, "GROUP_EVERY_S", GROUP_EVERY_S)


def media_edits(tg, chat, message_id: int) -> list:
    """editMessageMedia calls for one message, oldest first, with their markup as text."""
    return [c for c in tg.calls_to("editMessageMedia", chat)
            if c.params.get("message_id") == message_id]


def markup_of(call) -> str:
    markup = call.params.get("reply_markup")
    return markup if isinstance(markup, str) else json.dumps(markup)


def is_preview(call) -> bool:
    return '"c:' in markup_of(call)  # the progress keyboard (Cancel), not the result's


def job_of(art) -> str:
    return next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]


def decode_mp4(data: bytes) -> tuple[str, str, int, int, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        seconds = float(stream.duration * stream.time_base) if stream.duration else 0.0
        return ctx.name, ctx.pix_fmt, ctx.width, ctx.height, seconds


@pytest.mark.asyncio
async def test_the_status_shows_the_painting_forming_then_the_timelapse_is_sent(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(1301, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(91), caption=LONG)
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        edits = media_edits(tg, ana.chat, art.message_id)
        previews, last = [c for c in edits if is_preview(c)], edits[-1]
        assert len(previews) >= 2, tg.report("too few previews", ana.chat)
        assert all(c.ok for c in edits) and not is_preview(last)  # the result is the last edit
        assert '"r:full:' in markup_of(last)
        gaps = [b.time - a.time for a, b in zip(previews, previews[1:], strict=False)]
        assert min(gaps) >= PRIVATE_EVERY_S - 0.05, gaps
        # The picture itself changed to a preview (neither the photo nor the artwork) …
        photos = [v["photo"][-1]["file_unique_id"] for _, v in art.versions if v.get("photo")]
        assert len(set(photos)) >= 3, photos
        # … with the progress caption and the Cancel button; nothing came after the result.
        media = previews[0].params["media"]
        media = json.loads(media) if isinstance(media, str) else media
        assert "%" in media["caption"]
        await asyncio.sleep(PRIVATE_EVERY_S * 2)  # a preview would be due by now
        time_after = time.monotonic()
        assert media_edits(tg, ana.chat, art.message_id)[-1] is last

        # The timelapse: a button on the artwork, an H.264 animation ≤ 6 s.
        assert f"r:tl:{job_of(art)}" in art.callback_data
        press = await ana.press(art, f"r:tl:{job_of(art)}")
        await press.answered()
        clip = await tg.wait_for_message(ana.chat, lambda m: "animation" in m, timeout=60,
                                         after=art)
        assert clip.caption == t("en", "done.timelapse_caption")
        codec, pix_fmt, width, height, seconds = decode_mp4(clip.document_bytes)
        assert (codec, pix_fmt) == ("h264", "yuv420p") and width % 2 == 0 and height % 2 == 0
        assert 0 < seconds <= 6.0
        assert (clip["animation"]["width"], clip["animation"]["height"]) == (width, height)
        sendings = tg.calls_to("sendAnimation", ana.chat)
        assert len(sendings) == 1 and sendings[0].time > time_after

        # Kept on disk with the artwork; /forget removes it.
        kept = bot.config.data_dir / "timelapse" / f"{job_of(art)}.zip"
        assert kept.exists()
        ask = await ana.send_text(ana.chat, "/forget")
        confirm = await tg.wait_for_message(ana.chat, after=ask)
        await (await ana.press(confirm, f"fy:{ana.id}")).answered()
        await tg.wait_for(lambda _: confirm.text == t("en", "forget.done"), timeout=20,
                          message="/forget to finish")
        assert not kept.exists()
        again = await ana.press(art, f"r:tl:{job_of(art)}")
        assert (await again.answered()).get("show_alert")
        assert len(tg.calls_to("sendAnimation", ana.chat)) == 1


@pytest.mark.asyncio
async def test_previews_off_is_captions_only(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        bob = tg.user(1302, "Bob", language_code="es")
        ask = await bob.send_text(bob.chat, "/settings")
        panel = await tg.wait_for_message(bob.chat, after=ask)
        assert t("es", "value.previews.on") in panel.text
        await bob.press(panel, "s:previews")
        await tg.wait_for(lambda _: "s:previews:off" in panel.callback_data,
                          message="the preview picker")
        await (await bob.press(panel, "s:previews:off")).answered()
        await tg.wait_for(lambda _: t("es", "value.previews.off") in panel.text,
                          message="the panel to say previews are off")

        sent = await bob.send_photo(bob.chat, assets.photo(92), caption=LONG)
        art = await tg.wait_for_message(bob.chat, artwork, timeout=JOB_S, after=sent)
        edits = media_edits(tg, bob.chat, art.message_id)
        assert len(edits) == 1 and not is_preview(edits[0])  # only the result
        progress = [c for c in tg.calls_to("editMessageCaption", bob.chat)
                    if c.params.get("message_id") == art.message_id and "%" in
                    str(c.params.get("caption"))]
        assert len(progress) >= 2  # the progress bar went on as captions


@pytest.mark.asyncio
async def test_a_failing_preview_falls_back_to_captions_and_the_result_arrives(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        eva = tg.user(1303, "Eva")
        tg.fail_next("editMessageMedia", status=400,
                     description="Bad Request: MEDIA_EMPTY")  # the first preview
        sent = await eva.send_photo(eva.chat, assets.photo(93), caption=LONG)
        art = await tg.wait_for_message(eva.chat, artwork, timeout=JOB_S, after=sent)
        edits = media_edits(tg, eva.chat, art.message_id)
        assert [c.status for c in edits] == [400, 200], tg.report("edits", eva.chat)
        assert is_preview(edits[0]) and not is_preview(edits[1])
        captions = [c for c in tg.calls_to("editMessageCaption", eva.chat)
                    if c.time > edits[0].time and c.time < edits[1].time]
        assert captions, "no caption progress after the failed preview"


@pytest.mark.asyncio
async def test_group_previews_keep_the_group_pace(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets):
        ana = tg.user(1304, "Ana")
        group = tg.group("Painters", privacy=True, members=[ana])
        sent = await ana.send_photo(group, assets.photo(94),
                                    caption=LONG.replace("/style", "/style@LienzoBot"))
        art = await tg.wait_for_message(group, artwork, timeout=JOB_S, after=sent)
        previews = [c for c in media_edits(tg, group, art.message_id) if is_preview(c)]
        assert previews, tg.report("no preview in the group", group)
        gaps = [b.time - a.time for a, b in zip(previews, previews[1:], strict=False)]
        assert all(g >= GROUP_EVERY_S - 0.05 for g in gaps), gaps
        # Every progress bar edit, preview or caption, is one of the job's paced edits:
        # at most one call every 3 s to that message.
        edits = sorted([*previews, *[c for c in tg.calls_to("editMessageCaption", group)
                                     if c.params.get("message_id") == art.message_id
                                     and "%" in str(c.params.get("caption"))]],
                       key=lambda c: c.time)
        progress = [c for c in edits if c.time < media_edits(tg, group, art.message_id)[-1].time]
        gaps = [b.time - a.time for a, b in zip(progress, progress[1:], strict=False)]
        assert all(g >= 2.9 for g in gaps), gaps


def test_the_product_pace_respects_telegram_limits():
    """20 messages a minute per group, shared: one job's previews take ≤ 3 of them;
    in a private chat, no more often than the progress edits themselves."""
    assert 60 / PRODUCT_GROUP_EVERY_S <= 3
    assert PRODUCT_PRIVATE_EVERY_S >= 3.0  # bot.delivery.EDIT_EVERY_S


def test_result_carries_the_timelapse_within_caps():
    frames = tuple(bytes([i]) * 100 for i in range(1, 10))
    result = q.JobResult("job1", 1, "done", jpeg=b"j", png=b"p", timelapse=frames)
    assert q.JobResult.decode(result.encode()).timelapse == frames
    assert q.JobResult.decode(q.JobResult("job1", 1, "done", jpeg=b"j",
                                          png=b"p").encode()).timelapse == ()
    with pytest.raises(BadPayload):
        q.JobResult("job1", 1, "done", jpeg=b"j", png=b"p",
                    timelapse=(b"x",) * (MAX_TIMELAPSE_FRAMES + 1))
    with pytest.raises(BadPayload):
        q.JobResult("job1", 1, "failed", error_code="x", error_message="y", timelapse=(b"x",))


def test_artworks_keep_timelapses_until_the_retention_purge(tmp_path):
    store = Artworks(tmp_path / "artworks.db")
    store.keep_timelapse("job1", [b"a", b"bb"])
    store.keep_timelapse("job2", [b"c"])
    assert store.timelapse("job1") == [b"a", b"bb"] and store.timelapse("nope") is None
    store.purge(time.time() - 3600)  # both younger than the retention period
    assert store.timelapse("job1") and store.timelapse("job2")
    store.purge(time.time() + 1)
    assert store.timelapse("job1") is None and store.timelapse("job2") is None
    assert not list((tmp_path / "timelapse").iterdir())
    store.close()


def test_cli_writes_a_timelapse(workspace):  # noqa: F811 - the CLI's fixture
    tmp, env = workspace
    out, clip = tmp / "art.jpg", tmp / "art.mp4"
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes", "--size", "48",
                 "--iterations", "40", "-o", out, "--timelapse", clip, env_extra=env)
    assert run.returncode == 0, run.stderr[-2000:]
    codec, pix_fmt, width, height, seconds = decode_mp4(clip.read_bytes())
    assert (codec, pix_fmt, width, height) == ("h264", "yuv420p", 48, 36)
    assert 0 < seconds <= 6.0
    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    painting = np.asarray(Image.open(out).convert("RGB"), dtype=float)
    assert len(frames) >= 40 // 2  # snapshots, the wipe, the painting held
    assert np.abs(frames[-1].astype(float) - painting).mean() < 12  # it ends on the painting


class SlowBot:
    """A Bot whose editMessageMedia hangs (an upload held back by flood control)."""

    def __init__(self) -> None:
        self.started, self.finished = asyncio.Event(), False

    async def edit_message_media(self, *args, **kwargs):
        self.started.set()
        await asyncio.sleep(3600)
        self.finished = True


@pytest.mark.asyncio
async def test_the_result_cancels_a_preview_in_flight_and_none_comes_after():
    from bot.status import StatusMessage

    bot = SlowBot()
    live = preview.LivePreview(bot)  # type: ignore[arg-type]
    status = StatusMessage(1, 2, media=True)
    live.begin("job1", True)
    assert live.offer("job1", status, False, b"jpeg1", "50%", None, may_edit=True)
    await asyncio.wait_for(bot.started.wait(), 5)
    assert not live.offer("job1", status, False, b"jpeg2", "60%", None, may_edit=True)  # busy
    await asyncio.wait_for(live.finish("job1"), 1)  # the result does not wait for the upload
    assert not bot.finished
    live.begin("job1", True)  # a late progress event after the result: nothing
    assert not live.offer("job1", status, False, b"jpeg3", "70%", None, may_edit=True)


@pytest.mark.asyncio
async def test_only_a_changed_picture_is_sent_and_not_too_often():
    class Bot:
        calls = 0

        async def edit_message_media(self, *args, **kwargs):
            Bot.calls += 1

    live = preview.LivePreview(Bot())  # type: ignore[arg-type]
    status = preview.StatusMessage(1, 2, media=True)
    live.begin("j", True)
    assert live.offer("j", status, True, b"a", "1%", None, may_edit=True)
    await asyncio.sleep(0)
    assert not live.offer("j", status, True, b"b", "2%", None, may_edit=True)  # group pace
    live._jobs["j"].last_at -= GROUP_EVERY_S
    assert not live.offer("j", status, True, None, "3%", None, may_edit=False)  # caption pace
    assert live.offer("j", status, True, None, "3%", None, may_edit=True)  # "b", kept waiting
    await asyncio.sleep(0)
    live._jobs["j"].last_at -= GROUP_EVERY_S
    assert not live.offer("j", status, True, b"b", "4%", None, may_edit=True)  # unchanged
    text_status = preview.StatusMessage(1, 3, media=False)
    live.begin("t", True)
    assert not live.offer("t", text_status, False, b"a", "1%", None, may_edit=True)
    await live.finish("j")
    assert Bot.calls == 2


def test_the_worker_sends_the_timelapse_with_the_result(queue, assets):  # noqa: F811
    from engine.timelapse import decode_frame
    from tests.test_worker import FakeEngine, make_worker, submit

    worker = make_worker(queue, FakeEngine(steps=6))  # a snapshot every 2 steps
    assert worker.process(submit(queue, assets)) == "done"
    frames = result_of(queue, "job1").timelapse
    assert len(frames) == 1 + 3 + 1  # the photo, the snapshots, the painting
    shapes = {decode_frame(f).shape for f in frames}
    assert len(shapes) == 1 and all(side % 2 == 0 for side in next(iter(shapes))[:2])
    assert np.abs(decode_frame(frames[-1]).astype(int) - 77).mean() < 3  # the painting


@pytest.mark.asyncio
async def test_fake_telegram_plays_only_what_telegram_would_as_an_animation():
    """sendAnimation: an H.264 yuv420p MP4 (even sides) is an animation whose size and
    length come from the file; anything else is only a document."""
    from tests.support.fake_telegram import FakeTelegram
    from tests.test_mp4 import moving

    good = mp4.encode(moving(20, 64, 48), fps=10)
    odd = io.BytesIO()
    with av.open(odd, "w", format="mp4") as container:  # H.264 in 4:4:4: not for phones
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
        for frame in moving(5, 64, 48):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    async with FakeTelegram(bot_username="LienzoBot") as tg, tg.make_bot() as bot:
        ana = tg.user(1001, "Ana")
        sent = await bot.send_animation(ana.id, good, filename="a.mp4", width=1, height=1,
                                        duration=60, caption="<b>hi</b>", parse_mode="HTML")
        assert sent.animation is not None and sent.document is not None
        assert (sent.animation.width, sent.animation.height) == (64, 48)
        assert sent.animation.duration in (2, timedelta(seconds=2)) and sent.caption == "hi"
        for data in (odd.getvalue(), b"not a video at all"):
            other = await bot.send_animation(ana.id, data, filename="b.mp4")
            assert other.animation is None and other.document is not None


def test_an_artworks_store_from_before_clips_reads_its_kinds(tmp_path):
    """artworks.db written with ``as_document`` (photos and files only) opens with
    each artwork's ``kind``, and takes clips from then on."""
    import sqlite3

    path = tmp_path / "artworks.db"
    with sqlite3.connect(path) as db:
        db.executescript("""
            create table artworks (user_id integer not null, job_id text not null,
                file_id text not null, as_document integer not null, styles text not null,
                names text not null, created_at real not null, primary key (user_id, job_id));
            insert into artworks values (7, 'a', 'f1', 0, '["great_wave"]', 'great_wave', 1);
            insert into artworks values (7, 'b', 'f2', 1, '[]', 'own', 2);""")
    store = Artworks(path)
    store.add(Artwork(7, "c", "f3", "animation", ("the_scream",), 3.0), ["the_scream"])
    assert [(a.job_id, a.kind, a.styles) for a in store.of_user(7)] == [
        ("c", "animation", ("the_scream",)), ("b", "document", ()),
        ("a", "photo", ("great_wave",))]
    store.close()
