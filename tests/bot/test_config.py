"""The bot's settings (bot/config.py): ``LIENZO_ENGINE_WORKERS``, one per GPU by default."""

from __future__ import annotations

import os

import pytest

from bot.config import cuda_visible_devices, engine_worker_count
from bot.gpus import visible_gpus
from engine.errors import InvalidParams

pytestmark = pytest.mark.usefixtures("gpu_environment")


def worker_count() -> int:
    """``LIENZO_ENGINE_WORKERS`` as ``bot.config.load_config`` resolves it here."""
    return engine_worker_count(tuple(visible_gpus(cuda_visible_devices())))


def test_engine_workers_auto_is_one_per_gpu(two_gpus):
    for value, count in [("auto", 2), ("AUTO", 2), ("auto:3", 6), ("3", 3), ("0", 0)]:
        os.environ["LIENZO_ENGINE_WORKERS"] = value
        assert worker_count() == count, value
    os.environ["CUDA_VISIBLE_DEVICES"] = "1"  # the bot's own mask wins over nvidia-smi
    os.environ["LIENZO_ENGINE_WORKERS"] = "auto:2"
    assert worker_count() == 2


def test_engine_workers_auto_is_one_without_a_gpu(no_nvidia_smi):
    for value in ("auto", "auto:4"):
        os.environ["LIENZO_ENGINE_WORKERS"] = value
        assert worker_count() == 1
    os.environ["PATH"] = ""
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # no GPU at all, whatever the machine has
    assert worker_count() == 1


@pytest.mark.parametrize("value", ["auto:0", "auto:x", "automatic", "2.5", "-1"])
def test_engine_workers_bad_values(value):
    os.environ["LIENZO_ENGINE_WORKERS"] = value
    with one_line_error("LIENZO_ENGINE_WORKERS must be") as caught:
        worker_count()
    assert "\n" not in str(caught.value)


def one_line_error(match: str):
    return pytest.raises(InvalidParams, match=match)
