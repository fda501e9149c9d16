"""The queue's store (engine/queue/store.py): which URLs make which huey, clear errors
that never show a password, and a hostile pickle refused, not executed."""

from __future__ import annotations

import pickle

import pytest
from huey import PriorityRedisHuey
from huey.registry import Message

from engine import queue as q
from engine.queue import store


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
