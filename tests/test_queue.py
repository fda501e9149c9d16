"""The queue contract (engine/queue/): configuration, schemas, keys, safety.

Fast: no engine, no worker process.  Redis tests use the real redis-server fixture.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pytest
from huey import PriorityRedisHuey, SqliteHuey
from huey.registry import Message

from engine import config
from engine import queue as q
from engine.queue import keys, payloads, store
from tests.conftest import REPO
from tests.support.queue_reads import progress_of


def test_importing_the_contract_and_the_job_service_loads_no_keras():
    code = ("import sys, engine.queue, bot.jobs, bot.local_workers; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'jax')]; print(heavy); assert not heavy")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


# --------------------------------------------------------------------------- configuration


def test_default_url_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("LIENZO_QUEUE_URL", raising=False)
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path / "data"))
    assert config.load().queue_url == f"sqlite:///{tmp_path}/data/queue.db"
    jq = q.JobQueue()
    assert isinstance(jq.huey, SqliteHuey) and not jq.take_waits
    assert (tmp_path / "data" / "queue.db").is_file()
    assert not jq.huey.immediate


def test_sqlite_paths_follow_the_sqlalchemy_convention():
    assert str(store.sqlite_path("sqlite:///data/queue.db")) == "data/queue.db"
    assert str(store.sqlite_path("sqlite:////var/lib/lienzo/q.db")) == "/var/lib/lienzo/q.db"
    for bad in ("sqlite://", "sqlite:///", "sqlite:///data/"):
        with pytest.raises(q.QueueConfigError):
            store.sqlite_path(bad)


def test_redis_url_makes_a_priority_redis_huey_without_connecting():
    huey = store.make_huey("redis://127.0.0.1:1/3")  # nothing listens there: no connection yet
    assert isinstance(huey, PriorityRedisHuey)
    assert huey.storage.read_timeout == 1  # polling delay ≤ 1 s


@pytest.mark.parametrize("url", ["memory://", "amqp://localhost", "postgres://x/y",
                                 "redis://", "redis://host:6379/zero", "redis://host:port/0",
                                 "/tmp/queue.db", "sqlite:queue.db"])
def test_unsupported_urls_are_a_clear_configuration_error(url):
    with pytest.raises(q.QueueConfigError) as info:
        store.make_huey(url)
    assert info.value.code == "queue_config"
    assert "LIENZO_QUEUE_URL" in str(info.value)


def test_passwords_never_appear_in_messages():
    url = "redis://user:s3cret@127.0.0.1:1/x"
    with pytest.raises(q.QueueConfigError) as info:
        store.make_huey(url)
    assert "s3cret" not in str(info.value)
    assert "s3cret" not in q.redact("redis://:s3cret@h:6379/0")
    assert repr(q.JobQueue("redis://:s3cret@127.0.0.1:1/0")).count("s3cret") == 0


def test_the_worker_command_reports_a_bad_url_and_exits_2():
    out = subprocess.run([sys.executable, "-m", "engine.cli", "worker", "--queue", "kafka://x"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "not supported" in out.stderr and "Traceback" not in out.stderr


# --------------------------------------------------------------------------- schemas


def spec(job_id="job1", **kw) -> q.JobSpec:
    values = dict(job_id=job_id, content=b"\xff\xd8photo",
                  styles=(q.StyleRef(id="starry_night"),
                          q.StyleRef(image=b"\x89PNGmine", weight=0.3)),
                  params={"size": 64, "strength": 3.0, "color_mode": "keep",
                          "time_budget_s": None},
                  created=123.5)
    values.update(kw)
    return q.JobSpec(**values)


def test_spec_round_trip_keeps_bytes_and_params():
    s = spec()
    data = s.encode()
    assert data[:4] == b"LZS1"
    assert q.JobSpec.decode(data) == s
    assert q.JobSpec.decode(memoryview(data)) == s


def test_result_round_trip():
    r = q.JobResult("job1", 2, "done", "w1", jpeg=b"j" * 10, png=b"p" * 20,
                    stats={"seconds": 1.5, "size": [64, 48]}, partial=True, finished=9.0)
    assert q.JobResult.decode(r.encode()) == r
    f = q.JobResult("job1", 1, "failed", "w1", error_code="bad_image",
                    error_message="The file is not an image.")
    assert q.JobResult.decode(f.encode()) == f


def _corrupt(data: bytes):
    head_len = int.from_bytes(data[4:8], "big")
    header = json.loads(data[8:8 + head_len])
    body = data[8 + head_len:]
    yield b""
    yield b"LZS"
    yield b"XXXX" + data[4:]
    yield data[:-1]  # truncated
    yield data + b"x"  # trailing junk
    yield data[:4] + (10**9).to_bytes(4, "big") + data[8:]
    yield data[:8] + b"{" * head_len + body
    for change in ({"v": 2}, {"content": 5}, {"styles": "starry_night"}, {"styles": []},
                   {"styles": [{"id": "../../etc/passwd"}]}, {"styles": [{"image": 9}]},
                   {"styles": [{"id": "a", "weight": -1}]}, {"job": "../x"},
                   {"params": {"size": [1, 2]}}, {"params": {"__class__": 1}},
                   {"blobs": [1, 2]}, {"params": "size=64"}):
        bad = dict(header, **change)
        head = json.dumps(bad).encode()
        yield data[:4] + len(head).to_bytes(4, "big") + head + body


def test_corrupt_specs_are_rejected_with_bad_job():
    data = spec().encode()
    for bad in _corrupt(data):
        with pytest.raises(q.BadPayload) as info:
            q.JobSpec.decode(bad)
        assert info.value.code == "bad_job"


def test_results_that_break_the_schema_are_rejected():
    with pytest.raises(q.BadPayload):
        q.JobResult("job1", 1, "done", "w")  # done without images
    with pytest.raises(q.BadPayload):
        q.JobResult("job1", 1, "failed", "w")  # failed without a code
    with pytest.raises(q.BadPayload):
        q.JobResult("job1", 0, "cancelled", "w")
    with pytest.raises(q.BadPayload):
        q.JobResult.decode(spec().encode())  # a spec is not a result


def test_progress_and_heartbeat_records_are_validated():
    record = {"state": "running", "job": "j1", "attempt": 1, "step": 3, "steps": 10,
              "fraction": 0.3, "eta_s": 1.5, "loss": 12.0, "worker": "w", "ts": 1.0,
              "preview": 2}
    assert payloads.decode_progress(payloads.encode_progress(record)) == record
    for bad in ({"state": "exploding"}, {"state": []}, {"state": {}}, {"fraction": 1.5},
                {"step": -1}, {"loss": "x"}):  # a list or object: refused, not a TypeError
        with pytest.raises(q.BadPayload):
            payloads.encode_progress(dict(record, **bad))
        with pytest.raises(q.BadPayload):
            payloads.decode_progress(json.dumps(dict(record, **bad)).encode())
    with pytest.raises(q.BadPayload):
        payloads.decode_progress(b"not json")
    beat = {"ts": 1.0, "device": "CPU", "backend": "tensorflow", "current_job": None}
    assert payloads.decode_heartbeat(payloads.encode_heartbeat(beat)) == beat
    for bad in ({"current_job": "a b"}, {"state": ["idle"]}):
        with pytest.raises(q.BadPayload):
            payloads.decode_heartbeat(json.dumps(dict(beat, **bad)).encode())


def test_key_names_are_the_contract():
    assert keys.progress_key("j1") == "progress:j1"
    assert keys.preview_key("j1") == "preview:j1"
    assert keys.cancel_key("j1") == "cancel:j1"
    assert keys.worker_key("gpu-1") == "worker:gpu-1"
    assert keys.result_key("j1") == "result:j1"
    assert keys.spec_key("j1") == "spec:j1"
    with pytest.raises(q.BadPayload):
        keys.progress_key("j1:../x")


# --------------------------------------------------------------------------- the queue


@pytest.fixture(params=["sqlite", "redis"])
def jobqueue(request, tmp_path):
    if request.param == "sqlite":
        jq = q.JobQueue(f"sqlite:///{tmp_path}/queue.db")
    else:
        server = request.getfixturevalue("redis_server")
        jq = q.JobQueue(server.url)
        jq.huey.flush()
    yield jq
    if request.param == "redis":
        jq.huey.flush()
    jq.close()


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


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/lienzo-pwned",))


def test_a_hostile_pickle_on_the_queue_is_refused_not_executed(jobqueue, tmp_path):
    import os

    marker = "/tmp/lienzo-pwned"
    if os.path.exists(marker):
        os.unlink(marker)
    jq = jobqueue
    jq.huey.storage.enqueue(pickle.dumps(Evil()), 0)
    jq.huey.storage.enqueue(b"\x00not a pickle at all", 0)
    other = Message("x.1", "os.system", None, 0, 0, 0, ("echo hi",), {}, None, None, None,
                    None, None, None, 0)
    jq.huey.storage.enqueue(pickle.dumps(other), 0)
    bad_id = Message("x.1", store.TASK_NAME, None, 0, 0, 0, ("../..", 1), {}, None, None, None,
                     None, None, None, 0)
    jq.huey.storage.enqueue(pickle.dumps(bad_id), 0)
    for _ in range(4):
        with pytest.raises(q.BadPayload):
            jq.take()
    assert not os.path.exists(marker)
    assert jq.pending() == {}
