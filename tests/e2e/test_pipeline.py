"""The whole pipeline with real processes: job service → queue → `lienzo worker`.

Each scenario runs twice: on SQLite with one worker process, and on a real
redis-server with two.  Workers run the real engine (random VGG19 weights,
TINY-px images, a few steps) and are supervised by ``LocalWorkers`` exactly as
the bot runs them (LIENZO_ENGINE_WORKERS).  Crash tests use SIGKILL.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from bot import jobs
from bot.local_workers import LocalWorkers
from engine import queue as q
from engine.media.images import decode_image
from engine.queue import keys
from tests.support.images import TINY
from tests.support.queue_reads import result_of
from tests.support.waiting import wait_for
from tests.support.watcher import Watcher
from tests.support.workers import REPO, WORKER_ARGS, engine_env, worker_ready

JOB = 180  # s: deadline for one job under a loaded 2-core CPU


@dataclass
class Env:
    backend: str
    url: str
    queue: q.JobQueue
    workers: LocalWorkers
    log: Path
    redis: object | None

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def service(self, tmp_path, **kw) -> jobs.JobService:
        options = dict(user_limit=5, queue_cap=100, heartbeat_timeout=8.0, missing_grace=1.0,
                       poll_interval=0.05, watchdog_interval=0.25)
        options.update(kw)
        return jobs.JobService(self.queue, tmp_path / "jobs.db", **options)

    def wait_ready(self, timeout=240):
        wait_for(lambda: worker_ready(self.queue, self.workers.names), timeout,
                 interval=0.2, message=f"{self.backend} workers to be ready\n{self.log_tail()}")


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def env(request, tmp_path_factory, assets):
    backend = request.param
    root = tmp_path_factory.mktemp(f"e2e-{backend}")
    redis = None
    if backend == "redis":
        redis = request.getfixturevalue("redis_server")
        url = redis.url
    else:
        url = f"sqlite:///{root}/queue.db"
    queue = q.JobQueue(url)
    queue.huey.flush()
    log = root / "workers.log"
    output = open(log, "ab")  # noqa: SIM115 - the workers write to it until the end
    workers = LocalWorkers(1 if backend == "sqlite" else 2, queue_url=url,
                           extra_args=WORKER_ARGS, env=engine_env(assets, root / "data"),
                           name_prefix=f"e2e-{backend}-", restart_delay=0.2,
                           stop_timeout=60, output=output)
    workers.start()
    e = Env(backend, url, queue, workers, log, redis)
    try:
        e.wait_ready()
        yield e
    finally:
        workers.stop()
        output.close()
        codes = workers.exit_codes()
        queue.huey.flush()
        queue.close()
    # a clean stop: every worker handled SIGTERM and exited with status 0
    assert all(c and c[-1] == 0 for c in codes), codes


def params(**kw) -> dict:
    return dict({"size": TINY, "iterations": 2}, **kw)


def submit(svc, assets, user=1, **kw) -> str:
    values = dict(user_id=user, chat_id=1000 + user, content=assets.content,
                  styles=["starry_night"], params=params())
    values.update(kw)
    return svc.submit(**values).job_id


def running_step(got, job_id, at_least=1):
    steps = [r["step"] for r, _ in got.progress_for(job_id) if r["state"] == "running"]
    return steps and max(steps) >= at_least


# --------------------------------------------------------------------------- scenarios


def test_a_job_completes_with_progress_in_order(env, tmp_path, assets):
    svc = env.service(tmp_path)
    job_id = submit(svc, assets, styles=[("starry_night", 1.0), (assets.custom_style, 0.5)],
                    params=params(iterations=30))
    with Watcher(svc) as got:
        wait_for(lambda: got.outcome(job_id), JOB, message=env.log_tail())
    outcome = got.outcome(job_id)
    assert outcome.status == "done", (outcome, env.log_tail())
    assert decode_image(outcome.jpeg).shape == (TINY, TINY, 3)
    assert decode_image(outcome.png).shape == (TINY, TINY, 3)
    assert Image.open(io.BytesIO(outcome.png)).format == "PNG"
    assert outcome.stats["iterations"] == 30 and outcome.stats["size"] == [TINY, TINY]
    assert {"seconds", "backend", "device"} <= outcome.stats.keys()
    steps = [r["step"] for r, _ in got.progress_for(job_id)]
    assert len(steps) >= 2 and steps == sorted(steps), steps
    assert all(r["steps"] == 30 for r, _ in got.progress_for(job_id) if r["state"] == "running")
    previews = [p for _, p in got.progress_for(job_id) if p]
    assert previews and decode_image(previews[-1]).shape[2] == 3
    assert got.results_for(job_id) == [outcome]
    job = svc.status(job_id)
    assert (job.state, job.outcome, job.attempts) == ("delivered", "done", 1)
    assert job.worker in env.workers.names


def test_cancel_a_queued_and_a_running_job(env, tmp_path, assets):
    svc = env.service(tmp_path)
    busy = [submit(svc, assets, user=u, params=params(iterations=5000))
            for u in range(len(env.workers.names))]
    with Watcher(svc) as got:
        for job_id in busy:
            wait_for(lambda j=job_id: running_step(got, j), JOB, message=env.log_tail())
        waiting = submit(svc, assets, user=99)
        assert svc.table.ahead(waiting) == 0
        assert svc.cancel(waiting, user_id=99) == "cancelled"
        for job_id in busy:
            assert svc.cancel(job_id) == "cancelling"
        wait_for(lambda: all(got.outcome(j) for j in [*busy, waiting]), 60,
                 message=env.log_tail())
    for job_id in [*busy, waiting]:
        assert got.outcome(job_id).status == "cancelled"
        assert len(got.results_for(job_id)) == 1
        assert svc.status(job_id).state == "delivered"
    assert got.progress_for(waiting) == []  # it never ran
    for job_id in busy:  # stopped within a step or two of the flag, far from the end
        assert max(r["step"] for r, _ in got.progress_for(job_id)) < 5000


def test_fifty_jobs_from_ten_users_complete_exactly_once(env, tmp_path, assets):
    svc = env.service(tmp_path, user_limit=5)
    ids = [submit(svc, assets, user=u) for _ in range(5) for u in range(10)]
    with pytest.raises(jobs.UserLimitReached):
        submit(svc, assets, user=3)
    with Watcher(svc) as got:
        wait_for(lambda: len(got.results) >= 50, 600, interval=0.2,
                 message=f"50 results\n{env.log_tail()}")
    delivered = got.delivered_ids()
    assert sorted(delivered) == sorted(ids)  # every job once, nothing else
    assert {got.outcome(j).status for j in ids} == {"done"}
    assert svc.counts()["delivered"] == 50
    assert {svc.status(j).attempts for j in ids} == {1}
    if len(env.workers.names) > 1:
        assert len({got.outcome(j).worker for j in ids}) == len(env.workers.names)


def _oversized_png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (8000, 7000), 128).save(buf, "PNG")  # 56 MP in ~60 KB
    return buf.getvalue()


def test_bad_payloads_fail_with_their_codes_and_the_worker_keeps_running(env, tmp_path, assets):
    svc = env.service(tmp_path, user_limit=10)
    pids = env.workers.pids()
    cases = {
        "corrupt_image": submit(svc, assets, content=assets.content[:-100]),
        "not_an_image": submit(svc, assets, content=b"GIF89a? no, just text"),
        "unknown_style": submit(svc, assets, styles=["no_such_painting"]),
        "image_too_large": submit(svc, assets, content=_oversized_png()),
    }
    # straight onto the queue, bypassing the service's checks
    env.queue.huey.storage.enqueue(b"\x80\x05garbage", 0)
    env.queue.submit(q.JobSpec("directbadparams", assets.content, (q.StyleRef(id="the_scream"),),
                               {"size": 5}, time.time()))
    env.queue._kv.put(keys.spec_key("directbadspec"), b"LZS1\xff\xff\xff\xffjunk")  # planted
    env.queue.hand_back("directbadspec", 1, None)
    good = submit(svc, assets)
    with Watcher(svc) as got:
        wait_for(lambda: got.outcome(good), JOB, message=env.log_tail())
        wait_for(lambda: len(got.results) == 5, JOB, message=env.log_tail())
        assert result_of(env.queue, "directbadparams").error_code == "invalid_params"
        assert result_of(env.queue, "directbadspec").error_code == "bad_job"
    for code, job_id in cases.items():
        outcome = got.outcome(job_id)
        assert (outcome.status, outcome.error_code) == ("failed", code), outcome
        assert outcome.error_message and "Traceback" not in outcome.error_message
    assert got.outcome(good).status == "done"
    assert env.workers.pids() == pids  # nobody crashed


def test_time_budget_returns_the_best_so_far(env, tmp_path, assets):
    svc = env.service(tmp_path)
    job_id = submit(svc, assets, params=params(iterations=5000, time_budget_s=1.0))
    with Watcher(svc) as got:
        wait_for(lambda: got.outcome(job_id), JOB, message=env.log_tail())
    outcome = got.outcome(job_id)
    assert outcome.status == "done" and outcome.partial
    assert outcome.stats["stopped"] == "time_budget" and outcome.stats["iterations"] < 5000
    assert decode_image(outcome.jpeg).shape == (TINY, TINY, 3)


# --------------------------------------------------------------------------- crashes


def test_bot_killed_mid_job_restarts_and_delivers_once(env, tmp_path, assets):
    svc = env.service(tmp_path)  # only to submit; the watcher runs in the runner process
    job_id = submit(svc, assets, params=params(iterations=40))
    out = tmp_path / "deliveries.jsonl"
    cmd = [sys.executable, "-m", "tests.support.jobs_runner", "--db", str(tmp_path / "jobs.db"),
           "--queue", env.url, "--out", str(out)]

    def lines():
        if not out.exists():
            return []
        return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]

    runner = subprocess.Popen(cmd, cwd=REPO)
    try:
        wait_for(lambda: any(r["event"] == "progress" and r["job"] == job_id and r["step"] >= 2
                             for r in lines()), JOB, message=env.log_tail())
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
    assert svc.status(job_id).state == "running"
    # The worker finishes while no bot is watching; the result waits in the store.
    wait_for(lambda: env.queue.has_result(job_id), JOB, message=env.log_tail())
    runner = subprocess.Popen(cmd, cwd=REPO)
    try:
        wait_for(lambda: any(r["event"] == "result" for r in lines()), 60)
        wait_for(lambda: svc.status(job_id).state == "delivered", 30)
    finally:
        runner.terminate()
        runner.wait(10)
    results = [r for r in lines() if r["event"] == "result"]
    assert results == [dict(results[0], job=job_id, status="done", attempt=1)]
    assert len({r["pid"] for r in lines() if r["event"] == "started"}) == 2
    assert svc.status(job_id).attempts == 1


@pytest.mark.parametrize("env", ["redis"], indirect=True)  # a Redis restart: Redis only
def test_redis_restart_with_jobs_queued_delivers_all_once(env, tmp_path, assets):
    svc = env.service(tmp_path)
    ids = [submit(svc, assets, user=u, params=params(iterations=20)) for u in range(6)]
    with Watcher(svc) as got:
        wait_for(lambda: any(running_step(got, j) for j in ids), JOB, message=env.log_tail())
        assert env.queue.pending_count() > 0
        env.redis.restart()  # no persistence: queue, specs and progress are gone
        assert env.queue.pending_count() == 0
        wait_for(lambda: len(got.results) >= 6, 400, interval=0.2, message=env.log_tail())
    assert sorted(got.delivered_ids()) == sorted(ids)
    assert {got.outcome(j).status for j in ids} == {"done"}
    assert max(svc.status(j).attempts for j in ids) >= 2  # the lost ones were re-enqueued
    env.wait_ready()


def test_worker_killed_mid_job_is_restarted_and_the_job_rerun_once(env, tmp_path, assets):
    svc = env.service(tmp_path)
    job_id = submit(svc, assets, params=params(iterations=40))
    restarts = sum(env.workers.restarts())
    with Watcher(svc) as got:
        record = wait_for(lambda: [r for r, _ in got.progress_for(job_id)
                                   if r["state"] == "running" and r["step"] >= 2],
                          JOB, message=env.log_tail())[0]
        slot = env.workers.names.index(record["worker"])
        pid = env.workers.pids()[slot]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: got.outcome(job_id), 2 * JOB, interval=0.2, message=env.log_tail())
    outcome = got.outcome(job_id)
    assert outcome.status == "done" and outcome.attempt == 2
    assert got.results_for(job_id) == [outcome]
    job = svc.status(job_id)
    assert (job.state, job.attempts) == ("delivered", 2)
    assert sum(env.workers.restarts()) == restarts + 1
    assert env.workers.exit_codes()[slot][-1] == -signal.SIGKILL
    env.wait_ready()


def test_worker_stopped_mid_job_hands_it_back_without_using_an_attempt(env, tmp_path, assets):
    """SIGTERM (docker stop, a deploy): the job goes back to the queue, same attempt."""
    svc = env.service(tmp_path, heartbeat_timeout=120)  # no watchdog help: the hand-back alone
    job_id = submit(svc, assets, params=params(iterations=40))
    with Watcher(svc) as got:
        record = wait_for(lambda: [r for r, _ in got.progress_for(job_id)
                                   if r["state"] == "running" and r["step"] >= 2],
                          JOB, message=env.log_tail())[0]
        slot = env.workers.names.index(record["worker"])
        os.kill(env.workers.pids()[slot], signal.SIGTERM)
        wait_for(lambda: env.workers.exit_codes()[slot][-1:] == [0], 60,
                 message=f"a clean exit\n{env.log_tail()}")
        wait_for(lambda: got.outcome(job_id), 2 * JOB, interval=0.2, message=env.log_tail())
    outcome = got.outcome(job_id)
    assert outcome.status == "done" and outcome.attempt == 1
    assert got.results_for(job_id) == [outcome]
    assert svc.status(job_id).attempts == 1
    env.wait_ready()
