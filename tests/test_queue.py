"""The queue contract (engine/queue.py): configuration, schemas, keys, safety.

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

from engine import queue as q
from tests.conftest import REPO


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
    assert q.queue_url() == f"sqlite:///{tmp_path}/data/queue.db"
    jq = q.JobQueue()
    assert isinstance(jq.huey, SqliteHuey) and jq.backend == "sqlite"
    assert (tmp_path / "data" / "queue.db").is_file()
    assert not jq.huey.immediate


def test_sqlite_paths_follow_the_sqlalchemy_convention():
    assert str(q.sqlite_path("sqlite:///data/queue.db")) == "data/queue.db"
    assert str(q.sqlite_path("sqlite:////var/lib/lienzo/q.db")) == "/var/lib/lienzo/q.db"
    for bad in ("sqlite://", "sqlite:///", "sqlite:///data/"):
        with pytest.raises(q.QueueConfigError):
            q.sqlite_path(bad)


def test_redis_url_makes_a_priority_redis_huey_without_connecting():
    huey = q.make_huey("redis://127.0.0.1:1/3")  # nothing listens there: no connection yet
    assert isinstance(huey, PriorityRedisHuey)
    assert huey.storage.read_timeout == 1  # polling delay ≤ 1 s


@pytest.mark.parametrize("url", ["memory://", "amqp://localhost", "postgres://x/y",
                                 "redis://", "redis://host:6379/zero", "redis://host:port/0",
                                 "/tmp/queue.db", "sqlite:queue.db"])
def test_unsupported_urls_are_a_clear_configuration_error(url):
    with pytest.raises(q.QueueConfigError) as info:
        q.make_huey(url)
    assert info.value.code == "queue_config"
    assert "LIENZO_QUEUE_URL" in str(info.value)


def test_passwords_never_appear_in_messages():
    url = "redis://user:s3cret@127.0.0.1:1/x"
    with pytest.raises(q.QueueConfigError) as info:
        q.make_huey(url)
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
    assert q.decode_progress(q.encode_progress(record)) == record
    for bad in ({"state": "exploding"}, {"fraction": 1.5}, {"step": -1}, {"loss": "x"}):
        with pytest.raises(q.BadPayload):
            q.encode_progress(dict(record, **bad))
    with pytest.raises(q.BadPayload):
        q.decode_progress(b"not json")
    beat = {"ts": 1.0, "device": "CPU", "backend": "tensorflow", "current_job": None}
    assert q.decode_heartbeat(q.encode_heartbeat(beat)) == beat
    with pytest.raises(q.BadPayload):
        q.decode_heartbeat(json.dumps(dict(beat, current_job="a b")).encode())


def test_key_names_are_the_contract():
    assert q.progress_key("j1") == "progress:j1"
    assert q.preview_key("j1") == "preview:j1"
    assert q.cancel_key("j1") == "cancel:j1"
    assert q.worker_key("gpu-1") == "worker:gpu-1"
    assert q.result_key("j1") == "result:j1"
    assert q.spec_key("j1") == "spec:j1"
    with pytest.raises(q.BadPayload):
        q.progress_key("j1:../x")


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


def test_submit_take_pending_revoke_and_priorities(jobqueue):
    jq = jobqueue
    for i in range(3):
        jq.submit(spec(f"j{i}"))
    jq.enqueue("urgent", 2, priority=q.RETRY_PRIORITY)
    assert jq.pending() == {"j0": {1}, "j1": {1}, "j2": {1}, "urgent": {2}}
    assert jq.pending_count() == 4
    jq.revoke("j1", 1)
    taken = [jq.take() for _ in range(4)]
    assert [t.job_id if t else None for t in taken] == ["urgent", "j0", None, "j2"]
    assert taken[0].attempt == 2 and taken[0].priority == q.RETRY_PRIORITY
    assert jq.take() is None
    assert jq.get_spec("j0") == spec("j0")


def test_key_value_helpers(jobqueue):
    jq = jobqueue
    jq.put("preview:a", b"\x00jpeg\xff")
    assert jq.get("preview:a") == b"\x00jpeg\xff"
    assert jq.get("preview:none") is None
    jq.set_cancel("a")
    assert jq.is_cancelled("a") and not jq.is_cancelled("b")
    assert jq.get_many(["preview:a", "preview:none", "cancel:a"]).keys() == {"preview:a",
                                                                             "cancel:a"}
    jq.put_heartbeat("w1", {"ts": 5.0, "device": "CPU", "backend": "jax", "current_job": "a"})
    jq.put("worker:broken", b"{not json")
    assert jq.workers() == {"w1": {"ts": 5.0, "device": "CPU", "backend": "jax",
                                   "current_job": "a"}}
    jq.revoke("a", 2)
    assert jq.get("r:a.2") is not None
    jq.purge("a", keep_cancel=True)
    assert jq.get_many(q.job_keys("a")) == {"cancel:a": jq.get("cancel:a")}
    jq.purge("a")
    assert jq.get_many(q.job_keys("a")) == {} and jq.get("r:a.2") is None
    jq.delete()  # nothing to delete is fine


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
    jq.storage.enqueue(pickle.dumps(Evil()), 0)
    jq.storage.enqueue(b"\x00not a pickle at all", 0)
    other = Message("x.1", "os.system", None, 0, 0, 0, ("echo hi",), {}, None, None, None,
                    None, None, None, 0)
    jq.storage.enqueue(pickle.dumps(other), 0)
    jq.storage.enqueue(pickle.dumps(Message("x.1", q.TASK_NAME, None, 0, 0, 0, ("../..", 1),
                                            {}, None, None, None, None, None, None, 0)), 0)
    for _ in range(4):
        with pytest.raises(q.BadPayload):
            jq.take()
    assert not os.path.exists(marker)
    assert jq.pending() == {}
