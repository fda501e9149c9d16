"""The job service (bot/jobs/) against a real queue, with the test playing the
worker through the contract (progress/result keys).  Fast: no engine process;
tests/e2e/test_pipeline.py runs the same service against real workers.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time

import pytest

from bot import jobs
from bot.jobs.meta import JobMeta
from bot.state import Media
from engine import queue as q
from engine.errors import ImageTooLarge, InvalidParams
from engine.queue import keys
from tests.support.images import TINY, jpeg, tiny_image
from tests.support.waiting import wait_for
from tests.support.watcher import Deliveries, Watcher


@pytest.fixture
def queue(tmp_path):
    jq = q.JobQueue(f"sqlite:///{tmp_path}/queue.db")
    yield jq
    jq.close()


def service(queue, tmp_path, **kw) -> jobs.JobService:
    options = dict(user_limit=3, queue_cap=100, heartbeat_timeout=1.0, missing_grace=0.3,
                   poll_interval=0.05, watchdog_interval=0.05)
    options.update(kw)
    return jobs.JobService(queue, tmp_path / "jobs.db", **options)


def submit(svc, assets, user=1, **kw) -> str:
    values = dict(user_id=user, chat_id=100 + user, content=assets.content,
                  styles=["starry_night"], params={"size": TINY}, message_id=7)
    values.update(kw)
    return svc.submit(**values).job_id


def progress(job_id, attempt=1, step=1, state="running", ts=None, preview=0):
    return {"state": state, "job": job_id, "attempt": attempt, "step": step, "steps": 10,
            "fraction": step / 10, "eta_s": 1.0, "loss": 5.0, "worker": "w", "ts": ts or
            time.time(), "preview": preview}


def result(job_id, attempt=1, status="done", **kw) -> q.JobResult:
    image = tiny_image(5)
    if status == "done":
        kw.setdefault("jpeg", jpeg(image))
        kw.setdefault("png", jpeg(image, "PNG"))
        kw.setdefault("stats", {"seconds": 1.0, "iterations": 3, "size": [TINY, TINY],
                                "backend": "tensorflow", "device": "CPU"})
    if status == "failed":
        kw.setdefault("error_code", "bad_image")
        kw.setdefault("error_message", "The file is not an image.")
    return q.JobResult(job_id, attempt, status, "w", finished=time.time(), **kw)


def test_submit_returns_the_queue_position_and_enforces_limits(queue, tmp_path, assets):
    svc = service(queue, tmp_path, user_limit=2, queue_cap=4)
    first = svc.submit(user_id=1, chat_id=1, content=assets.content, styles=["starry_night"])
    second = svc.submit(user_id=1, chat_id=1, content=assets.content,
                        styles=[("the_scream", 0.3), (assets.custom_style, 1.0)])
    assert (first.ahead, second.ahead) == (0, 1)
    with pytest.raises(jobs.UserLimitReached) as info:
        submit(svc, assets, user=1)
    assert info.value.code == "user_limit" and info.value.values["limit"] == 2
    with pytest.raises(jobs.UserLimitReached):  # what the bot asks before acknowledging
        svc.check_user_limit(1)
    svc.check_user_limit(2)  # no jobs yet: no error
    submit(svc, assets, user=2)
    submit(svc, assets, user=3)
    with pytest.raises(jobs.QueueFull) as info:
        submit(svc, assets, user=4)
    assert info.value.code == "queue_full"
    assert svc.table.ahead(second.job_id) == 1
    assert queue.pending_count() == 4
    spec = queue.get_spec(second.job_id)
    assert [s.id for s in spec.styles] == ["the_scream", None]
    assert spec.styles[1].image == assets.custom_style
    # a finished job frees its place
    svc.cancel(first.job_id)
    submit(svc, assets, user=1)
    assert svc.counts()["queued"] == 4


def test_submit_rejects_bad_requests_before_queueing(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    with pytest.raises(InvalidParams):
        submit(svc, assets, params={"size": 5})
    with pytest.raises(InvalidParams):
        submit(svc, assets, params={"sharpness": 3})
    with pytest.raises(ImageTooLarge) as info:
        submit(svc, assets, content=b"x" * (20 * 1024 * 1024 + 1))
    assert info.value.code == "image_too_large"
    with pytest.raises(q.BadPayload):
        submit(svc, assets, styles=[])
    assert queue.pending_count() == 0 and svc.counts()["queued"] == 0


def test_a_result_is_delivered_once_with_progress_first(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    job_id = submit(svc, assets)
    with Watcher(svc) as got:
        taken = queue.take()
        assert (taken.job_id, taken.attempt) == (job_id, 1)
        queue.put_preview(job_id, jpeg(tiny_image(3)))
        for step in (1, 2, 3):
            queue.put_progress(progress(job_id, step=step, preview=1 if step >= 2 else 0))
            wait_for(lambda s=step: any(r["step"] == s for r, _ in got.progress_for(job_id)), 10)
        assert svc.status(job_id).state == "running"
        queue.put_result(result(job_id))
        wait_for(lambda: svc.status(job_id).state == "delivered", 10)
    outcome = got.outcome(job_id)
    assert outcome.status == "done" and outcome.jpeg and outcome.png
    assert [r["step"] for r, _ in got.progress_for(job_id)] == [1, 2, 3]
    previews = [p for _, p in got.progress_for(job_id) if p]
    assert len(previews) == 1  # sent once, when its sequence number changed
    assert got.results_for(job_id) == [outcome]
    # the store is cleaned (a cancel flag stays to stop stray duplicates)
    assert queue._kv.get_many(keys.job_keys(job_id)).keys() == {keys.cancel_key(job_id)}
    job = svc.status(job_id)
    assert job.outcome == "done" and job.delivered_at and job.worker == "w"


def test_failed_delivery_is_retried_and_a_duplicate_result_dropped(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    job_id = submit(svc, assets)
    deliveries = Deliveries(fail_next={job_id: 1})
    with Watcher(svc, deliveries) as got:
        queue.take()
        queue.put_result(result(job_id))
        wait_for(lambda: svc.status(job_id).state == "delivered", 15)
        # a second run of the same job (a false alarm of the watchdog) finishes later
        queue.put_result(result(job_id, attempt=2))
        wait_for(lambda: not svc.poll(), 5)
        svc.watchdog.cleanup_after = 0
        svc.tracker.last_housekeeping = 0
        wait_for(lambda: not queue.has_result(job_id), 10)
    assert len(got.results_for(job_id)) == 1
    row = sqlite3.connect(tmp_path / "jobs.db").execute(
        "select delivery_failures, result, spec from jobs").fetchone()
    assert row == (1, None, None)


def test_failures_and_cancellations_are_outcomes_too(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    bad = submit(svc, assets, user=1)
    running = submit(svc, assets, user=3)
    queued = submit(svc, assets, user=2)
    with Watcher(svc) as got:
        queue.take(), queue.take()
        queue.put_result(result(bad, status="failed"))
        assert svc.cancel(queued, user_id=2) == "cancelled"
        with pytest.raises(jobs.NotYourJob):
            svc.cancel(running, user_id=2)
        queue.put_progress(progress(running))
        wait_for(lambda: svc.status(running).state == "running", 10)
        assert svc.cancel(running) == "cancelling"
        assert queue.is_cancelled(running)
        queue.put_result(result(running, status="cancelled"))
        wait_for(lambda: len(got.results) == 3, 10)
        assert svc.cancel(bad) == "finished"
    assert got.outcome(bad).error_code == "bad_image"
    assert got.outcome(queued).status == "cancelled"
    assert got.outcome(running).status == "cancelled"
    # the cancelled queued job's message is revoked and its spec gone: a worker skips it
    assert queue.take() is None and queue.get_spec(queued) is None
    with pytest.raises(jobs.UnknownJob):
        svc.cancel("nope")


def test_stale_heartbeat_re_enqueues_up_to_three_attempts_then_fails(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    job_id = submit(svc, assets)
    with Watcher(svc) as got:
        for attempt in (1, 2, 3):
            taken = wait_for(queue.take, 60, message=f"attempt {attempt} on the queue")
            assert (taken.job_id, taken.attempt) == (job_id, attempt)
            if attempt > 1:
                assert taken.priority == q.RETRY_PRIORITY
                assert queue.get_spec(job_id).job_id == job_id  # the spec came back too
            queue.put_progress(progress(job_id, attempt=attempt))
            wait_for(lambda: svc.status(job_id).state == "running", 10)
            # ... and the worker dies: no more progress
        wait_for(lambda: got.outcome(job_id), 15)
    outcome = got.outcome(job_id)
    assert outcome.status == "failed" and outcome.error_code == "worker_lost"
    assert "3 times" in outcome.error_message
    assert svc.status(job_id).attempts == 3 and svc.status(job_id).state == "delivered"


def test_a_queued_job_missing_from_the_queue_is_re_enqueued(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    job_id = submit(svc, assets)
    queue.huey.flush()  # the queue store lost everything (a Redis restart, say)
    with Watcher(svc) as got:
        taken = wait_for(queue.take, 60)
        assert (taken.job_id, taken.attempt) == (job_id, 2)
        queue.put_result(result(job_id, attempt=2))
        wait_for(lambda: got.outcome(job_id), 10)
    assert svc.status(job_id).state == "delivered"


def test_a_handed_back_job_is_queued_again_without_losing_an_attempt(queue, tmp_path, assets):
    svc = service(queue, tmp_path, heartbeat_timeout=30)
    job_id = submit(svc, assets)
    with Watcher(svc):
        queue.take()
        queue.put_progress(progress(job_id))
        wait_for(lambda: svc.status(job_id).state == "running", 10)
        queue.hand_back(job_id, 1, progress(job_id, state="requeued"))
        wait_for(lambda: svc.status(job_id).state == "queued", 10)
        taken = queue.take()
        queue.put_progress(progress(job_id))
        wait_for(lambda: svc.status(job_id).state == "running", 10)
    assert taken.attempt == 1 and svc.status(job_id).attempts == 1


def test_restart_picks_up_jobs_in_flight(queue, tmp_path, assets):
    svc = service(queue, tmp_path, heartbeat_timeout=2.0)
    running = submit(svc, assets, user=1)
    finished = submit(svc, assets, user=2)
    with Watcher(svc) as got:
        queue.take(), queue.take()
        queue.put_progress(progress(running))
        queue.put_progress(progress(finished))
        wait_for(lambda: svc.counts()["running"] == 2, 10)
    assert got.results == []
    svc.close()  # the bot stops (or dies): no watcher any more
    queue.put_result(result(finished))  # ... the worker finishes while nobody watches
    svc2 = service(queue, tmp_path, heartbeat_timeout=2.0)
    with Watcher(svc2) as got:
        wait_for(lambda: got.outcome(finished), 10)
        step = 2
        for _ in range(3):  # the running job's progress resumes; it stays alive
            queue.put_progress(progress(running, step=step))
            wait_for(lambda s=step: any(r["step"] == s for r, _ in got.progress_for(running)),
                     10)
            step += 1
        queue.put_result(result(running))
        wait_for(lambda: got.outcome(running), 10)
    assert svc2.status(running).attempts == 1
    assert got.delivered_ids().count(finished) == 1 and got.delivered_ids().count(running) == 1


def test_an_unreadable_result_fails_the_job_plainly(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    job_id = submit(svc, assets)
    other = submit(svc, assets, user=2)
    with Watcher(svc) as got:
        queue.take(), queue.take()
        queue._kv.put(keys.result_key(job_id), b"LZR1 garbage")  # planted
        queue.put_result(result(other, jpeg=b"\xff\xd8 not really a jpeg"))
        wait_for(lambda: len(got.results) == 2, 10)
    assert got.outcome(job_id).error_code == "bad_result"
    assert got.outcome(other).error_code == "bad_result"


def test_status_and_listing(queue, tmp_path, assets):
    svc = service(queue, tmp_path)
    meta = JobMeta(lang="es", requester="Eva", group=False, status_media=True,
                   content=Media("file", "unique", 1000, 7), styles=(("starry_night", 1.0),),
                   style_media=None, params={"size": TINY}, cache_key="key", label="x",
                   clip=None)
    a = submit(svc, assets, user=5, meta=meta, status_message_id=42)
    b = submit(svc, assets, user=5)
    svc.update_meta(a, lambda kept: dataclasses.replace(kept, requester="Ana"))
    job = svc.status(a)
    assert (job.status_message_id, job.meta, job.state, job.attempts) == (
        42, dataclasses.replace(meta, requester="Ana"), "queued", 1)
    assert svc.status(b).meta is None  # submitted without the bot's context
    assert [j.id for j in svc.user_jobs(5)] == [b, a]
    assert svc.status("missing") is None
    queue.put_heartbeat("w9", {"ts": time.time(), "device": "CPU", "backend": "jax",
                               "current_job": None})
    queue.put_heartbeat("old", {"ts": time.time() - 3600, "device": "CPU",
                                "backend": "jax", "current_job": None})
    assert list(svc.workers(60.0)) == ["w9"]


def test_the_queue_store_down_at_submit_does_not_lose_the_photo(tmp_path, assets,
                                                               redis_server):
    queue = q.JobQueue(redis_server.url)
    queue.huey.flush()
    svc = service(queue, tmp_path)
    redis_server.stop()
    try:
        job_id = submit(svc, assets)  # accepted: the table is the source of truth
        assert svc.status(job_id).state == "queued"
    finally:
        redis_server.start()
    with Watcher(svc) as got:
        taken = wait_for(queue.take, 60, message="the job to reach the queue")
        assert taken.job_id == job_id
        queue.put_result(result(job_id, attempt=taken.attempt))
        wait_for(lambda: got.outcome(job_id), 10)
    queue.huey.flush()
    queue.close()
