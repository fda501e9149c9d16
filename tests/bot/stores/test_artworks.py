"""Each person's artworks (bot/stores/artworks.py) on their own: the files kept with
them (PNG, timelapse) until the retention purge or /forget, a search, and a store
from before clips opened with each artwork's kind."""

from __future__ import annotations

import sqlite3
import time

from bot.stores.artworks import Artwork, Artworks


def test_artworks_keep_their_files_until_the_retention_purge(tmp_path):
    store = Artworks(tmp_path / "artworks.db")
    store.add(Artwork(7, "job1", "f1", "photo", ("great_wave",), time.time()), ["great_wave"])
    store.timelapses.keep_frames("job1", [b"a", b"bb"])
    store.timelapses.keep_frames("job2", [b"c"])
    store.full_size.keep("job1", b"png")
    assert store.timelapses.frames("job1") == [b"a", b"bb"]
    assert store.timelapses.frames("nope") is None and store.full_size.read("nope") is None
    assert store.full_size.read("job1") == b"png"
    assert (tmp_path / "results" / "job1.png").exists()
    store.purge(time.time() - 3600)  # all younger than the retention period
    assert store.timelapses.frames("job1") and store.timelapses.frames("job2")
    assert store.full_size.read("job1") and store.of_user(7)
    store.purge(time.time() + 1)
    assert store.timelapses.frames("job1") is None and store.timelapses.frames("job2") is None
    assert store.full_size.read("job1") is None and store.of_user(7) == []
    assert not list((tmp_path / "timelapse").iterdir())
    assert not list((tmp_path / "results").iterdir())
    store.close()


def test_forget_drops_a_persons_artworks_and_their_jobs_files(tmp_path):
    store = Artworks(tmp_path / "artworks.db")
    for user_id, job_id in ((7, "mine"), (8, "theirs")):
        store.add(Artwork(user_id, job_id, "f", "photo", (), time.time()), ["own"])
        store.full_size.keep(job_id, b"png")
        store.timelapses.keep_frames(job_id, [b"a"])
    assert store.forget(7, ["mine"]) == (1, 2)
    assert store.of_user(7) == [] and store.full_size.read("mine") is None
    assert [a.job_id for a in store.of_user(8)] == ["theirs"]
    assert store.full_size.read("theirs") and store.timelapses.frames("theirs")
    store.close()


def test_a_search_matches_names_and_job_ids_newest_first(tmp_path):
    store = Artworks(tmp_path / "artworks.db")
    store.add(Artwork(7, "a", "f1", "photo", ("great_wave",), 1.0), ["great_wave", "La Ola"])
    store.add(Artwork(7, "b", "f2", "video", ("the_scream",), 2.0), ["the_scream"])
    assert [a.job_id for a in store.of_user(7)] == ["b", "a"]
    assert [a.job_id for a in store.of_user(7, "ola")] == ["a"]
    assert [a.job_id for a in store.of_user(7, "b")] == ["b"]
    assert [a.job_id for a in store.of_user(7, offset=1)] == ["a"]
    assert store.delete(7, "a") and not store.delete(7, "a")
    store.close()


def test_an_artworks_store_from_before_clips_reads_its_kinds(tmp_path):
    """artworks.db written with ``as_document`` (photos and files only) opens with
    each artwork's ``kind``, and takes clips from then on."""
    path = tmp_path / "artworks.db"
    with sqlite3.connect(path) as db:
        db.executescript("""
            create table artworks (user_id integer not null, job_id text not null,
                file_id text not null, as_document integer not null, styles text not null,
                names text not null, created_at real not null, primary key (user_id, job_id));
            insert into artworks values (7, 'a', 'f1', 0, '["great_wave"]', 'great_wave', 1);
            insert into artworks values (7, 'b', 'f2', 1, '[]', 'own', 2);""")
    store = Artworks(path)
    store.add(Artwork(7, "c", "f3", "animation", ("the_scream",), 3.0), ["the_scream"])
    assert [(a.job_id, a.kind, a.styles) for a in store.of_user(7)] == [
        ("c", "animation", ("the_scream",)), ("b", "document", ()),
        ("a", "photo", ("great_wave",))]
    store.close()
