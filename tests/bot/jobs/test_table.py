"""The job table (bot/jobs/table.py and the watcher's statements in
bot/jobs/upkeep.py) on its own: submitting with the limits in one transaction,
places in the queue, cancelling, reading, /forget, the watcher's writes, and a
jobs.db from before numbered migrations."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bot.jobs import NotYourJob, QueueFull, UnknownJob, UserLimitReached
from bot.jobs.table import JobState, JobTable, NewJob
from bot.jobs.upkeep import Upkeep
from engine.queue import RETRY_PRIORITY, JobResult, ProgressRecord


def new(job_id: str, user_id: int = 1, chat_id: int | None = None) -> NewJob:
    return NewJob(job_id, user_id, chat_id or 100 + user_id, None, None, None, b"spec")


@pytest.fixture
def table(tmp_path):
    found = JobTable(tmp_path / "jobs.db")
    yield found
    found.close()


def test_add_queues_once_behind_the_others(table):
    assert table.add(new("a"), 1.0, user_limit=3, queue_cap=10) == (0, False)
    assert table.add(new("b", user_id=2), 2.0, user_limit=3, queue_cap=10) == (1, False)
    assert table.add(new("a"), 3.0, user_limit=3, queue_cap=10) == (0, True)  # idempotent
    assert table.ahead("b") == 1 and table.ahead("nope") is None
    job = table.job("b")
    assert job is not None and (job.state, job.user_id, job.meta) == (JobState.QUEUED, 2, None)
    assert table.counts()[JobState.QUEUED] == 2 and table.oldest_queued_at() == 1.0


def test_the_user_limit_and_the_cap_are_checked_as_the_job_is_added(table):
    for i in range(2):
        table.add(new(f"mine{i}"), 1.0, user_limit=2, queue_cap=3)
    with pytest.raises(UserLimitReached):
        table.add(new("mine2"), 1.0, user_limit=2, queue_cap=3)
    with pytest.raises(UserLimitReached):
        table.check_user_limit(1, 2)
    table.add(new("other", user_id=2), 1.0, user_limit=2, queue_cap=3)
    with pytest.raises(QueueFull):
        table.add(new("late", user_id=3), 1.0, user_limit=2, queue_cap=3)
    assert table.job("mine2") is None and table.job("late") is None


def test_cancel_ends_a_queued_job_and_flags_a_running_one(table):
    for job_id in ("q", "r"):
        table.add(new(job_id), 1.0, user_limit=5, queue_cap=10)
    upkeep = Upkeep(table)
    record = ProgressRecord(state="running", job="r", attempt=1, worker="w", ts=2.0)
    assert upkeep.record_progress("r", JobState.QUEUED, JobState.RUNNING, record, "{}", 2.0)
    with pytest.raises(UnknownJob):
        table.cancel("nope", None, 3.0)
    with pytest.raises(NotYourJob):
        table.cancel("q", 2, 3.0)
    assert table.cancel("q", 1, 3.0) == (JobState.QUEUED, 1)
    assert table.cancel("r", None, 3.0) == (JobState.RUNNING, 1)
    q, r = table.job("q"), table.job("r")
    assert q is not None and q.state == JobState.CANCELLED and q.cancel_requested
    assert r is not None and r.state == JobState.RUNNING and r.cancel_requested
    assert table.cancel("q", None, 4.0) == (JobState.CANCELLED, 1)  # too late: unchanged
    outcome = table.outcome("q")
    assert outcome is not None and outcome.status == "cancelled"
    assert table.outcome("r") is None  # not finished


def test_the_watchers_writes_keep_to_the_state_they_saw(table):
    table.add(new("a"), 1.0, user_limit=5, queue_cap=10)
    upkeep = Upkeep(table)
    record = ProgressRecord(state="running", job="a", attempt=1, worker="w", ts=2.0)
    assert not upkeep.record_progress("a", JobState.RUNNING, JobState.RUNNING, record, "{}", 2.0)
    assert upkeep.record_progress("a", JobState.QUEUED, JobState.RUNNING, record, "{}", 2.0)
    assert [w.id for w in upkeep.watched()] == ["a"] and upkeep.tracked()[0].progress == "{}"
    upkeep.requeued("a", JobState.RUNNING, 1, 3.0)
    job = table.job("a")
    assert job is not None and (job.state, job.attempts) == (JobState.QUEUED, 2)
    assert table.db.row("select priority from jobs") == (RETRY_PRIORITY,)
    upkeep.requeued("a", JobState.RUNNING, 1, 4.0)  # stale: it is queued now
    assert table.job("a").attempts == 2  # type: ignore[union-attr]
    result = JobResult("a", 2, "failed", error_code="x", error_message="no")
    assert upkeep.record_result("a", JobState.FAILED, result.encode(), "x", "no")
    assert not upkeep.record_result("a", JobState.DONE, None, None, None)  # a duplicate's
    assert upkeep.undelivered(time.time()) == ["a"]
    assert table.mark_delivered("a") and not table.mark_delivered("a")
    assert upkeep.to_clean(time.time() + 1, 10) == ["a"]
    upkeep.cleaned("a")
    assert upkeep.to_clean(time.time() + 1, 10) == []
    assert upkeep.drop_delivered(time.time() + 1) == 1 and table.job("a") is None


def test_forget_finds_a_persons_jobs_by_user_and_private_chat(table):
    table.add(new("asked", user_id=7, chat_id=-5), 1.0, user_limit=5, queue_cap=10)
    table.add(new("in_private", user_id=8, chat_id=7), 1.0, user_limit=5, queue_cap=10)
    table.add(new("other", user_id=8, chat_id=-5), 1.0, user_limit=5, queue_cap=10)
    assert sorted(table.ids_of_person(7)) == ["asked", "in_private"]
    assert sorted(j.id for j in table.active_jobs_of_person(7)) == ["asked", "in_private"]
    assert [j.id for j in table.chat_jobs(-5)] == ["asked", "other"]
    assert [j.id for j in table.user_jobs(8, (JobState.QUEUED,), 1)] == ["other"]
    table.delete(["asked", "in_private"])
    assert table.ids_of_person(7) == []


def test_a_jobs_db_from_before_numbered_migrations_opens_as_it_is(tmp_path):
    path = tmp_path / "jobs.db"
    with sqlite3.connect(path) as db:  # as JobTable made it before bot.stores.db
        db.execute("create table jobs (id text primary key, user_id integer not null, "
                   "chat_id integer not null, message_id integer, status_message_id integer, "
                   "meta text not null default '{}', spec blob, state text not null, "
                   "outcome text, error_code text, error_message text, "
                   "attempts integer not null default 1, priority integer not null default 0, "
                   "cancel_requested integer not null default 0, progress text, "
                   "preview_seq integer not null default 0, worker text, result blob, "
                   "delivery_failures integer not null default 0, "
                   "next_delivery_at real not null default 0, created_at real not null, "
                   "queued_at real, started_at real, finished_at real, delivered_at real, "
                   "heartbeat_at real, missing_since real, cleaned integer not null default 0)")
        db.execute("insert into jobs (id, user_id, chat_id, state, created_at) "
                   "values ('old', 1, 101, 'queued', 1)")
    table = JobTable(path)
    assert table.db.version == 3 and table.ahead("old") == 0
    table.close()
