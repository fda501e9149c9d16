"""A throw-away redis-server for the tests (the ``redis_server`` fixture in
``tests/conftest.py``) and for ``bench/chaos.py``, which restarts it on purpose.

It lives here rather than in ``tests/conftest.py`` so that a benchmark can start one
without importing pytest's fixture module.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.waiting import free_port, wait_for


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 without persistence."""

    def __init__(self, workdir: Path):
        self.exe = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.exe is None:
            raise FileNotFoundError("redis-server is not installed "
                                    "(apt-get install -y redis-server)")
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - lives with the process
        process = self.process = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def up() -> bool:
            assert process.poll() is None, "redis-server exited at start-up"
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        wait_for(up, 20, message="redis-server to answer PING")
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port: without persistence, all data is gone."""
        self.stop()
        self.start()
