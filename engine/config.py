"""The engine's settings: the module that reads the ``LIENZO_*`` variables of the
engine worker and the command line, which the bot shares (docs/architecture.md,
"Settings"); the bot's own are read by ``bot.config``, which parses them with
the ``number`` helper here.

A process reads them once, at start-up, with ``load()`` (``lienzo paint`` and
``styles``: ``engine.cli``; ``lienzo worker``: ``engine.worker.command``; the
bot: ``bot.config.load_config``), and passes the result down: no library
function reads them.  A typo ends the process at start-up with one line naming
the variable, not mid-job.

The machine decides the defaults: a 1024 px "balanced" picture takes a GPU
seconds and a CPU many minutes, so a CPU-only machine paints smaller and faster.
A print (the bot's 🖨 Print: the same painting again at ``LIENZO_PRINT_SIDE``,
docs/architecture.md "Prints") is capped by the print side, not by
``LIENZO_MAX_SIDE``, and has its own time limit, ``LIENZO_PRINT_TIME_LIMIT``.

GPU serving (docs/architecture.md, "GPU serving"): ``LIENZO_GPU`` pins a worker
to one GPU, ``LIENZO_GPU_MEMORY_FRACTION`` caps its share of that GPU's memory,
``LIENZO_PRECISION`` chooses float32 or bfloat16 convolutions.  The first two
must reach CUDA and JAX before the backend starts: ``backend_environment`` says
which variables that means, and ``lienzo worker`` sets them before Keras loads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from engine.errors import InvalidParams
from engine.params import MAX_SIZE, MIN_SIZE, QUALITY_NAMES, StyleParams

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class MachineDefaults:
    """What a machine paints when neither the deployment nor the user says otherwise."""

    quality: str
    max_side: int  # cap on the output's long side, whatever the user asks
    clip_side: int = 384  # cap on a clip's long side (every frame is a painting)
    print_side: int = 1536  # a print's long side (engine.worker.printing)

    @property
    def size(self) -> int:
        """The output's long side when none is asked for."""
        return min(DEFAULT_SIZE, self.max_side)

    def params(self, raw: Mapping[str, object]) -> StyleParams:
        """A job's parameters (``StyleParams.from_dict``'s form) as this machine paints
        them: its default size and quality where none was chosen, the size capped at
        its largest.  The worker paints by it; the bot reads a job by it (its first
        look, whether it is instant)."""
        params = StyleParams.from_dict(raw, base=StyleParams(quality=self.quality,
                                                             size=self.size))
        return params.replace(size=min(params.size, self.max_side))


# A print: 4096 px (a 34 cm / 13.6 in side at 300 dpi) on a GPU, which paints it block by
# block in its memory (engine.core); 1536 px on a CPU, where each step at that size already
# takes seconds.
GPU_DEFAULTS = MachineDefaults(quality="balanced", max_side=1024, print_side=4096)
CPU_DEFAULTS = MachineDefaults(quality="fast", max_side=384, clip_side=128, print_side=1536)
# Clips (engine.clip.reading): what of a clip is painted, on any machine.
CLIP_SECONDS, CLIP_FPS = 4.0, 12.0
CLIP_TEMPORAL_WEIGHT = 1e3  # Ruder et al.'s default (engine.clip.stylize)
DEFAULT_SIZE = StyleParams.size  # a picture's long side when nobody asks
DEFAULT_JOB_TIME_LIMIT_S = 300.0
# A print's time limit, on any machine: six paintings' worth.  At the limit the best
# picture so far is the print (on a CPU at 1536 px that is often before the last steps).
DEFAULT_PRINT_TIME_LIMIT_S = 1800.0
PRECISIONS = ("auto", "fp32", "bf16")


def is_gpu(device: str) -> bool:
    """Whether a device name (``engine.core.backend.device``, a worker's heartbeat) is a GPU."""
    return device.startswith("GPU")


def machine_defaults(has_gpu: bool) -> MachineDefaults:
    return GPU_DEFAULTS if has_gpu else CPU_DEFAULTS


@dataclass(frozen=True)
class EngineSettings:
    """``LIENZO_DATA_DIR``, ``LIENZO_QUEUE_URL``, ``LIENZO_STYLES_DIR``,
    ``LIENZO_VGG19_WEIGHTS``, ``LIENZO_MAX_SIDE``, ``LIENZO_DEFAULT_QUALITY``,
    ``LIENZO_JOB_TIME_LIMIT``, ``LIENZO_GPU``, ``LIENZO_GPU_MEMORY_FRACTION``,
    ``LIENZO_PRECISION``, ``LIENZO_CLIP_MAX_SIDE``, ``LIENZO_PRINT_SIDE``,
    ``LIENZO_PRINT_TIME_LIMIT`` and Keras's own ``KERAS_HOME``."""

    data_dir: Path
    queue_url: str
    styles_dir: Path | None
    weights: str  # "imagenet", "random" or a file path
    max_side: int | None  # None: the machine's default
    default_quality: str | None  # None: the machine's default
    job_time_limit_s: float
    keras_home: Path
    gpu: int | None = None  # nvidia-smi's index of the one GPU to use; None: the first visible
    gpu_memory_fraction: float | None = None  # None: auto (grow as needed)
    precision: str = "auto"  # PRECISIONS; auto: bf16 on GPUs with bf16 tensor cores
    clip_max_side: int | None = None  # LIENZO_CLIP_MAX_SIDE; None: the machine's default
    print_side: int | None = None  # LIENZO_PRINT_SIDE; None: the machine's default
    print_time_limit_s: float = DEFAULT_PRINT_TIME_LIMIT_S  # LIENZO_PRINT_TIME_LIMIT

    @property
    def style_cache_dir(self) -> Path:
        """Downloaded style images and contact sheets."""
        return self.data_dir / "styles"

    def defaults_for(self, has_gpu: bool) -> MachineDefaults:
        """The machine's defaults with the deployment's overrides applied."""
        machine = machine_defaults(has_gpu)
        return MachineDefaults(quality=self.default_quality or machine.quality,
                               max_side=self.max_side or machine.max_side,
                               clip_side=self.clip_max_side or machine.clip_side,
                               print_side=self.print_side or machine.print_side)


def env_text(name: str, default: str = "") -> str:
    """A variable's value, stripped; unset or empty gives ``default``."""
    return os.environ.get(name, "").strip() or default


def number(name: str, raw: str, default: N, cast: Callable[[str], N]) -> N:
    """A number from variable ``name``'s text ``raw`` (empty: ``default``); a typo is
    an InvalidParams naming the variable."""
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise InvalidParams(f"{name} must be {kind}, not {raw!r}") from None


def env_number(name: str, default: N, cast: Callable[[str], N]) -> N:
    """A number from the environment (unset or empty: ``default``)."""
    return number(name, env_text(name), default, cast)


def gpu_index(name: str, raw: str) -> int:
    """A GPU's index as nvidia-smi numbers it (``LIENZO_GPU``, ``--gpu``)."""
    if not raw.strip().isdigit():
        raise InvalidParams(f"{name} must be a GPU's index as nvidia-smi -L numbers it "
                            f"(0, 1, ...), not {raw!r}")
    return int(raw)


def memory_fraction(name: str, raw: str) -> float | None:
    """``auto`` (None) or a share of a GPU's memory in (0, 1]."""
    text = raw.strip().lower()
    if text in ("", "auto"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise InvalidParams(f"{name} must be auto or a share of the GPU's memory above 0 and "
                            f"at most 1 (0.45 = 45%), not {raw!r}")
    return value


def precision(name: str, raw: str) -> str:
    text = raw.strip().lower() or "auto"
    if text not in PRECISIONS:
        raise InvalidParams(f"{name} must be one of {', '.join(PRECISIONS)}, not {raw!r}")
    return text


def backend_environment(settings: EngineSettings) -> dict[str, str]:
    """The variables that carry ``settings``' GPU choices to CUDA and JAX; set them
    before Keras loads (CUDA reads its mask and JAX its allocator options once, when
    the backend starts).  TensorFlow's memory options are set through its API
    instead (``engine.core.backend.configure_memory``).

    - ``LIENZO_GPU=N`` → ``CUDA_VISIBLE_DEVICES=N`` (and ``LIENZO_GPU`` itself, so
      that code reading the settings later in this process names the same GPU);
    - JAX never preallocates (``XLA_PYTHON_CLIENT_PREALLOCATE=false``): each worker
      takes what its pictures need; a fraction caps it
      (``XLA_PYTHON_CLIENT_MEM_FRACTION``, the name every JAX version reads).
      JAX's own variables, when the deployment sets them, are left as they are.
    """
    env: dict[str, str] = {}
    if settings.gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = env["LIENZO_GPU"] = str(settings.gpu)
    jax_set = {k for k in ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION",
                           "XLA_CLIENT_MEM_FRACTION") if os.environ.get(k) is not None}
    if "XLA_PYTHON_CLIENT_PREALLOCATE" not in jax_set:
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    if settings.gpu_memory_fraction is not None and not jax_set & {
            "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION"}:
        env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{settings.gpu_memory_fraction:g}"
    return env


def load() -> EngineSettings:
    """Read and check the engine's variables (raises InvalidParams on a bad value)."""
    data_dir = Path(env_text("LIENZO_DATA_DIR", "data")).expanduser()
    styles = env_text("LIENZO_STYLES_DIR")
    quality = env_text("LIENZO_DEFAULT_QUALITY") or None
    if quality is not None and quality not in QUALITY_NAMES:
        raise InvalidParams(
            f"LIENZO_DEFAULT_QUALITY must be one of {', '.join(QUALITY_NAMES)}")
    max_side = env_number("LIENZO_MAX_SIDE", 0, int) or None
    if max_side is not None and max_side < MIN_SIZE:
        raise InvalidParams(f"LIENZO_MAX_SIDE must be at least {MIN_SIZE} (pixels)")
    limit = env_number("LIENZO_JOB_TIME_LIMIT", DEFAULT_JOB_TIME_LIMIT_S, float)
    if not limit > 0:
        raise InvalidParams("LIENZO_JOB_TIME_LIMIT must be above 0")
    gpu = env_text("LIENZO_GPU")
    clip_side = env_number("LIENZO_CLIP_MAX_SIDE", 0, int) or None
    if clip_side is not None and clip_side < MIN_SIZE:
        raise InvalidParams(f"LIENZO_CLIP_MAX_SIDE must be at least {MIN_SIZE} (pixels)")
    print_side = env_number("LIENZO_PRINT_SIDE", 0, int) or None
    if print_side is not None and not MIN_SIZE <= print_side <= MAX_SIZE:
        raise InvalidParams(f"LIENZO_PRINT_SIDE must be {MIN_SIZE}-{MAX_SIZE} (pixels)")
    print_limit = env_number("LIENZO_PRINT_TIME_LIMIT", DEFAULT_PRINT_TIME_LIMIT_S, float)
    if not print_limit > 0:
        raise InvalidParams("LIENZO_PRINT_TIME_LIMIT must be above 0")
    return EngineSettings(
        data_dir=data_dir,
        queue_url=env_text("LIENZO_QUEUE_URL") or f"sqlite:///{data_dir / 'queue.db'}",
        styles_dir=Path(styles).expanduser() if styles else None,
        weights=env_text("LIENZO_VGG19_WEIGHTS", "imagenet"),
        max_side=max_side,
        default_quality=quality,
        job_time_limit_s=limit,
        keras_home=Path(env_text("KERAS_HOME") or Path.home() / ".keras"),
        gpu=gpu_index("LIENZO_GPU", gpu) if gpu else None,
        gpu_memory_fraction=memory_fraction("LIENZO_GPU_MEMORY_FRACTION",
                                            env_text("LIENZO_GPU_MEMORY_FRACTION")),
        precision=precision("LIENZO_PRECISION", env_text("LIENZO_PRECISION")),
        clip_max_side=clip_side,
        print_side=print_side,
        print_time_limit_s=print_limit,
    )
