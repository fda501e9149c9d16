"""Which GPU each local engine worker gets, and what share of its memory
(docs/architecture.md, "GPU serving"); ``bot.local_workers`` starts them.

The visible GPUs (``visible_gpus``: those ``CUDA_VISIBLE_DEVICES`` lists when
the bot's environment sets it, else those ``nvidia-smi -L`` lists; ``bot.config``
finds them once) are shared out: worker *i* gets the *(i mod n)*-th, alone
(``CUDA_VISIBLE_DEVICES`` and ``LIENZO_GPU`` in its environment), so the workers
spread evenly.  When several share one GPU and ``LIENZO_GPU_MEMORY_FRACTION`` is
``auto`` (``memory_fraction`` None), each is given an equal slice of its memory
(``auto_memory_fraction``), so that one big picture runs out of its own worker's
memory and is retried smaller rather than starving the others.
"""

from __future__ import annotations

import re
import subprocess

GPU_MEMORY_SHARE = 0.9  # of a GPU's memory, split between the workers sharing it


def visible_gpus(cuda_visible_devices: str | None) -> list[str]:
    """The GPUs workers may use, as ``CUDA_VISIBLE_DEVICES`` entries: that variable's own
    when it is set (empty, or an entry -1: none), else nvidia-smi's indices (none
    when it is missing: a machine without NVIDIA's driver)."""
    if cuda_visible_devices is not None:
        entries = [e.strip() for e in cuda_visible_devices.split(",") if e.strip()]
        return [] if "-1" in entries else entries
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    found = (re.match(r"GPU (\d+):", line) for line in out.stdout.splitlines())
    return [m.group(1) for m in found if m]


def auto_memory_fraction(workers_on_gpu: int) -> float | None:
    """What ``LIENZO_GPU_MEMORY_FRACTION=auto`` means for one of ``workers_on_gpu``
    workers the bot runs on one GPU: alone, no cap (it grows as it needs); shared,
    an equal slice of 90% each, so that one worker's big picture runs out of its
    own memory (and is retried smaller) instead of starving its neighbours."""
    if workers_on_gpu <= 1:
        return None
    return round(GPU_MEMORY_SHARE / workers_on_gpu, 3)


def assign_gpus(count: int, gpus: list[str]) -> list[str | None]:
    """Worker i → GPU i mod n (None for all without a GPU)."""
    return [gpus[i % len(gpus)] if gpus else None for i in range(count)]


def gpu_env(env: dict[str, str], gpu: str | None, sharing: int,
            memory_fraction: float | None = None) -> dict[str, str]:
    """One worker's environment: ``env`` pinned to ``gpu``, which ``sharing`` workers use,
    and given its share of the GPU's memory unless the deployment set one
    (``memory_fraction``, the bot's ``LIENZO_GPU_MEMORY_FRACTION``, already in ``env``)."""
    env = dict(env)
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
        env.pop("LIENZO_GPU", None)
        if gpu.isdigit():  # not a UUID: the worker names it in its heartbeat
            env["LIENZO_GPU"] = gpu
        share = auto_memory_fraction(sharing)
        if share and memory_fraction is None:
            env["LIENZO_GPU_MEMORY_FRACTION"] = f"{share:g}"
    return env
