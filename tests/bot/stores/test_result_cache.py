"""The result cache (bot/stores/result_cache.py): remembered, replaced, purged by
age and forgotten by job."""

from __future__ import annotations

import sqlite3
import time

from bot.stores.result_cache import CachedResult, ResultCache


def test_a_result_is_remembered_and_replaced(tmp_path):
    cache = ResultCache(tmp_path / "bot.db")
    assert cache.get("k") is None
    cache.remember("k", CachedResult("job1", "file1", False, "caption"))
    assert cache.get("k") == CachedResult("job1", "file1", False, "caption")
    cache.remember("k", CachedResult("job2", "file2", True, "other"))
    assert cache.get("k") == CachedResult("job2", "file2", True, "other")
    cache.close()


def test_old_results_go_and_forgotten_jobs_go(tmp_path):
    path = tmp_path / "bot.db"
    cache = ResultCache(path)
    for key, job in (("old", "job1"), ("new", "job2"), ("mine", "job3"), ("also", "job3")):
        cache.remember(key, CachedResult(job, "f", False, ""))
    with sqlite3.connect(path) as db:
        db.execute("update result_cache set created_at = 0 where key = 'old'")
    assert cache.forget_before(time.time() - 60) == 1
    assert cache.forget_jobs(["job3", "nope"]) == 2
    assert [cache.get(k) is not None for k in ("old", "new", "mine", "also")] == [
        False, True, False, False]
    cache.close()
