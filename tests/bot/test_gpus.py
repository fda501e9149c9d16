"""Which GPU each local worker gets (bot/gpus.py): the visible GPUs, round-robin, and
each one's share of the memory when several share a GPU."""

from __future__ import annotations

import pytest

from bot.gpus import assign_gpus, gpu_env, visible_gpus

pytestmark = pytest.mark.usefixtures("gpu_environment")


def test_visible_gpus_and_their_assignment(two_gpus):
    assert visible_gpus(None) == ["0", "1"]
    assert visible_gpus("2,3") == ["2", "3"] and visible_gpus("") == []
    assert visible_gpus("-1") == [] and visible_gpus("GPU-0aa") == ["GPU-0aa"]
    assert assign_gpus(5, ["0", "1"]) == ["0", "1", "0", "1", "0"]
    assert assign_gpus(2, []) == [None, None]


def test_gpu_env_pins_and_shares_memory():
    env = gpu_env({"LIENZO_GPU": "7"}, "1", 1)
    assert env == {"CUDA_VISIBLE_DEVICES": "1", "LIENZO_GPU": "1"}  # alone: grows as needed
    assert gpu_env({}, "0", 2)["LIENZO_GPU_MEMORY_FRACTION"] == "0.45"
    assert gpu_env({}, "0", 3)["LIENZO_GPU_MEMORY_FRACTION"] == "0.3"
    assert gpu_env({"LIENZO_GPU_MEMORY_FRACTION": "0.2"}, "0", 2, memory_fraction=0.2)[
        "LIENZO_GPU_MEMORY_FRACTION"] == "0.2"  # the deployment's choice stands
    uuid = gpu_env({"LIENZO_GPU": "1"}, "GPU-1bb", 1)
    assert uuid == {"CUDA_VISIBLE_DEVICES": "GPU-1bb"}  # no index to name it by
    assert gpu_env({"A": "b"}, None, 4) == {"A": "b"}  # no GPU: untouched
