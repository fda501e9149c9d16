"""``lienzo bot`` failing to start: one line on stderr, exit status 2, no traceback.

Each test runs the real command (``python -m engine.cli bot``, the ``lienzo``
entry point) as a process against the fake Bot API, with one thing wrong: the
HTTP port taken, the token refused, the data dir unwritable, Redis unreachable,
or a local engine worker with missing weights (``bot.startup``,
``bot.local_workers``).  A bot with nothing wrong starts and stops cleanly, so
the failures are the bot's, not the harness's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.fake_telegram import FakeTelegram
from tests.support.waiting import free_port
from tests.support.workers import REPO

pytestmark = pytest.mark.asyncio

EXIT_S = 60  # s: a bot that fails must have exited by then (a loaded 2-core CPU)


@dataclass
class Exited:
    code: int | None
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


@pytest_asyncio.fixture
async def telegram():
    async with FakeTelegram(bot_username="LienzoBot") as tg:
        yield tg


def bot_env(tg: FakeTelegram, tmp_path: Path, **extra: str) -> dict[str, str]:
    """A bot with nothing wrong: no local worker, a free port, its own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENZO_")}
    env.update(tg.env(), LIENZO_DATA_DIR=str(tmp_path / "data"), LIENZO_ENGINE_WORKERS="0",
               LIENZO_HTTP_PORT=str(free_port()),
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    env.update(extra)
    return env


async def start_bot(env: dict[str, str]) -> asyncio.subprocess.Process:
    """``lienzo bot`` as a process (asynchronously: the fake server runs on this loop)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", "bot", env=env, cwd=REPO,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)


async def run_bot(env: dict[str, str], timeout: float = EXIT_S) -> Exited:
    process = await start_bot(env)
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        _, err = await process.communicate()
        pytest.fail(f"the bot did not exit in {timeout:.0f} s:\n{err.decode()[-3000:]}")
    return Exited(process.returncode, err.decode(errors="replace"))


def assert_one_line(exited: Exited, expected: str) -> None:
    assert "Traceback" not in exited.stderr
    assert exited.lines == [expected], exited.stderr
    assert exited.code == 2


async def test_a_bot_with_nothing_wrong_starts_and_stops_cleanly(telegram, tmp_path):
    process = await start_bot(bot_env(telegram, tmp_path))
    try:
        await telegram.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls),
                                timeout=EXIT_S, message="the bot to poll")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), EXIT_S)
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()


async def test_the_http_port_in_use(telegram, tmp_path):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        exited = await run_bot(bot_env(telegram, tmp_path, LIENZO_HTTP_PORT=str(port)))
    assert_one_line(exited, f"lienzo bot: port {port} is already in use; set LIENZO_HTTP_PORT "
                            "to a free port.")


async def test_a_token_telegram_refuses(telegram, tmp_path):
    other = f"{telegram.bot_id + 1}:AA{'x' * 33}"  # well formed, unknown: 401
    exited = await run_bot(bot_env(telegram, tmp_path, TELEGRAM_BOT_TOKEN=other))
    assert_one_line(exited, "lienzo bot: Telegram refused TELEGRAM_BOT_TOKEN; copy it again "
                            "from @BotFather.")
    assert other not in exited.stderr


async def test_a_data_dir_that_is_a_file(telegram, tmp_path):
    path = tmp_path / "a-file"
    path.write_text("")
    exited = await run_bot(bot_env(telegram, tmp_path, LIENZO_DATA_DIR=str(path)))
    assert_one_line(exited, f"lienzo bot: cannot write to the data dir {path} (not a folder); "
                            "set LIENZO_DATA_DIR to a writable folder.")


async def test_a_data_dir_under_a_file(telegram, tmp_path):
    (tmp_path / "a-file").write_text("")
    path = tmp_path / "a-file" / "data"
    exited = await run_bot(bot_env(telegram, tmp_path, LIENZO_DATA_DIR=str(path)))
    assert_one_line(exited, f"lienzo bot: cannot write to the data dir {path} (Not a "
                            "directory); set LIENZO_DATA_DIR to a writable folder.")


async def test_redis_unreachable(telegram, tmp_path):
    port = free_port()  # nothing listens there
    url = f"redis://:hunter2@127.0.0.1:{port}/0"
    exited = await run_bot(bot_env(telegram, tmp_path, LIENZO_QUEUE_URL=url))
    assert "hunter2" not in exited.stderr
    assert exited.code == 2 and len(exited.lines) == 1, exited.stderr
    line = exited.lines[0]  # the reason in brackets is redis-py's words
    assert line.startswith(f"lienzo bot: cannot reach the queue at redis://:***@127.0.0.1:{port}"
                           "/0 (")
    assert "Connection refused" in line
    assert line.endswith("); start it, or set LIENZO_QUEUE_URL to where it runs.")


async def test_a_local_worker_with_missing_weights_stops_the_bot(telegram, tmp_path):
    """The worker's configuration error ends the bot (it would never heal), in its one
    line, after one try: the worker is not restarted."""
    exited = await run_bot(bot_env(telegram, tmp_path, LIENZO_ENGINE_WORKERS="1",
                                   LIENZO_VGG19_WEIGHTS="/nonexistent/vgg19.h5"))
    reason = ("lienzo: LIENZO_VGG19_WEIGHTS=/nonexistent/vgg19.h5 is neither 'imagenet', "
              "'random' nor an existing file.")
    name = f"{socket.gethostname()}-local0"
    assert exited.code == 2, exited.stderr
    assert "Traceback" not in exited.stderr
    assert exited.lines[-1] == f"lienzo bot: engine worker {name}: {reason}"
    assert [line for line in exited.lines if line.startswith("lienzo bot:")] == \
        [exited.lines[-1]]
    assert sum(f"engine worker {name} started" in line for line in exited.lines) == 1
    assert "oneDNN" not in exited.stderr  # TensorFlow's start-up noise is dropped
