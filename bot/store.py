"""The bot's own small persistent state: user settings, the result cache and the
chats that left (``bot.chat_gate``).

One SQLite file (``<data dir>/bot.db``), separate from the job table, with
short transactions from any thread.  Settings are what ``/settings`` changes;
the cache maps (person, photo, style, settings) to the Telegram file id of an
earlier result so the same request is answered at once without the engine.

Nothing here is kept for ever (``LIENZO_RETENTION_DAYS``, what /privacy says):
cached results go that long after they were made, settings that long after
their owner last changed them or sent a picture (``used_at``), a chat's "gone"
mark that long after it left (``forget_idle_before``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

_SCHEMA = """
create table if not exists user_settings (
    user_id integer primary key,
    value text not null,
    used_at real not null default 0
);
create table if not exists result_cache (
    key text primary key,
    job_id text not null,
    file_id text not null,
    as_document integer not null,
    caption text not null,
    created_at real not null
);
create table if not exists gone_chats (
    chat_id integer primary key,
    since real not null
);
"""


@dataclass(frozen=True)
class UserSettings:
    """Per-user defaults; ``language`` None means 'follow Telegram's language'.

    Kept as one JSON object per user (``user_settings.value``), so a field added
    here needs no new column: a row written before it existed reads back with the
    field's default, and a field this version does not know is ignored."""

    language: str | None = None
    strength: str = "medium"
    color_mode: str = "style"
    quality: str | None = None  # None: the deployment's default
    size: int | None = None  # None: the deployment's default
    faces: str | None = None  # None: StyleParams' default ("soft"); engine.params.FACES
    brush: str | None = None  # None: StyleParams' style_scale (medium); engine.params.BRUSHES
    previews: bool = True  # the status message shows the painting as it forms (bot.delivery)

    def with_changes(self, **changes) -> UserSettings:
        return replace(self, **changes)


@dataclass(frozen=True)
class CachedResult:
    """An artwork already sent: re-sending its Telegram file id costs nothing."""

    job_id: str
    file_id: str
    as_document: bool
    caption: str


class BotStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("pragma table_info(user_settings)")}
        if "used_at" not in columns:  # a bot.db from before settings had a retention
            with self._db:  # one transaction: a crash half-way leaves the old table
                self._db.execute("begin")
                self._db.execute("alter table user_settings add column used_at real "
                                 "not null default 0")
                self._db.execute("update user_settings set used_at = ?", (time.time(),))
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # -- settings --------------------------------------------------------------
    def settings(self, user_id: int) -> UserSettings:
        with self._lock:
            row = self._db.execute(
                "select value from user_settings where user_id = ?", (user_id,)
            ).fetchone()
        if row is None:
            return UserSettings()
        known = UserSettings.__dataclass_fields__
        return UserSettings(**{k: v for k, v in json.loads(row[0]).items() if k in known})

    def save_settings(self, user_id: int, settings: UserSettings) -> None:
        with self._lock:
            self._db.execute(
                "insert into user_settings (user_id, value, used_at) values (?, ?, ?) "
                "on conflict(user_id) do update set value = excluded.value, "
                "used_at = excluded.used_at",
                (user_id, json.dumps(asdict(settings)), time.time()),
            )

    def settings_used(self, user_id: int) -> None:
        """The person sent a picture: their settings are in use (kept another
        retention period)."""
        with self._lock:
            self._db.execute("update user_settings set used_at = ? where user_id = ?",
                             (time.time(), user_id))

    # -- result cache ---------------------------------------------------------------
    def cached_result(self, key: str) -> CachedResult | None:
        with self._lock:
            row = self._db.execute(
                "select job_id, file_id, as_document, caption from result_cache where key = ?",
                (key,),
            ).fetchone()
        return CachedResult(row[0], row[1], bool(row[2]), row[3]) if row else None

    def remember_result(self, key: str, result: CachedResult) -> None:
        with self._lock:
            self._db.execute(
                "insert or replace into result_cache values (?, ?, ?, ?, ?, ?)",
                (key, result.job_id, result.file_id, int(result.as_document), result.caption,
                 time.time()),
            )

    def forget_results_before(self, when: float) -> int:
        """The retention period: cached file ids of results older than ``when`` go."""
        with self._lock:
            return self._db.execute("delete from result_cache where created_at < ?",
                                    (when,)).rowcount

    def forget_idle_before(self, when: float) -> int:
        """The retention period for the rest: settings unused since ``when`` and "gone"
        marks of chats that left before it (a blocked bot's data goes the same way);
        the rows deleted."""
        with self._lock:
            count = self._db.execute("delete from user_settings where used_at < ?",
                                     (when,)).rowcount
            return count + self._db.execute("delete from gone_chats where since < ?",
                                            (when,)).rowcount

    # -- chats that left --------------------------------------------------------------
    def gone_chats(self) -> set[int]:
        with self._lock:
            return {row[0] for row in self._db.execute("select chat_id from gone_chats")}

    def mark_gone(self, chat_id: int, gone: bool) -> None:
        with self._lock:
            if gone:
                self._db.execute("insert or ignore into gone_chats values (?, ?)",
                                 (chat_id, time.time()))
            else:
                self._db.execute("delete from gone_chats where chat_id = ?", (chat_id,))

    # -- /forget ----------------------------------------------------------------------
    def forget_user(self, user_id: int, job_ids: list[str]) -> int:
        """Drop the user's settings, the cached results of ``job_ids`` (their jobs) and
        their private chat's "gone" mark (its id is the user's); the rows deleted."""
        with self._lock:
            count = self._db.execute("delete from user_settings where user_id = ?",
                                     (user_id,)).rowcount
            count += self._db.execute("delete from gone_chats where chat_id = ?",
                                      (user_id,)).rowcount
            count += self._db.executemany("delete from result_cache where job_id = ?",
                                          [(j,) for j in job_ids]).rowcount
        return count
