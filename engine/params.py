"""What a user can ask of the engine, as one frozen value.

``StyleParams`` is plain data (no keras), so the bot and the queue can build,
validate and serialise it cheaply; the engine reads it.  Presets live here so
that the command line, the bot and the worker all mean the same thing by
"strong" or "best".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.errors import InvalidParams

# Style-weight multipliers.  "medium" is jcjohnson/neural-style's balance.
STRENGTHS = {"low": 0.3, "medium": 1.0, "high": 3.0, "max": 10.0}

COLOR_MODES = ("style", "keep", "match")
"""style: the painting's colours; keep: the photo's colours, transferred as
luminance only (Gatys et al. 2016, JJ's -original_colors); match: the
painting's colour statistics matched to the photo's before optimising."""

OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise")


@dataclass(frozen=True)
class Quality:
    """One preset: the optimiser and the coarse-to-fine schedule.

    ``first_iterations`` are spent at the coarsest scale, where the picture's
    composition forms; each finer scale starts from the upscaled result and
    needs fewer.  Chosen from bench/engine.py (docs/benchmarks.md).
    """

    min_side: int
    first_iterations: int
    iterations: int


QUALITIES = {
    "fast": Quality(min_side=256, first_iterations=150, iterations=60),
    "balanced": Quality(min_side=192, first_iterations=300, iterations=150),
    "best": Quality(min_side=192, first_iterations=1000, iterations=500),
}

MIN_SIZE, MAX_SIZE = 32, 4096


@dataclass(frozen=True)
class StyleParams:
    """Everything that changes the picture.  Frozen: it is a cache key."""

    size: int = 512  # long side of the output, pixels
    quality: str = "balanced"
    strength: float = 1.0  # style-weight multiplier
    color_mode: str = "style"
    style_scale: float = 1.0  # style image measured at this fraction of the output size
    optimizer: str = "adam"
    init: str = "content"
    seed: int = 0
    time_budget_s: float | None = None  # stop here and return the best image so far
    content_weight: float = 5.0
    style_weight: float = 100.0
    tv_weight: float = 1e-3
    learning_rate: float = 30.0  # Adam's peak step per scale, 0-255 pixel units
    lr_hold: float = 0.7  # share of each scale at the peak rate; then a half cosine to 0
    lbfgs_history: int = 10
    pooling: str = "max"
    iterations: int | None = None  # overrides the preset's per-scale counts (tests, CLI)
    min_side: int | None = None  # overrides the preset's first scale

    def __post_init__(self):
        def need(ok: bool, message: str):
            if not ok:
                raise InvalidParams(message)

        need(MIN_SIZE <= self.size <= MAX_SIZE, f"size must be {MIN_SIZE}-{MAX_SIZE} pixels")
        need(self.quality in QUALITIES, f"quality must be one of {', '.join(QUALITIES)}")
        need(0 < self.strength <= 100, "strength must be above 0 and at most 100")
        need(self.color_mode in COLOR_MODES, f"colors must be one of {', '.join(COLOR_MODES)}")
        need(0.1 <= self.style_scale <= 4, "style scale must be between 0.1 and 4")
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        need(self.init in INITS, f"init must be one of {', '.join(INITS)}")
        need(self.pooling in ("max", "avg"), "pooling must be max or avg")
        need(self.time_budget_s is None or self.time_budget_s > 0, "time budget must be > 0")
        need(0 <= self.lr_hold < 1, "lr_hold must be at least 0 and below 1")
        need(self.iterations is None or self.iterations >= 1, "iterations must be >= 1")
        need(self.min_side is None or self.min_side >= 16, "min_side must be >= 16 pixels")

    def replace(self, **changes) -> StyleParams:
        return dataclasses.replace(self, **changes)

    def schedule(self) -> list[tuple[int, int]]:
        """(long side, iterations) per scale, coarse to fine, ×√2 apart."""
        preset = QUALITIES[self.quality]
        start = min(self.min_side or preset.min_side, self.size)
        count = 1
        while self.size / 2 ** (count / 2) >= start:
            count += 1
        sides = [round(self.size / 2 ** (k / 2)) for k in reversed(range(count))]
        plan = []
        for i, side in enumerate(sides):
            n = self.iterations or (preset.first_iterations if i == 0 else preset.iterations)
            plan.append((side, n))
        return plan


def strength_value(name_or_number: str | float) -> float:
    """'high' → 3.0; '2.5' → 2.5.  Raises InvalidParams with what is allowed."""
    if isinstance(name_or_number, (int, float)):
        return float(name_or_number)
    key = str(name_or_number).strip().lower()
    if key in STRENGTHS:
        return STRENGTHS[key]
    try:
        return float(key)
    except ValueError:
        raise InvalidParams(
            f"strength must be one of {', '.join(STRENGTHS)} or a number"
        ) from None
