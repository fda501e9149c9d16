"""The engine's settings (engine/config.py): read from the environment once, each bad
value one line naming its variable; the GPU settings and what they set for the backend."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from engine import config
from engine.errors import InvalidParams

pytestmark = pytest.mark.usefixtures("gpu_environment")


def one_line_error(match: str):
    return pytest.raises(InvalidParams, match=match)


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


def test_clip_side_is_the_machines_unless_configured(monkeypatch):
    from engine import config

    monkeypatch.delenv("LIENZO_CLIP_MAX_SIDE", raising=False)
    settings = config.load()
    assert settings.defaults_for(True).clip_side == 384
    assert settings.defaults_for(False).clip_side == 128
    monkeypatch.setenv("LIENZO_CLIP_MAX_SIDE", "200")
    assert config.load().defaults_for(False).clip_side == 200
    monkeypatch.setenv("LIENZO_CLIP_MAX_SIDE", "10")
    with pytest.raises(Exception, match="LIENZO_CLIP_MAX_SIDE"):
        config.load()


ENGINE_VARIABLES = ("LIENZO_DATA_DIR", "LIENZO_QUEUE_URL", "LIENZO_STYLES_DIR",
                    "LIENZO_VGG19_WEIGHTS", "LIENZO_MAX_SIDE", "LIENZO_DEFAULT_QUALITY",
                    "LIENZO_JOB_TIME_LIMIT", "LIENZO_CLIP_MAX_SIDE", "LIENZO_PRINT_SIDE",
                    "LIENZO_PRINT_TIME_LIMIT", "KERAS_HOME")


@pytest.fixture
def bare(monkeypatch):
    """None of the engine's variables set (the tests' own LIENZO_VGG19_WEIGHTS included)."""
    for name in ENGINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("bare")
def test_with_nothing_set_the_defaults_are_the_documented_ones(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = config.load()
    assert s.data_dir == Path("data") and s.queue_url == "sqlite:///data/queue.db"
    assert (s.styles_dir, s.weights, s.max_side, s.default_quality) == (
        None, "imagenet", None, None)
    assert s.job_time_limit_s == config.DEFAULT_JOB_TIME_LIMIT_S
    assert s.style_cache_dir == Path("data/styles")
    assert s.keras_home.name == ".keras"


@pytest.mark.usefixtures("bare")
def test_the_deployment_overrides_the_machines_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LIENZO_MAX_SIDE", " 256 ")  # stripped
    monkeypatch.setenv("LIENZO_DEFAULT_QUALITY", "best")
    s = config.load()
    assert s.queue_url == f"sqlite:///{tmp_path / 'queue.db'}"
    gpu, cpu = s.defaults_for(True), s.defaults_for(False)
    assert (gpu.quality, gpu.max_side, gpu.size) == ("best", 256, 256)
    assert (cpu.quality, cpu.max_side, cpu.clip_side) == ("best", 256, 128)
    monkeypatch.setenv("LIENZO_MAX_SIDE", "")  # empty is unset
    assert config.load().defaults_for(True) == dataclasses.replace(
        config.GPU_DEFAULTS, quality="best")


@pytest.mark.usefixtures("bare")
def test_the_default_quality_may_be_instant(monkeypatch):
    """LIENZO_DEFAULT_QUALITY=instant: the first look is every job's picture unless the
    job asks otherwise; the machine's sizes stay its own."""
    monkeypatch.setenv("LIENZO_DEFAULT_QUALITY", "instant")
    s = config.load()
    assert s.default_quality == "instant"
    for has_gpu, machine in ((True, config.GPU_DEFAULTS), (False, config.CPU_DEFAULTS)):
        defaults = s.defaults_for(has_gpu)
        assert defaults.quality == "instant"
        assert (defaults.size, defaults.max_side) == (machine.size, machine.max_side)


@pytest.mark.usefixtures("bare")
def test_a_print_has_its_own_side_and_time_limit_not_the_paintings(monkeypatch):
    """LIENZO_PRINT_SIDE: 4096 px on a GPU, 1536 on a CPU unless set, whatever
    LIENZO_MAX_SIDE says; LIENZO_PRINT_TIME_LIMIT: 1800 s unless set."""
    monkeypatch.setenv("LIENZO_MAX_SIDE", "256")
    s = config.load()
    assert (s.defaults_for(True).print_side, s.defaults_for(False).print_side) == (4096, 1536)
    assert s.print_time_limit_s == config.DEFAULT_PRINT_TIME_LIMIT_S == 1800.0
    monkeypatch.setenv("LIENZO_PRINT_SIDE", "2048")
    monkeypatch.setenv("LIENZO_PRINT_TIME_LIMIT", "600")
    s = config.load()
    assert (s.defaults_for(True).print_side, s.defaults_for(False).print_side) == (2048, 2048)
    assert s.print_time_limit_s == 600.0 and s.defaults_for(True).max_side == 256


def test_machine_defaults_follow_the_device():
    assert config.machine_defaults(config.is_gpu("GPU 0: NVIDIA H100")) is config.GPU_DEFAULTS
    assert config.machine_defaults(config.is_gpu("CPU")) is config.CPU_DEFAULTS
    assert config.CPU_DEFAULTS.size == 384 and config.GPU_DEFAULTS.size == 512


@pytest.mark.usefixtures("bare")
@pytest.mark.parametrize(("name", "value", "message"), [
    ("LIENZO_MAX_SIDE", "big", "LIENZO_MAX_SIDE must be a whole number, not 'big'"),
    ("LIENZO_MAX_SIDE", "16", "LIENZO_MAX_SIDE must be at least 32 (pixels)"),
    ("LIENZO_DEFAULT_QUALITY", "ultra",
     "LIENZO_DEFAULT_QUALITY must be one of instant, fast, balanced, best"),
    ("LIENZO_JOB_TIME_LIMIT", "0", "LIENZO_JOB_TIME_LIMIT must be above 0"),
    ("LIENZO_JOB_TIME_LIMIT", "5 min", "LIENZO_JOB_TIME_LIMIT must be a number, not '5 min'"),
    ("LIENZO_CLIP_MAX_SIDE", "8", "LIENZO_CLIP_MAX_SIDE must be at least 32 (pixels)"),
    ("LIENZO_PRINT_SIDE", "8", "LIENZO_PRINT_SIDE must be 32-8192 (pixels)"),
    ("LIENZO_PRINT_SIDE", "10000", "LIENZO_PRINT_SIDE must be 32-8192 (pixels)"),
    ("LIENZO_PRINT_SIDE", "4k", "LIENZO_PRINT_SIDE must be a whole number, not '4k'"),
    ("LIENZO_PRINT_TIME_LIMIT", "-1", "LIENZO_PRINT_TIME_LIMIT must be above 0"),
])
def test_a_bad_value_is_one_line_naming_its_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidParams) as caught:
        config.load()
    assert str(caught.value) == message
