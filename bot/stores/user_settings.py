"""Each person's settings: what ``/settings`` changes (``bot.handlers.settings``)
and every request starts from (``bot.intake``).

A table of ``bot.db`` (``bot.stores.db``).  Kept while in use: a row goes
``LIENZO_RETENTION_DAYS`` after its owner last changed it or sent a picture
(``used_at``; ``forget_unused_before``, the bot's hourly purge), or at /forget.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bot.stores.db import Database, Step, columns


def _used_at(db: sqlite3.Connection) -> None:
    """A bot.db from before settings had a retention: every row counts as used now."""
    if "used_at" not in columns(db, "user_settings"):
        db.execute("alter table user_settings add column used_at real not null default 0")
        db.execute("update user_settings set used_at = ?", (time.time(),))


MIGRATIONS: tuple[Step, ...] = (
    "create table if not exists user_settings (user_id integer primary key, "
    "value text not null, used_at real not null default 0)",
    _used_at,
)


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


_SAVE = ("insert into user_settings (user_id, value, used_at) values (?, ?, ?) "
         "on conflict(user_id) do update set value = excluded.value, used_at = excluded.used_at")


def _read(row: Any | None) -> UserSettings:
    """A row's settings; a field this version does not know is ignored."""
    if row is None:
        return UserSettings()
    known = UserSettings.__dataclass_fields__
    return UserSettings(**{k: v for k, v in json.loads(row[0]).items() if k in known})


class SettingsStore:
    """The settings table; thread-safe (``bot.stores.db``)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, "user_settings", MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def settings(self, user_id: int) -> UserSettings:
        return _read(self._db.row("select value from user_settings where user_id = ?",
                                  (user_id,)))

    def save(self, user_id: int, settings: UserSettings) -> None:
        self._db.run(_SAVE, (user_id, json.dumps(asdict(settings)), time.time()))

    def change(self, user_id: int, change: Callable[[UserSettings], UserSettings]
               ) -> UserSettings:
        """The person's settings changed by ``change``, read and written in one
        transaction: two changes at once (the studio's sliders, the chat's panel) both
        stay, neither writes back what it read before the other."""
        with self._db.tx() as db:
            changed = change(_read(db.execute(
                "select value from user_settings where user_id = ?", (user_id,)).fetchone()))
            db.execute(_SAVE, (user_id, json.dumps(asdict(changed)), time.time()))
        return changed

    def used(self, user_id: int) -> None:
        """The person sent a picture: their settings are in use (kept another
        retention period)."""
        self._db.run("update user_settings set used_at = ? where user_id = ?",
                     (time.time(), user_id))

    def forget_unused_before(self, when: float) -> int:
        """The retention period: settings unused since ``when`` go; how many."""
        return self._db.run("delete from user_settings where used_at < ?", (when,))

    def forget_user(self, user_id: int) -> int:
        """/forget: the user's settings; how many rows (0 or 1)."""
        return self._db.run("delete from user_settings where user_id = ?", (user_id,))
