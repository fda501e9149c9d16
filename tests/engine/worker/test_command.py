"""``lienzo worker`` in process (engine/worker/command.py): a bad setting is one line and
exit status 2; ``--gpu`` sets the mask before the backend starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine import config
from tests.support.gpus import GPU_VARIABLES
from tests.support.workers import REPO

pytestmark = pytest.mark.usefixtures("gpu_environment")


def test_a_bad_setting_stops_lienzo_worker_with_that_line(capsys):
    from engine import cli

    os.environ["LIENZO_GPU_MEMORY_FRACTION"] = "2"
    assert cli.main(["worker"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lienzo: LIENZO_GPU_MEMORY_FRACTION must be")


def test_lienzo_worker_gpu_sets_the_mask_before_the_backend_starts(monkeypatch, tmp_path):
    from engine import cli
    from engine.worker import command

    seen = {}

    class Recorder:
        def __init__(self, queue, name, *, settings, **kw):
            seen.update(settings=settings, env={k: os.environ.get(k) for k in GPU_VARIABLES})
            self.name = "recorder"

        def install_signal_handlers(self):
            pass

        def run(self):
            return 0

    monkeypatch.setattr(command, "Worker", Recorder)
    os.environ["LIENZO_GPU_MEMORY_FRACTION"] = "0.3"
    code = cli.main(["worker", "--gpu", "1", "--precision", "bf16",
                     "--queue", f"sqlite:///{tmp_path}/q.db"])
    assert code == 0
    assert seen["settings"].gpu == 1 and seen["settings"].precision == "bf16"
    assert seen["env"]["CUDA_VISIBLE_DEVICES"] == "1" and seen["env"]["LIENZO_GPU"] == "1"
    assert seen["env"]["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.3"
    assert seen["env"]["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert config.load().gpu == 1  # code that reads the settings later names GPU 1 too


def test_the_worker_command_loads_no_backend_before_main_sets_the_mask():
    code = ("import sys; from engine import cli; cli._build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'jax')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"
