"""The artworks each person has been sent: what inline mode lists (``@bot``) and
what the Share button shares (issue #11, "Share and keep").

One row per (user, job): the Telegram file id of the delivered picture (sending
it again costs nothing), what kind of message it went as (``KINDS``: a photo, a
file, a painted GIF - an animation - or a painted video), its styles and the names
a search matches (ids and display names in every language, lower-cased), and
when.  ``<data dir>/artworks.db``; a user's rows are read newest first through
the ``(user_id, created_at)`` index, so listing one person's artworks costs the
same with a thousand people in the store as with one.

An artwork's timelapse frames (issue 13, "Watch it paint": the photo, the
snapshots, the painting, as JPEGs from the worker's result) are kept next to
the database, ``<data dir>/timelapse/<job>.zip`` (stored, not compressed:
JPEGs do not shrink), on disk rather than in memory, for as long as the
artwork: ``purge`` removes them with the rows, and /forget by job
(``bot.privacy``).  The "🎞 Timelapse" button makes the MP4 from them.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.queue.payloads import JOB_ID_RE

_SCHEMA = """
create table if not exists artworks (
    user_id integer not null,
    job_id text not null,
    file_id text not null,
    kind text not null,
    styles text not null,
    names text not null,
    created_at real not null,
    primary key (user_id, job_id)
);
create index if not exists artworks_by_user on artworks (user_id, created_at desc);
"""
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


class Artworks:
    """The store; thread-safe (one connection behind a lock, short statements)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")  # as the job table: safe if we crash
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("pragma table_info(artworks)")}
        if "kind" not in columns:  # an artworks.db from before clips were kept (photos, files)
            self._db.executescript("""
                begin;
                alter table artworks add column kind text not null default 'photo';
                update artworks set kind = 'document' where as_document = 1;
                alter table artworks drop column as_document;
                commit;""")  # all or nothing: a crash half-way leaves the old table
        self.timelapse_dir = path.parent / "timelapse"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, artwork: Artwork, names: list[str]) -> None:
        """Keep ``artwork``; ``names``: what a search for it may match."""
        with self._lock:
            self._db.execute(
                f"insert or replace into artworks ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)",
                (artwork.user_id, artwork.job_id, artwork.file_id, artwork.kind,
                 json.dumps(list(artwork.styles)), "\n".join(n.lower() for n in names),
                 artwork.created_at))

    def of_user(self, user_id: int, search: str = "", offset: int = 0,
                limit: int = 50) -> list[Artwork]:
        """The user's artworks, newest first; ``search`` (any part of a style's id or
        name, or an artwork's job id) narrows them."""
        sql = f"select {_COLUMNS} from artworks where user_id = ?"
        args: list[object] = [user_id]
        if search:
            sql += " and (instr(names, ?) > 0 or job_id = ?)"
            args += [search.lower(), search]
        sql += " order by created_at desc, job_id limit ? offset ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, limit, offset]).fetchall()
        return [Artwork(user_id, job_id, file_id, kind, tuple(json.loads(styles)), created_at)
                for user_id, job_id, file_id, kind, styles, _, created_at in rows]

    def delete(self, user_id: int, job_id: str) -> bool:
        with self._lock:
            return self._db.execute("delete from artworks where user_id = ? and job_id = ?",
                                    (user_id, job_id)).rowcount > 0

    def forget_user(self, user_id: int) -> int:
        """Drop every artwork of the user (/forget); how many there were."""
        with self._lock:
            return self._db.execute("delete from artworks where user_id = ?",
                                    (user_id,)).rowcount

    def purge(self, before: float) -> int:
        """Drop artworks made before ``before`` (the retention period), and their
        timelapses (by the file's age: a timelapse may outlive its row's job)."""
        for path in self.timelapse_dir.glob("*.zip"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < before:
                    path.unlink()
        with self._lock:
            return self._db.execute("delete from artworks where created_at < ?",
                                    (before,)).rowcount

    # -- timelapses ---------------------------------------------------------------------
    def _timelapse_path(self, job_id: str) -> Path:
        if not JOB_ID_RE.fullmatch(job_id):
            raise ValueError(f"bad job id {job_id!r}")
        return self.timelapse_dir / f"{job_id}.zip"

    def keep_timelapse(self, job_id: str, frames: Sequence[bytes]) -> None:
        """Keep a job's timelapse frames (written whole, then renamed: never half a file)."""
        path = self._timelapse_path(job_id)
        self.timelapse_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{job_id}.{time.monotonic_ns()}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for i, frame in enumerate(frames):
                archive.writestr(f"{i:03d}.jpg", frame)
        tmp.replace(path)

    def timelapse(self, job_id: str) -> list[bytes] | None:
        """The job's timelapse frames in order, or None (none kept, or purged)."""
        try:
            with zipfile.ZipFile(self._timelapse_path(job_id)) as archive:
                return [archive.read(name) for name in sorted(archive.namelist())]
        except (FileNotFoundError, zipfile.BadZipFile, ValueError):
            return None

    def forget_timelapses(self, job_ids: Iterable[str]) -> int:
        """/forget: the timelapses of these jobs; how many there were."""
        count = 0
        for job_id in job_ids:
            with contextlib.suppress(FileNotFoundError, ValueError):
                self._timelapse_path(job_id).unlink()
                count += 1
        return count
