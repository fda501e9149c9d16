"""The result cache: (person, photo, style, settings) → the Telegram file id of
an artwork already sent, so the same request is answered at once without the
engine (``bot.intake`` reads it, ``bot.delivery`` fills it).

A table of ``bot.db`` (``bot.stores.db``).  An entry goes
``LIENZO_RETENTION_DAYS`` after it was made (``forget_before``, the bot's
hourly purge), or with its job at /forget.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.stores.db import Database, Step

MIGRATIONS: tuple[Step, ...] = (
    "create table if not exists result_cache (key text primary key, job_id text not null, "
    "file_id text not null, as_document integer not null, caption text not null, "
    "created_at real not null)",
)


@dataclass(frozen=True)
class CachedResult:
    """An artwork already sent: re-sending its Telegram file id costs nothing."""

    job_id: str
    file_id: str
    as_document: bool
    caption: str


class ResultCache:
    """The cache table; thread-safe (``bot.stores.db``)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, "result_cache", MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def get(self, key: str) -> CachedResult | None:
        row = self._db.row("select job_id, file_id, as_document, caption from result_cache "
                           "where key = ?", (key,))
        return CachedResult(row[0], row[1], bool(row[2]), row[3]) if row else None

    def remember(self, key: str, result: CachedResult) -> None:
        self._db.run("insert or replace into result_cache values (?, ?, ?, ?, ?, ?)",
                     (key, result.job_id, result.file_id, int(result.as_document),
                      result.caption, time.time()))

    def forget_before(self, when: float) -> int:
        """The retention period: cached file ids of results older than ``when`` go."""
        return self._db.run("delete from result_cache where created_at < ?", (when,))

    def forget_jobs(self, job_ids: Iterable[str]) -> int:
        """/forget: the cached results of these jobs; how many."""
        return self._db.run_many("delete from result_cache where job_id = ?",
                                 [(j,) for j in job_ids])
