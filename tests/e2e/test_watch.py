"""Watch it paint (issue 13, items 1 and 2), end to end: the status message shows the
painting as it forms (editMessageMedia, paced, off by /settings, falling back to
captions on an error, never after the result), and the "🎞 Timelapse" button sends
an MP4 animation kept with the artwork, against the fake Bot API with a real engine
worker (``tests.support.bot_harness``) that writes a preview every 0.25 s."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot import preview
from bot.texts import t
from tests.support.bot_harness import (
    JOB_S,
    artwork,
    is_look,
    job_of,
    lienzo_bot,
    markup_of,
    media_edits,
)
from tests.support.clips import decode_mp4
from tests.support.workers import running_worker

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


def is_preview(call) -> bool:
    """A live preview: the progress keyboard (Cancel), not the result's; not the first
    look, which comes before any preview (tests/e2e/test_first_look.py)."""
    return '"c:' in markup_of(call) and not is_look(call)


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
        codec, pix_fmt, _, width, height, seconds = decode_mp4(clip.document_bytes)
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
        await tg.wait_for(lambda _: confirm.text == t("en", "forget.done"), timeout=60,
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
        edits = [c for c in media_edits(tg, bob.chat, art.message_id) if not is_look(c)]
        assert len(edits) == 1 and not is_preview(edits[0])  # only the result
        progress = [c for c in tg.calls_to("editMessageCaption", bob.chat)
                    if c.params.get("message_id") == art.message_id and "%" in
                    str(c.params.get("caption"))]
        assert len(progress) >= 2  # the progress bar went on as captions


@pytest.mark.asyncio
async def test_a_failing_preview_falls_back_to_captions_and_the_result_arrives(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    # No first look: it would be the first editMessageMedia, the one made to fail
    # (a refused look: tests/e2e/test_first_look.py).
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_FIRST_LOOK="off"):
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


