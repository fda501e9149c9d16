"""GPU serving (docs/architecture.md, "GPU serving") on a machine without a GPU.

Here, with real processes: local workers spread over the GPUs of a fake
``nvidia-smi`` on PATH (real child processes), and a worker asked for a GPU it does
not have.  In process, next to their modules: the settings and their one-line errors
(tests/engine/test_config.py, tests/bot/test_config.py), the variables
``lienzo worker --gpu`` sets before the backend starts
(tests/engine/worker/test_command.py), the GPUs each worker gets
(tests/bot/test_gpus.py), TensorFlow's memory options
(tests/engine/core/test_backend.py) and the heartbeat naming its GPU
(tests/engine/worker/test_loop.py).  The GPU itself is bench/gpu.sh's.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from bot.gpus import visible_gpus
from bot.local_workers import LocalWorkers
from engine.queue import JobQueue
from tests.support.gpus import GPU_VARIABLES
from tests.support.waiting import wait_for
from tests.support.workers import REPO, engine_env

pytestmark = pytest.mark.usefixtures("gpu_environment")


# --------------------------------------------------------------------------- --gpu


def test_a_worker_asked_for_a_gpu_it_does_not_have_stops_with_one_line(tmp_path, assets):
    env = engine_env(assets, tmp_path / "data")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    out = subprocess.run([sys.executable, "-m", "engine.cli", "worker", "--gpu", "1",
                          "--name", "pinned", "--queue", f"sqlite:///{tmp_path}/q.db"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("lienzo: LIENZO_GPU=1 (--gpu): no GPU is visible"), out.stderr
    assert JobQueue(f"sqlite:///{tmp_path}/q.db").workers() == {}  # no heartbeat left behind


# --------------------------------------------------------------------------- local workers


class EnvWorkers(LocalWorkers):
    """Children that print the GPU variables they were given, then say they are ready."""

    SCRIPT = ("import os, sys, time; g = os.environ.get; "
              "print('env', sys.argv[1], g('CUDA_VISIBLE_DEVICES'), g('LIENZO_GPU'), "
              "g('LIENZO_GPU_MEMORY_FRACTION'), sep='|', flush=True); "
              "print(f'worker {sys.argv[1]} ready: test', flush=True); time.sleep(60)")

    def command(self, slot):
        return [sys.executable, "-c", self.SCRIPT, slot.name]


def run_env_workers(count: int, env: dict) -> dict[str, list[str]]:
    output = io.StringIO()
    # as lienzo bot makes them: bot.config's GPUs and memory fraction, from this environment
    fraction = env.get("LIENZO_GPU_MEMORY_FRACTION")
    workers = EnvWorkers(count, env=env, gpus=visible_gpus(env.get("CUDA_VISIBLE_DEVICES")),
                         memory_fraction=float(fraction) if fraction else None,
                         name_prefix="w", output=output)
    workers.start()
    try:
        wait_for(lambda: all(workers.ready()), 30, message="the workers to be ready")
    finally:
        workers.stop(timeout=5)
    lines = [line.split("|") for line in output.getvalue().splitlines() if line.startswith("env|")]
    return {fields[1]: fields[2:] for fields in lines}


def test_local_workers_spread_over_the_gpus_nvidia_smi_lists(two_gpus):
    env = {k: v for k, v in os.environ.items() if k not in GPU_VARIABLES}
    seen = run_env_workers(4, env)
    assert seen == {"w0": ["0", "0", "0.45"], "w1": ["1", "1", "0.45"],
                    "w2": ["0", "0", "0.45"], "w3": ["1", "1", "0.45"]}
    seen = run_env_workers(2, env)  # one per GPU: no cap, each grows as it needs
    assert seen == {"w0": ["0", "0", "None"], "w1": ["1", "1", "None"]}


def test_local_workers_follow_the_bots_cuda_visible_devices(two_gpus):
    env = {k: v for k, v in os.environ.items() if k not in GPU_VARIABLES}
    seen = run_env_workers(3, dict(env, CUDA_VISIBLE_DEVICES="1"))
    assert {tuple(v) for v in seen.values()} == {("1", "1", "0.3")}
    seen = run_env_workers(1, dict(env, CUDA_VISIBLE_DEVICES=""))
    assert seen == {"w0": ["", "None", "None"]}  # no GPU at all: left as it was


# --------------------------------------------------------------------------- TensorFlow


