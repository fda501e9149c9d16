"""The fixtures, for every test: tiny catalogue styles, a real redis-server on a free
port, the fake Bot API, one real engine worker per test module for the bot's tests.
Importable helpers live in ``tests/support/``; nothing here mocks huey or Redis.

Everything under ``tests/e2e/`` is marked ``e2e`` here (real worker processes, the
fake Bot API over HTTP, subprocesses); so are the few tests elsewhere that start a
process, each marked where it is written.  ``pytest -m "not e2e"`` is the quick loop.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from tests.support.fake_telegram import FakeTelegram
from tests.support.gpus import FAKE_SMI, GPU_VARIABLES, H100
from tests.support.images import jpeg, make_content, make_style, tiny_image
from tests.support.redis_server import RedisServer
from tests.support.workers import Assets, running_worker

# As ``lienzo bot`` runs PTB (bot.app.main): time periods as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")

E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e/`` as ``e2e``."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def assets(tmp_path_factory) -> Assets:
    styles = tmp_path_factory.mktemp("styles")
    for i, style_id in enumerate(("starry_night", "the_scream", "great_wave")):
        (styles / f"{style_id}.jpg").write_bytes(jpeg(tiny_image(100 + i)))
    return Assets(styles, jpeg(tiny_image(1)), jpeg(tiny_image(2)))


@pytest.fixture
def workspace(tmp_path) -> tuple[Path, dict[str, str]]:
    """A folder for ``lienzo`` (tests.support.cli): a one-style catalogue, a photo, the
    person's own painting; and the environment that points ``lienzo`` at them."""
    styles = tmp_path / "styles"
    styles.mkdir()
    Image.fromarray(make_style(64, 64, seed=3)).save(styles / "stripes.jpg")
    Image.fromarray(make_content(45, 60)).save(tmp_path / "photo.jpg")
    Image.fromarray(make_style(50, 50, seed=9)).save(tmp_path / "mine.png")
    return tmp_path, {"LIENZO_STYLES_DIR": str(styles), "LIENZO_DATA_DIR": str(tmp_path / "d")}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed; `make test` installs it "
                    "(apt-get install -y redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def engine_worker(tmp_path_factory, assets):
    """The bot's tests' engine worker (tests.support.workers.running_worker): (queue url,
    queue)."""
    with running_worker(tmp_path_factory.mktemp("bot-e2e"), assets, "bot-e2e-") as worker:
        yield worker


@pytest_asyncio.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(bot_username="LienzoBot") as tg:
        yield tg


@pytest.fixture
def gpu_environment() -> Iterator[None]:
    """No GPU variable from outside (tests.support.gpus); whatever a test sets
    (``main()`` updates ``os.environ``) is gone afterwards."""
    saved = dict(os.environ)
    for name in GPU_VARIABLES:
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def two_gpus(tmp_path):
    """A fake nvidia-smi first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(FAKE_SMI)
    smi.chmod(0o755)
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    return bin_dir


@pytest.fixture
def no_nvidia_smi(tmp_path):
    """A PATH with Python but no nvidia-smi."""
    os.environ["PATH"] = str(Path(sys.executable).parent)


@pytest.fixture
def fake_tf_gpus(monkeypatch):
    """TensorFlow's device API answering as on a machine with two H100s, recording
    the memory options set (the real calls refuse fake devices)."""
    import tensorflow as tf

    gpus = [tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(2)]
    calls: list[tuple] = []
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: list(gpus) if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda d: {"device_name": H100, "compute_capability": (9, 0)})
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth",
                        lambda d, on: calls.append(("growth", d.name, on)))
    monkeypatch.setattr(tf.config, "set_logical_device_configuration",
                        lambda d, c: calls.append(("limit", d.name, c[0].memory_limit)))
    return calls
