"""The one door to SQLite for the bot's stores: open a file, run statements
from any thread, transactions, numbered migrations.

Every store (settings, the result cache, the chats that left, artworks, the
inbox, the job table) opens its file here, the same way:

- one connection per store, shared by every thread (the bot calls stores through
  ``asyncio.to_thread``) behind a re-entrant lock, so statements never interleave;
- autocommit, so a single statement is its own short transaction, and ``tx``
  for several (``BEGIN IMMEDIATE``: the write lock is taken at once, so two
  transactions cannot deadlock upgrading from read to write);
- WAL (readers never wait for the writer), ``synchronous=normal`` (a killed
  process loses nothing committed; the inbox asks for ``full``: its updates must
  survive a power cut too), a busy timeout of ``BUSY_TIMEOUT_S``;
- migrations: each store lists its steps, oldest first; step *n* is migration
  number *n*.  The steps not yet applied run in one transaction (a crash half-way
  leaves the file as it was) and the store's version is written in the same one,
  in ``schema_versions`` - a table, not ``PRAGMA user_version``, because several
  stores share a file (``bot.db``).  A step is one SQL statement or a function of
  the connection (for a change that depends on what an older file holds).
  Files written before migrations were numbered were made with the first steps'
  ``if not exists``, so they open as they are.

A new store (the payments ledger) is a list of steps and a ``Database``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

BUSY_TIMEOUT_S = 30.0  # how long a statement waits for another connection's write lock

#: One migration: an SQL statement, or a function that changes the file itself.
Step = str | Callable[[sqlite3.Connection], None]


class NewerFile(RuntimeError):
    """The file was migrated by a newer version of the bot than this one."""


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    """The column names of ``table`` (for steps that bring an older file up to date)."""
    return {row[1] for row in db.execute(f"pragma table_info({table})")}


class Database:
    """One store's connection to its file, migrated on opening (``version``)."""

    def __init__(self, path: Path, store: str, migrations: Sequence[Step], *,
                 synchronous: Literal["normal", "full"] = "normal") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute(f"pragma synchronous={synchronous}")
        self.version = self._migrate(store, migrations)

    def _migrate(self, store: str, migrations: Sequence[Step]) -> int:
        with self.tx() as db:
            db.execute("create table if not exists schema_versions "
                       "(store text primary key, version integer not null)")
            row = db.execute("select version from schema_versions where store = ?",
                             (store,)).fetchone()
            done = row[0] if row else 0
            if done > len(migrations):
                raise NewerFile(f"the {store} store is at migration {done}; this version of "
                                f"the bot knows {len(migrations)}")
            for step in migrations[done:]:
                if isinstance(step, str):
                    db.execute(step)
                else:
                    step(db)
            db.execute("insert into schema_versions values (?, ?) on conflict (store) "
                       "do update set version = excluded.version", (store, len(migrations)))
        return len(migrations)

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on an error)."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row ``sql`` selects."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def row(self, sql: str, params: Sequence[Any] = ()) -> Any | None:
        """The first row ``sql`` selects, or None."""
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement, its own transaction; the rows it changed."""
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def run_many(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        """One statement for each of ``params``, in one transaction; the rows changed."""
        with self.tx() as db:
            return db.executemany(sql, params).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
