"""``JobQueue`` (engine/queue/client.py), the one door to the queue, on SQLite and on
a real redis-server: submit, take, withdraw, priorities, what the store holds.
No engine, no worker process."""

from __future__ import annotations

import subprocess
import sys

from huey import SqliteHuey

from engine import config
from engine import queue as q
from engine.queue import keys
from tests.support.queue_reads import progress_of
from tests.support.specs import spec
from tests.support.workers import REPO


def test_importing_the_contract_and_the_job_service_loads_no_keras():
    code = ("import sys, engine.queue, bot.jobs, bot.local_workers; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'jax')]; print(heavy); assert not heavy")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_default_url_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("LIENZO_QUEUE_URL", raising=False)
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path / "data"))
    assert config.load().queue_url == f"sqlite:///{tmp_path}/data/queue.db"
    jq = q.JobQueue(config.load().queue_url)
    assert isinstance(jq.huey, SqliteHuey) and not jq.take_waits
    assert (tmp_path / "data" / "queue.db").is_file()
    assert not jq.huey.immediate


def test_submit_take_pending_withdraw_and_priorities(jobqueue):
    jq = jobqueue
    for i in range(3):
        jq.submit(spec(f"j{i}"))
    jq.requeue(spec("urgent"), 2)
    assert jq.pending() == {"j0": {1}, "j1": {1}, "j2": {1}, "urgent": {2}}
    assert jq.pending_count() == 4
    jq.withdraw("j1", 1)
    assert jq.get_spec("j1") is None and jq.is_cancelled("j1")
    taken = [jq.take() for _ in range(4)]
    assert [t.job_id if t else None for t in taken] == ["urgent", "j0", None, "j2"]
    assert taken[0].attempt == 2 and taken[0].priority == q.RETRY_PRIORITY
    assert jq.take() is None
    assert jq.get_spec("j0") == spec("j0")


def test_prints_wait_behind_paintings_and_a_lost_print_leads_the_prints(jobqueue):
    """huey takes the highest priority first: a print (``is_print``) is queued below every
    painting, even one sent after it; a requeued or handed-back print goes ahead of the
    other prints, still behind the paintings."""
    jq = jobqueue
    jq.submit(spec("print1", is_print=True, start=b"png"))
    jq.submit(spec("print2", is_print=True, start=b"png"))
    jq.submit(spec("painting1"))
    jq.requeue(spec("print3", is_print=True, start=b"png"), 2)
    jq.submit(spec("painting2"))
    taken = [jq.take() for _ in range(5)]
    assert [t.job_id for t in taken] == ["painting1", "painting2", "print3", "print1",
                                         "print2"]
    assert [t.priority for t in taken] == [0, 0, -5, -10, -10]
    jq.submit(spec("painting3"))
    jq.hand_back("print1", 1, None, taken[3].priority)
    jq.hand_back("painting1", 1, None, taken[0].priority)
    assert [jq.take().job_id for _ in range(3)] == ["painting1", "painting3", "print1"]
    assert q.priority_of(spec("p", is_print=True)) == q.PRINT_PRIORITY < 0


def raw(jq, key):
    """What the store holds under ``key`` (the client's own adapter: tests only)."""
    return jq._kv.get(key)


def test_the_store_through_the_client(jobqueue):
    jq = jobqueue
    jq.submit(spec("a"))
    assert jq.take().job_id == "a"
    jq.put_preview("a", b"\x00jpeg\xff")
    assert jq.preview("a") == b"\x00jpeg\xff" and jq.preview("none") is None
    jq.request_cancel("a")
    assert jq.is_cancelled("a") and not jq.is_cancelled("b")
    record = {"state": "running", "job": "a", "attempt": 1, "step": 3, "steps": 9,
              "fraction": 0.3, "eta_s": 4.0, "loss": 1.5, "worker": "w1", "ts": 1.0}
    jq.put_progress(record)
    result = q.JobResult("a", 1, "failed", "w1", error_code="bad_image", error_message="no")
    jq.put_result(result)
    assert jq.has_result("a") and not jq.has_result("b")
    reports = jq.reports(["a", "b"])
    assert reports == {"a": q.Report(progress=record, result=result)}
    jq._kv.put(keys.progress_key("b"), b"{not json")
    assert jq.reports(["b"])["b"].bad_progress
    jq.put_heartbeat("w1", {"ts": 5.0, "device": "CPU", "backend": "jax", "current_job": "a"})
    jq._kv.put("worker:broken", b"{not json")
    assert jq.workers() == {"w1": {"ts": 5.0, "device": "CPU", "backend": "jax",
                                   "current_job": "a"}}
    jq.delete_worker("w1")
    assert jq.workers() == {}
    jq.withdraw("a", 2)
    assert raw(jq, "r:a.2") is not None
    jq.retire("a")
    assert jq._kv.get_many(keys.job_keys("a")) == {"cancel:a": raw(jq, "cancel:a")}
    jq.forget("a")
    assert jq._kv.get_many(keys.job_keys("a")) == {} and raw(jq, "r:a.2") is None


def test_a_stopping_worker_hands_its_job_back_to_the_front(jobqueue):
    jq = jobqueue
    jq.submit(spec("first"))
    jq.submit(spec("second"))
    assert jq.take().job_id == "first"
    record = {"state": "requeued", "job": "first", "attempt": 1, "step": 3, "steps": 9,
              "fraction": 0.3, "eta_s": None, "loss": None, "worker": "w1", "ts": 2.0}
    jq.hand_back("first", 1, record)
    assert progress_of(jq, "first") == record
    taken = jq.take()
    assert (taken.job_id, taken.attempt, taken.priority) == ("first", 1, q.RETRY_PRIORITY)
