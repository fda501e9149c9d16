"""Files kept per job (bot/stores/job_files.py): written whole, read, deleted by
job, purged by age; a timelapse's frames round-trip in order."""

from __future__ import annotations

import os
import time

import pytest

from bot.stores.job_files import JobFiles, Timelapses


def test_a_file_is_kept_read_deleted_and_purged(tmp_path):
    files = JobFiles(tmp_path / "results", ".png")
    assert files.read("job1") is None and files.delete(["job1"]) == 0
    files.keep("job1", b"one")
    files.keep("job1", b"again")  # replaced whole
    files.keep("job2", b"two")
    assert files.read("job1") == b"again"
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["job1.png", "job2.png"]
    assert files.delete(["job1", "nope"]) == 1 and files.read("job1") is None
    old = time.time() - 3600
    os.utime(files.path("job2"), (old, old))
    files.keep("job3", b"three")
    assert files.purge(time.time() - 60) == 1
    assert files.read("job2") is None and files.read("job3") == b"three"


def test_a_job_id_never_names_another_file(tmp_path):
    files = JobFiles(tmp_path / "results", ".png")
    with pytest.raises(ValueError):
        files.keep("../escape", b"x")
    assert files.read("../escape") is None and files.delete(["../escape"]) == 0


def test_timelapse_frames_come_back_in_order(tmp_path):
    timelapses = Timelapses(tmp_path / "timelapse")
    frames = [bytes([i]) * (i + 1) for i in range(12)]
    timelapses.keep_frames("job1", frames)
    assert timelapses.frames("job1") == frames
    assert timelapses.frames("nope") is None
    timelapses.keep("broken", b"not a zip")
    assert timelapses.frames("broken") is None
