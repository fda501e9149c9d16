"""Whole picture or blocks (engine.core.blocks): what a step needs, what this worker has.

A whole-picture step keeps VGG19's activations up to block5_conv1 for the backward
pass: memory grows with the pixels (``STEP_BYTES_PER_PIXEL``, measured by
bench/print_speed.py on the CPU, docs/benchmarks.md "Print-size paintings").  The
budget is this worker's share of the device: on a GPU what it may still allocate (JAX's
own limit, which ``LIENZO_GPU_MEMORY_FRACTION`` sets, less what it holds; TensorFlow's:
the GPU, or its configured slice, less what it holds), on a CPU ``CPU_SHARE`` of the
memory the system has available.  A picture whose step fits in ``HEADROOM`` of the
budget runs whole (bit for bit as before blocks); a bigger one runs in the largest
blocks whose step fits, and on out-of-memory the engine halves them (``smaller``).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from engine.core import backend
from engine.params import BLOCK_GRID

# A whole step's peak, bytes per pixel (measured: docs/benchmarks.md); bf16 halves
# the activations but not the float32 losses and buffers.
STEP_BYTES_PER_PIXEL = {"fp32": 6000, "bf16": 3600}
BUFFER_BYTES_PER_PIXEL = 80  # picture, gradient, Adam's moments, content targets, masks
CPU_SHARE = 0.5  # of MemAvailable: other workers and the bot live there too
HEADROOM = 0.8  # of the budget a step may plan on (XLA's scratch, fragmentation)
MIN_BLOCK = 4 * BLOCK_GRID
FALLBACK_BUDGET = 4 * 1024**3  # when the machine cannot say
SURELY_FITS = 3 * 1024**3 // 2  # a step this small runs whole without asking the device
BUDGET_FRESH_S = 2.0  # one scale asks several times (targets, styles, steps): ask once

_asked: tuple[float, int] | None = None  # (when, budget): the last answer


def budget() -> int:
    """Bytes this worker may use for a painting step now (asked at most every
    ``BUDGET_FRESH_S``: under TensorFlow the GPU's free memory is an nvidia-smi call)."""
    global _asked
    now = time.monotonic()
    if _asked is None or now - _asked[0] > BUDGET_FRESH_S:
        found = backend.free_memory()
        _asked = (now, found if found is not None else int(CPU_SHARE * _available_ram()))
    return _asked[1]


def _available_ram() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_BUDGET


def block_for(requested: int | None, width: int, height: int, precision: str, halo: int,
              available: int | None = None) -> int:
    """The block side for a ``width``×``height`` step: 0 for the whole picture.
    ``requested`` (``StyleParams.block``) wins: 0 whole, N blocks of N px (the whole
    picture when one block covers it); None decides from ``available`` (default:
    ``budget()``)."""
    if requested is not None:
        return 0 if requested == 0 or requested >= max(width, height) else requested
    per_pixel = STEP_BYTES_PER_PIXEL[precision]
    if available is None and per_pixel * width * height <= SURELY_FITS:
        return 0
    room = HEADROOM * (budget() if available is None else available)
    room -= BUFFER_BYTES_PER_PIXEL * width * height
    if per_pixel * width * height <= room:
        return 0
    side = math.isqrt(max(0, int(room / per_pixel))) - 2 * halo
    block = max(MIN_BLOCK, side // BLOCK_GRID * BLOCK_GRID)
    return 0 if block >= max(width, height) else block


def smaller(block: int, width: int, height: int) -> int | None:
    """The next block side to try after running out of memory with ``block`` (0: the
    whole picture); None when there is none smaller."""
    current = block or max(width, height)
    half = current // 2 // BLOCK_GRID * BLOCK_GRID
    return half if half >= MIN_BLOCK else None
