"""The artworks each person has been sent: what inline mode lists (``@bot``) and
what the Share button shares (issue #11, "Share and keep").

One row per (user, job): the Telegram file id of the delivered picture (sending
it again costs nothing), what kind of message it went as (``KINDS``: a photo, a
file, a painted GIF - an animation - or a painted video), its styles and the names
a search matches (ids and display names in every language, lower-cased), and
when.  ``<data dir>/artworks.db``; a user's rows are read newest first through
the ``(user_id, created_at)`` index, so listing one person's artworks costs the
same with a thousand people in the store as with one.

Everything else kept with an artwork has its owner here too, on disk beside
the database (``bot.stores.job_files``): its full-resolution PNG
(``full_size``, ``results/<job>.png``) and its timelapse's frames
(``timelapses``, ``timelapse/<job>.zip``).  ``purge`` removes them all when
the retention period ends, ``forget`` at /forget (``bot.forget``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.stores.db import Database, Step, columns
from bot.stores.job_files import JobFiles, Timelapses


def _kind(db: sqlite3.Connection) -> None:
    """An artworks.db from before clips were kept (photos and files: ``as_document``)."""
    if "kind" not in columns(db, "artworks"):
        db.execute("alter table artworks add column kind text not null default 'photo'")
        db.execute("update artworks set kind = 'document' where as_document = 1")
        db.execute("alter table artworks drop column as_document")


MIGRATIONS: tuple[Step, ...] = (
    "create table if not exists artworks (user_id integer not null, job_id text not null, "
    "file_id text not null, kind text not null, styles text not null, names text not null, "
    "created_at real not null, primary key (user_id, job_id))",
    "create index if not exists artworks_by_user on artworks (user_id, created_at desc)",
    _kind,
)
_COLUMNS = "user_id, job_id, file_id, kind, styles, names, created_at"
#: How an artwork was sent: a photo, a file (too big for a photo), a painted GIF
#: (an animation), a painted video - and so how it is sent again.
KINDS = ("photo", "document", "animation", "video")


@dataclass(frozen=True)
class Artwork:
    user_id: int
    job_id: str
    file_id: str
    kind: str  # KINDS
    styles: tuple[str, ...]  # catalogue ids; empty: the person's own painting
    created_at: float

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"an artwork's kind is one of {KINDS}, not {self.kind!r}")


def _artwork(row: Sequence[Any]) -> Artwork:
    """A row selected with ``_COLUMNS``."""
    user_id, job_id, file_id, kind, styles, _, created_at = row
    return Artwork(user_id, job_id, file_id, kind, tuple(json.loads(styles)), created_at)


class Artworks:
    """The store and the files kept with each artwork; thread-safe (``bot.stores.db``)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, "artworks", MIGRATIONS)
        self.full_size = JobFiles(path.parent / "results", ".png")
        self.timelapses = Timelapses(path.parent / "timelapse")

    def close(self) -> None:
        self._db.close()

    def add(self, artwork: Artwork, names: list[str]) -> None:
        """Keep ``artwork``; ``names``: what a search for it may match."""
        self._db.run(
            f"insert or replace into artworks ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)",
            (artwork.user_id, artwork.job_id, artwork.file_id, artwork.kind,
             json.dumps(list(artwork.styles)), "\n".join(n.lower() for n in names),
             artwork.created_at))

    def of_user(self, user_id: int, search: str = "", offset: int = 0,
                limit: int = 50, kinds: Sequence[str] = KINDS) -> list[Artwork]:
        """The user's artworks of these ``kinds``, newest first; ``search`` (any part of a
        style's id or name, or an artwork's job id) narrows them."""
        sql = f"select {_COLUMNS} from artworks where user_id = ? " \
              f"and kind in ({', '.join('?' for _ in kinds)})"
        args: list[object] = [user_id, *kinds]
        if search:
            sql += " and (instr(names, ?) > 0 or job_id = ?)"
            args += [search.lower(), search]
        sql += " order by created_at desc, job_id limit ? offset ?"
        return [_artwork(row) for row in self._db.rows(sql, [*args, limit, offset])]

    def one(self, user_id: int, job_id: str) -> Artwork | None:
        """The user's artwork of ``job_id``; None when it is not theirs (or gone)."""
        row = self._db.row(f"select {_COLUMNS} from artworks where user_id = ? and job_id = ?",
                           (user_id, job_id))
        return _artwork(row) if row else None

    def delete(self, user_id: int, job_id: str) -> bool:
        """The 🗑 button: the artwork leaves the list (its files go with the purge)."""
        return self._db.run("delete from artworks where user_id = ? and job_id = ?",
                            (user_id, job_id)) > 0

    def forget(self, user_id: int, job_ids: Iterable[str]) -> tuple[int, int]:
        """/forget: every artwork of the user, and the files of ``job_ids`` (their
        jobs); how many artworks and files there were."""
        count = self._db.run("delete from artworks where user_id = ?", (user_id,))
        job_ids = list(job_ids)
        return count, self.full_size.delete(job_ids) + self.timelapses.delete(job_ids)

    def purge(self, before: float) -> int:
        """The retention period: artworks made before ``before`` go, and their files
        (by the file's age: a file may outlive its row's job); how many artworks."""
        self.full_size.purge(before)
        self.timelapses.purge(before)
        return self._db.run("delete from artworks where created_at < ?", (before,))
