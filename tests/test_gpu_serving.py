"""GPU serving (docs/architecture.md, "GPU serving") on a machine without a GPU.

What can be checked here is checked for real: the settings and their one-line
errors, the variables ``lienzo worker --gpu`` sets before the backend starts,
local workers spread over the GPUs of a fake ``nvidia-smi`` on PATH (real child
processes), TensorFlow's memory options (its API, recorded: it refuses them
without a GPU) and the heartbeat naming its GPU (the worker's real start-up,
the backend told it runs on an H100).  The GPU itself is bench/gpu.sh's.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import engine_worker_count
from bot.gpus import assign_gpus, gpu_env, visible_gpus
from bot.local_workers import LocalWorkers
from engine import config
from engine.errors import InvalidParams
from engine.queue import JobQueue
from tests.conftest import REPO, engine_env, wait_for

H100 = "NVIDIA H100 80GB HBM3"
FAKE_SMI = f"""#!/bin/sh
# nvidia-smi as on a machine with two H100s (only what Lienzo asks it)
case "$1" in
  -L) echo "GPU 0: {H100} (UUID: GPU-0aa)"; echo "GPU 1: {H100} (UUID: GPU-1bb)" ;;
  --query-gpu=memory.total) echo 81559; echo 81559 ;;
  *) exit 9 ;;
esac
"""
GPU_VARIABLES = ("CUDA_VISIBLE_DEVICES", "LIENZO_GPU", "LIENZO_GPU_MEMORY_FRACTION",
                 "LIENZO_PRECISION", "LIENZO_ENGINE_WORKERS", "XLA_PYTHON_CLIENT_PREALLOCATE",
                 "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION")


def worker_count() -> int:
    """``LIENZO_ENGINE_WORKERS`` as ``bot.config.load_config`` resolves it here."""
    return engine_worker_count(tuple(visible_gpus(config.cuda_visible_devices())))


@pytest.fixture(autouse=True)
def clean_environment():
    """No GPU variable from outside; whatever a test sets (main() updates os.environ)
    is gone afterwards."""
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


def one_line_error(match: str):
    return pytest.raises(InvalidParams, match=match)


# --------------------------------------------------------------------------- settings


def test_gpu_settings_parse(tmp_path):
    s = config.load()
    assert (s.gpu, s.gpu_memory_fraction, s.precision) == (None, None, "auto")
    os.environ.update(LIENZO_GPU="1", LIENZO_GPU_MEMORY_FRACTION="0.45", LIENZO_PRECISION="BF16")
    s = config.load()
    assert (s.gpu, s.gpu_memory_fraction, s.precision) == (1, 0.45, "bf16")
    os.environ.update(LIENZO_GPU_MEMORY_FRACTION="auto", LIENZO_PRECISION="fp32")
    assert (config.load().gpu_memory_fraction, config.load().precision) == (None, "fp32")
    os.environ["LIENZO_GPU_MEMORY_FRACTION"] = "1"
    assert config.load().gpu_memory_fraction == 1.0


@pytest.mark.parametrize("name, value, message", [
    ("LIENZO_GPU", "one", "LIENZO_GPU must be a GPU's index"),
    ("LIENZO_GPU", "-1", "LIENZO_GPU must be a GPU's index"),
    ("LIENZO_GPU", "1.5", "LIENZO_GPU must be a GPU's index"),
    ("LIENZO_GPU_MEMORY_FRACTION", "0", "LIENZO_GPU_MEMORY_FRACTION must be auto or a share"),
    ("LIENZO_GPU_MEMORY_FRACTION", "1.5", "LIENZO_GPU_MEMORY_FRACTION must be auto or a share"),
    ("LIENZO_GPU_MEMORY_FRACTION", "45%", "LIENZO_GPU_MEMORY_FRACTION must be auto or a share"),
    ("LIENZO_PRECISION", "fp16", "LIENZO_PRECISION must be one of auto, fp32, bf16"),
])
def test_a_bad_gpu_setting_is_one_line_naming_it(name, value, message):
    os.environ[name] = value
    with one_line_error(message) as caught:
        config.load()
    assert "\n" not in str(caught.value) and repr(value) in str(caught.value)


def test_a_bad_setting_stops_lienzo_worker_with_that_line(capsys):
    from engine import cli

    os.environ["LIENZO_GPU_MEMORY_FRACTION"] = "2"
    assert cli.main(["worker"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lienzo: LIENZO_GPU_MEMORY_FRACTION must be")


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


# --------------------------------------------------------------------------- --gpu


def test_backend_environment_pins_the_gpu_and_never_preallocates():
    s = config.load()
    assert config.backend_environment(s) == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    pinned = dataclasses.replace(s, gpu=1, gpu_memory_fraction=0.45)
    assert config.backend_environment(pinned) == {
        "CUDA_VISIBLE_DEVICES": "1", "LIENZO_GPU": "1",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.45"}
    # JAX's own variables, set by the deployment, are left alone (JAX refuses both names)
    os.environ.update(XLA_CLIENT_MEM_FRACTION="0.2", XLA_PYTHON_CLIENT_PREALLOCATE="true")
    assert config.backend_environment(pinned) == {"CUDA_VISIBLE_DEVICES": "1",
                                                  "LIENZO_GPU": "1"}


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


def test_tensorflow_grows_as_needed_or_keeps_to_its_share(fake_tf_gpus, two_gpus):
    from engine import backend

    assert backend.configure_memory(None) == "TensorFlow allocates as needed"
    assert fake_tf_gpus == [("growth", "/physical_device:GPU:0", True),
                            ("growth", "/physical_device:GPU:1", True)]
    fake_tf_gpus.clear()
    assert "at most 45%" in backend.configure_memory(0.45)
    assert fake_tf_gpus == [("limit", f"/physical_device:GPU:{i}", int(0.45 * 81559))
                            for i in range(2)]


def test_a_tensorflow_share_without_nvidia_smi_is_one_line(fake_tf_gpus, no_nvidia_smi):
    from engine import backend

    with one_line_error("LIENZO_GPU_MEMORY_FRACTION needs nvidia-smi"):
        backend.configure_memory(0.45)
    assert fake_tf_gpus == []


def test_the_device_name_says_which_gpu(fake_tf_gpus):
    from engine import backend

    assert backend.gpu() == (H100, (9, 0))
    assert backend.device(1) == f"GPU 1: {H100}"
    assert backend.device() == f"GPU 0: {H100}"  # not pinned: the first one it sees
    os.environ["LIENZO_GPU"] = "3"
    assert backend.device() == f"GPU 3: {H100}"
    assert backend._capability("8.6") == (8, 6)  # JAX's form


def test_the_heartbeat_names_the_gpu(monkeypatch, tmp_path, assets):
    """The worker's real start-up (memory, the GPU check, the engine) with the backend
    saying it runs on an H100: its heartbeat, which the bot reads, names GPU 1."""
    from bot.engine_view import is_gpu
    from engine import backend, transfer
    from engine.worker import Worker

    monkeypatch.setattr(backend, "gpu", lambda: (H100, (9, 0)))
    monkeypatch.setattr(transfer, "_engines", {})  # a fresh Engine: it names its device
    os.environ.update(LIENZO_GPU="1", LIENZO_VGG19_WEIGHTS="random",
                      LIENZO_DATA_DIR=str(tmp_path), LIENZO_STYLES_DIR=str(assets.styles_dir))
    settings = dataclasses.replace(config.load(), precision="fp32")
    queue = JobQueue(f"sqlite:///{tmp_path}/q.db")
    worker = Worker(queue, "gpu-worker", settings=settings, warmup_size=0)
    try:
        worker.start()
        beat = queue.workers()["gpu-worker"]
        assert beat["device"] == f"GPU 1: {H100}" and beat["state"] == "idle"
        assert is_gpu(beat["device"])  # the bot's view: a GPU worker, GPU defaults
    finally:
        worker.stop_heartbeat()
        queue.close()
