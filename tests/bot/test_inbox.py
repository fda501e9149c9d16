"""The durable inbox (bot.inbox) on its own: what a restart handles again, and when
an update counts as done.  The bot killed for real: tests/e2e/test_reliability.py."""

from __future__ import annotations

import asyncio
import json
import time

from bot import inbox as inbox_module
from bot.inbox import Inbox, StatusRef


def update(update_id: int, text: str = "hi") -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0,
                                                "chat": {"id": 1, "type": "private"},
                                                "text": text}}


def test_recorded_updates_are_handed_back_until_done(tmp_path):
    box = Inbox(tmp_path / "inbox.db")
    box.record([update(1), update(2), update(3)])
    box.record([update(2)])  # Telegram sent it again: kept once
    assert box.begin(1) and box.begin(2)
    asyncio.run(box.handled(1))
    box.keep(2)  # its photo is still being fetched
    asyncio.run(box.handled(2))
    box.close()

    after_crash = Inbox(tmp_path / "inbox.db")
    assert [u["update_id"] for u in after_crash.unfinished()] == [2, 3]
    assert not after_crash.begin(1)  # done before the crash: Telegram's re-send is skipped
    assert after_crash.begin(2) and not after_crash.begin(2)  # replayed, then re-sent: once
    after_crash.close()


def test_an_update_is_done_when_handled_and_every_hold_released(tmp_path):
    box = Inbox(tmp_path / "inbox.db")
    box.record([update(7)])
    box.keep(7)
    box.keep(7)  # an album: two holds on one update

    async def steps() -> list[list[int]]:
        seen = []
        await box.handled(7)
        seen.append([u["update_id"] for u in box.unfinished()])
        await box.release(7)
        seen.append([u["update_id"] for u in box.unfinished()])
        await box.release(7)
        seen.append([u["update_id"] for u in box.unfinished()])
        return seen

    assert asyncio.run(steps()) == [[7], [7], []]
    box.close()


def test_the_first_answer_is_remembered_for_the_replay(tmp_path):
    box = Inbox(tmp_path / "inbox.db")
    box.record([update(5)])
    assert box.status_of(5) is None
    box.remember_status(5, StatusRef(chat_id=1, message_id=42, media=True))
    box.close()
    assert Inbox(tmp_path / "inbox.db").status_of(5) == StatusRef(1, 42, True)


def test_done_updates_are_forgotten_after_a_day(tmp_path, monkeypatch):
    box = Inbox(tmp_path / "inbox.db")
    box.record([update(1), update(2)])
    asyncio.run(box.handled(1))
    box.close()
    later = time.time() + inbox_module.KEEP_DONE_S + 60
    monkeypatch.setattr(inbox_module.time, "time", lambda: later)
    box = Inbox(tmp_path / "inbox.db")
    assert box.begin(1)  # forgotten: Telegram never re-sends after a day
    assert [u["update_id"] for u in box.unfinished()] == [2]  # never done: kept
    box.close()


def test_inbox_forgets_every_update_naming_the_user(tmp_path):
    inbox = Inbox(tmp_path / "inbox.db")
    ana = {"id": 5, "is_bot": False, "first_name": "Ana"}
    bob = {"id": 6, "is_bot": False, "first_name": "Bob"}
    group = {"id": -100, "type": "group"}
    inbox.record([
        {"update_id": 1, "message": {"from": ana, "chat": {"id": 5, "type": "private"}}},
        {"update_id": 2, "message": {"from": bob, "chat": group,
                                     "reply_to_message": {"from": ana, "chat": group}}},
        {"update_id": 3, "callback_query": {"from": bob, "message": {"chat": {"id": 5}}}},
        {"update_id": 4, "inline_query": {"from": ana, "query": ""}},
        {"update_id": 5, "message": {"from": bob, "chat": group, "text": "5 cats",
                                     "photo": [{"file_size": 5}]}},
    ])
    assert inbox.forget_user(5) == 4
    assert [u["update_id"] for u in inbox.unfinished()] == [5]
    assert json.dumps(inbox.unfinished()).count('"id": 6') == 1
    inbox.close()
