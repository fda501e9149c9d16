"""The chats that left (bot/stores/gone_chats.py): marked, reopened, kept across
restarts, purged by age, and forgotten with their person."""

from __future__ import annotations

import sqlite3
import time

from bot.stores.gone_chats import GoneChats


def test_marks_are_kept_across_restarts_until_the_chat_comes_back(tmp_path):
    path = tmp_path / "bot.db"
    gone = GoneChats(path)
    gone.mark(5, True)
    gone.mark(5, True)  # twice: still one mark, since the first time
    gone.mark(6, True)
    gone.close()
    again = GoneChats(path)
    assert again.all() == {5, 6}
    again.mark(5, False)
    assert again.all() == {6}
    assert again.forget_chat(6) == 1 and again.all() == set()
    again.close()


def test_old_marks_go_with_the_retention_period(tmp_path):
    path = tmp_path / "bot.db"
    gone = GoneChats(path)
    gone.mark(5, True)
    gone.mark(6, True)
    with sqlite3.connect(path) as db:
        db.execute("update gone_chats set since = 0 where chat_id = 5")
    assert gone.forget_before(time.time() - 60) == 1 and gone.all() == {6}
    gone.close()
