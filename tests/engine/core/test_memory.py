"""Whole picture or blocks (engine.core.memory): the choice from a memory budget."""

from engine.core import memory
from engine.core.memory import BUFFER_BYTES_PER_PIXEL, HEADROOM, STEP_BYTES_PER_PIXEL

GIB = 1024**3


def test_a_picture_whose_step_fits_runs_whole():
    assert memory.block_for(None, 1024, 768, "fp32", 80, available=16 * GIB) == 0
    assert memory.block_for(None, 512, 384, "fp32", 80, available=2 * GIB) == 0


def test_a_bigger_picture_runs_in_the_largest_blocks_that_fit():
    available = 4 * GIB
    block = memory.block_for(None, 4096, 3072, "fp32", 80, available=available)
    assert block > 0 and block % 16 == 0
    room = HEADROOM * available - BUFFER_BYTES_PER_PIXEL * 4096 * 3072
    assert STEP_BYTES_PER_PIXEL["fp32"] * (block + 160) ** 2 <= room
    assert STEP_BYTES_PER_PIXEL["fp32"] * (block + 16 + 160) ** 2 > room
    # bf16 needs less: larger blocks in the same memory
    assert memory.block_for(None, 4096, 3072, "bf16", 80, available=available) > block
    # a bigger budget, bigger blocks; a tiny one, the smallest
    assert memory.block_for(None, 4096, 3072, "fp32", 80, available=16 * GIB) > block
    assert memory.block_for(None, 4096, 3072, "fp32", 80, available=GIB) == memory.MIN_BLOCK


def test_a_requested_block_wins():
    assert memory.block_for(256, 2048, 1536, "fp32", 80, available=1000 * GIB) == 256
    assert memory.block_for(0, 8192, 8192, "fp32", 80, available=GIB) == 0
    assert memory.block_for(512, 400, 300, "fp32", 80) == 0  # one block is the picture


def test_out_of_memory_halves_the_blocks_down_to_the_smallest():
    assert memory.smaller(0, 2048, 1536) == 1024
    assert memory.smaller(1024, 2048, 1536) == 512
    assert memory.smaller(100 // 16 * 16 * 2, 2048, 1536) == 96
    assert memory.smaller(memory.MIN_BLOCK, 2048, 1536) is None


def test_the_budget_is_a_share_of_this_machines_memory():
    budget = memory.budget()
    assert 0 < budget < 2**50


def test_a_small_step_never_asks_the_device(monkeypatch):
    """An ordinary painting's step (512×384) runs whole without a device query (under
    TensorFlow on a GPU that is an nvidia-smi call), and one scale asks once."""
    calls = []
    monkeypatch.setattr(memory.backend, "free_memory", lambda: calls.append(1) or 10 * GIB)
    monkeypatch.setattr(memory, "_asked", None)
    assert memory.block_for(None, 512, 384, "fp32", 80) == 0 and calls == []
    assert memory.block_for(None, 4096, 3072, "fp32", 80) > 0
    assert memory.block_for(None, 4096, 3072, "fp32", 80) > 0 and calls == [1]
