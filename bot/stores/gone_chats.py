"""The chats that left: where Telegram answered 403 or "chat not found"
(``bot.chat_gate`` closes them, and opens one again when someone there writes).

Kept across restarts, so a restarted bot does not call a blocked chat again.  A
table of ``bot.db`` (``bot.stores.db``); a mark goes ``LIENZO_RETENTION_DAYS``
after the chat left (``forget_before``: a person who blocked the bot is
forgotten the same way), or at /forget (a private chat's id is its person's).
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.stores.db import Database, Step

MIGRATIONS: tuple[Step, ...] = (
    "create table if not exists gone_chats (chat_id integer primary key, since real not null)",
)


class GoneChats:
    """The "gone" marks; thread-safe (``bot.stores.db``)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, "gone_chats", MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def all(self) -> set[int]:
        return {row[0] for row in self._db.rows("select chat_id from gone_chats")}

    def mark(self, chat_id: int, gone: bool) -> None:
        if gone:
            self._db.run("insert or ignore into gone_chats values (?, ?)", (chat_id, time.time()))
        else:
            self._db.run("delete from gone_chats where chat_id = ?", (chat_id,))

    def forget_before(self, when: float) -> int:
        """The retention period: marks of chats that left before ``when`` go; how many."""
        return self._db.run("delete from gone_chats where since < ?", (when,))

    def forget_chat(self, chat_id: int) -> int:
        """/forget: the mark of the person's private chat (its id is theirs); 0 or 1."""
        return self._db.run("delete from gone_chats where chat_id = ?", (chat_id,))
