"""The one door to SQLite (bot/stores/db.py): WAL, numbered migrations applied once
and all in one transaction, several stores in one file, transactions."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from bot.stores.db import Database, NewerFile, columns


def versions(path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("select store, version from schema_versions"))


def test_a_file_is_opened_in_wal_with_a_busy_timeout(tmp_path):
    db = Database(tmp_path / "a.db", "things", ["create table things (x integer)"])
    assert db.row("pragma journal_mode") == ("wal",)
    assert db.row("pragma busy_timeout")[0] >= 5000
    assert db.row("pragma synchronous") == (1,)  # normal
    db.close()
    full = Database(tmp_path / "b.db", "things", [], synchronous="full")
    assert full.row("pragma synchronous") == (2,)
    full.close()


def test_migrations_are_numbered_and_applied_once(tmp_path):
    path, calls = tmp_path / "a.db", []

    def count_rows(conn: sqlite3.Connection) -> None:
        calls.append(conn.execute("select count(*) from things").fetchone()[0])

    steps = ["create table things (x integer)", "insert into things values (1)", count_rows]
    db = Database(path, "things", steps)
    assert db.version == 3 and calls == [1]
    db.close()
    again = Database(path, "things", steps)  # nothing to do: nothing done twice
    assert again.rows("select x from things") == [(1,)] and calls == [1]
    again.close()
    later = Database(path, "things", [*steps, "alter table things add column y integer"])
    assert later.version == 4 and columns_of(later) == {"x", "y"} and calls == [1]
    later.close()
    assert versions(path) == {"things": 4}


def columns_of(db: Database) -> set[str]:
    with db.tx() as conn:
        return columns(conn, "things")


def test_pending_migrations_run_in_one_transaction(tmp_path):
    """A step that fails leaves the file as it was: no half-migrated table, the
    version unchanged, and the next start tries them all again."""
    path = tmp_path / "a.db"
    Database(path, "things", ["create table things (x integer)"]).close()
    broken = ["create table things (x integer)", "insert into things values (1)",
              "create table other (y integer)", "this is not sql"]
    with pytest.raises(sqlite3.OperationalError):
        Database(path, "things", broken)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from things").fetchone() == (0,)
        assert not conn.execute("select name from sqlite_master where name = 'other'"
                                ).fetchall()
    assert versions(path) == {"things": 1}


def test_stores_sharing_a_file_keep_their_own_versions(tmp_path):
    path = tmp_path / "shared.db"
    a = Database(path, "a", ["create table a (x integer)"])
    b = Database(path, "b", ["create table b (x integer)", "create index b_x on b (x)"])
    a.run("insert into a values (1)")
    assert b.rows("select x from a") == [(1,)]  # one file
    a.close()
    b.close()
    assert versions(path) == {"a": 1, "b": 2}


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "a.db"
    Database(path, "things", ["create table things (x integer)", "select 1"]).close()
    with pytest.raises(NewerFile):
        Database(path, "things", ["create table things (x integer)"])


def test_a_transaction_is_all_or_nothing_and_statements_count_rows(tmp_path):
    db = Database(tmp_path / "a.db", "things", ["create table things (x integer)"])
    assert db.run_many("insert into things values (?)", [(1,), (2,), (3,)]) == 3
    with pytest.raises(RuntimeError), db.tx() as conn:
        conn.execute("delete from things")
        raise RuntimeError("changed my mind")
    assert db.run("delete from things where x > ?", (1,)) == 2
    assert db.rows("select x from things") == [(1,)]
    db.close()


def test_one_connection_serves_many_threads(tmp_path):
    db = Database(tmp_path / "a.db", "things", ["create table things (x integer)"])

    def write(start: int) -> None:
        for i in range(start, start + 50):
            with db.tx() as conn:
                conn.execute("insert into things values (?)", (i,))

    threads = [threading.Thread(target=write, args=(n * 50,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.row("select count(distinct x) from things") == (200,)
    db.close()
