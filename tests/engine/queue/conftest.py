"""The queue tests' fixture: a ``JobQueue`` on SQLite and on a real redis-server."""

from __future__ import annotations

import pytest

from engine import queue as q


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
