"""The live preview (bot/preview.py) on its own: its pace against Telegram's limits,
only a changed picture sent, and nothing after the result.  The status message
showing the painting as it forms, end to end: tests/e2e/test_watch.py."""

from __future__ import annotations

import asyncio

import pytest

from bot import preview
from bot.status import StatusMessage


def test_the_product_pace_respects_telegram_limits():
    """20 messages a minute per group, shared: one job's previews take ≤ 3 of them;
    in a private chat, no more often than the progress edits themselves."""
    assert 60 / preview.GROUP_EVERY_S <= 3
    assert preview.PRIVATE_EVERY_S >= 3.0  # bot.delivery.EDIT_EVERY_S


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
    bot = SlowBot()
    live = preview.LivePreview(bot)  # type: ignore[arg-type]
    status = StatusMessage(1, 2, media=True)
    live.begin("job1", True)
    assert live.offer("job1", status, False, b"jpeg1", "50%", None, may_edit=True)
    await asyncio.wait_for(bot.started.wait(), 60)
    assert not live.offer("job1", status, False, b"jpeg2", "60%", None, may_edit=True)  # busy
    await asyncio.wait_for(live.finish("job1"), 60)  # not the hour the upload hangs
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
    live._jobs["j"].last_at -= preview.GROUP_EVERY_S
    assert not live.offer("j", status, True, None, "3%", None, may_edit=False)  # caption pace
    assert live.offer("j", status, True, None, "3%", None, may_edit=True)  # "b", kept waiting
    await asyncio.sleep(0)
    live._jobs["j"].last_at -= preview.GROUP_EVERY_S
    assert not live.offer("j", status, True, b"b", "4%", None, may_edit=True)  # unchanged
    text_status = preview.StatusMessage(1, 3, media=False)
    live.begin("t", True)
    assert not live.offer("t", text_status, False, b"a", "1%", None, may_edit=True)
    await live.finish("j")
    assert Bot.calls == 2
