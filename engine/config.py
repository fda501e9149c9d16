"""The engine's settings: the one module that reads ``LIENZO_*`` variables shared by
the engine worker, the command line and the bot (docs/architecture.md, "Settings").

A process reads them once, at start-up, with ``load()``; the result is passed
down.  Library functions that take a setting as an optional argument fall back
to ``load()`` (tests and scripts call them directly), so the environment is
still read here and nowhere else.  A typo ends the process at start-up with one
line naming the variable, not mid-job.

The machine decides the defaults: a 1024 px "balanced" picture takes a GPU
seconds and a CPU many minutes, so a CPU-only machine paints smaller and faster.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from engine.errors import InvalidParams
from engine.params import QUALITIES

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class MachineDefaults:
    """What a machine paints when neither the deployment nor the user says otherwise."""

    quality: str
    max_side: int  # cap on the output's long side, whatever the user asks

    @property
    def size(self) -> int:
        """The output's long side when none is asked for."""
        return min(DEFAULT_SIZE, self.max_side)


GPU_DEFAULTS = MachineDefaults(quality="balanced", max_side=1024)
CPU_DEFAULTS = MachineDefaults(quality="fast", max_side=384)
DEFAULT_SIZE = 512
DEFAULT_JOB_TIME_LIMIT_S = 300.0


def is_gpu(device: str) -> bool:
    """Whether a device name (``engine.backend.device``, a worker's heartbeat) is a GPU."""
    return device.startswith("GPU")


def machine_defaults(has_gpu: bool) -> MachineDefaults:
    return GPU_DEFAULTS if has_gpu else CPU_DEFAULTS


@dataclass(frozen=True)
class EngineSettings:
    """``LIENZO_DATA_DIR``, ``LIENZO_QUEUE_URL``, ``LIENZO_STYLES_DIR``,
    ``LIENZO_VGG19_WEIGHTS``, ``LIENZO_MAX_SIDE``, ``LIENZO_DEFAULT_QUALITY``,
    ``LIENZO_JOB_TIME_LIMIT`` and Keras's own ``KERAS_HOME``."""

    data_dir: Path
    queue_url: str
    styles_dir: Path | None
    weights: str  # "imagenet", "random" or a file path
    max_side: int | None  # None: the machine's default
    default_quality: str | None  # None: the machine's default
    job_time_limit_s: float
    keras_home: Path

    @property
    def style_cache_dir(self) -> Path:
        """Downloaded style images and contact sheets."""
        return self.data_dir / "styles"

    def defaults_for(self, has_gpu: bool) -> MachineDefaults:
        """The machine's defaults with the deployment's overrides applied."""
        machine = machine_defaults(has_gpu)
        return MachineDefaults(quality=self.default_quality or machine.quality,
                               max_side=self.max_side or machine.max_side)


def env_text(name: str, default: str = "") -> str:
    """A variable's value, stripped; unset or empty gives ``default``."""
    return os.environ.get(name, "").strip() or default


def env_number(name: str, default: N, cast: Callable[[str], N]) -> N:
    """A number from the environment (unset or empty: ``default``); a typo is an
    InvalidParams naming the variable."""
    raw = env_text(name)
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise InvalidParams(f"{name} must be {kind}, not {raw!r}") from None


def env_ids(name: str) -> frozenset[int]:
    """A comma-separated list of numeric ids (Telegram user or chat ids)."""
    raw = env_text(name).replace(";", ",")
    try:
        return frozenset(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise InvalidParams(f"{name} must be a comma-separated list of numeric ids") from None


def load() -> EngineSettings:
    """Read and check the engine's variables (raises InvalidParams on a bad value)."""
    data_dir = Path(env_text("LIENZO_DATA_DIR", "data")).expanduser()
    styles = env_text("LIENZO_STYLES_DIR")
    quality = env_text("LIENZO_DEFAULT_QUALITY") or None
    if quality is not None and quality not in QUALITIES:
        raise InvalidParams(f"LIENZO_DEFAULT_QUALITY must be one of {', '.join(QUALITIES)}")
    max_side = env_number("LIENZO_MAX_SIDE", 0, int) or None
    if max_side is not None and max_side < 32:
        raise InvalidParams("LIENZO_MAX_SIDE must be at least 32 (pixels)")
    limit = env_number("LIENZO_JOB_TIME_LIMIT", DEFAULT_JOB_TIME_LIMIT_S, float)
    if not limit > 0:
        raise InvalidParams("LIENZO_JOB_TIME_LIMIT must be above 0")
    return EngineSettings(
        data_dir=data_dir,
        queue_url=env_text("LIENZO_QUEUE_URL") or f"sqlite:///{data_dir / 'queue.db'}",
        styles_dir=Path(styles).expanduser() if styles else None,
        weights=env_text("LIENZO_VGG19_WEIGHTS", "imagenet"),
        max_side=max_side,
        default_quality=quality,
        job_time_limit_s=limit,
        keras_home=Path(env_text("KERAS_HOME") or Path.home() / ".keras"),
    )
