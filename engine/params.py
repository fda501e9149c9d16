"""What a user can ask of the engine, as one frozen value.

``StyleParams`` is plain data (no keras), so the bot and the queue can build,
validate and serialise it cheaply; the engine reads it.  Presets live here so
that the command line, the bot and the worker all mean the same thing by
"strong" or "best".
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from engine.errors import InvalidParams

JSONScalar: TypeAlias = str | int | float | None
"""What a parameter is in JSON: every StyleParams field is one of these."""

# Styles in one blend: the one limit for the bot's request parser and the queue
# contract.  Each style adds a Gram target per layer and a VGG19 pass per scale,
# and a blend of more than a handful is mud.
MAX_STYLES = 5

# Style-weight multipliers.  "medium" is jcjohnson/neural-style's balance.
STRENGTHS = {"low": 0.3, "medium": 1.0, "high": 3.0, "max": 10.0}

COLOR_MODES = ("style", "keep", "match")
"""style: the painting's colours; keep: the photo's colours, transferred as
luminance only (Gatys et al. 2016, JJ's -original_colors); match: the
painting's colour statistics matched to the photo's before optimising."""

OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise", "look")
"""The optimisation's starting picture: the photo, noise, or the job's first look
(engine.look: the feed-forward painting the person already saw)."""

FACES = ("soft", "keep", "paint")
"""What happens to faces the engine finds (engine.core.faces): soft: the face keeps its
features and its photo colours, the brushwork reaches it lightly (the default);
keep: no brushwork on it; paint: no protection, the picture as a whole."""

SPLITS = ("none", "person", "mask")
"""Two styles in one picture: none: the styles are blended; person: the first
paints the background, the second the person (found by their face, else the
middle of the picture); mask: a mask image the caller passes (white = first)."""

BRUSHES = {"small": 0.6, "medium": 1.0, "large": 1.6}
"""Brush size → ``style_scale``: the painting is measured at this fraction of
each scale's size, so strokes keep their size relative to the picture (a
preview and a full-size result look alike)."""


@dataclass(frozen=True)
class Quality:
    """One preset: the optimiser and the coarse-to-fine schedule.

    ``first_iterations`` are spent at the coarsest scale, where the picture's
    composition forms; each finer scale starts from the upscaled result and
    needs fewer.  Chosen with bench/engine_speed.py (docs/benchmarks.md).
    """

    min_side: int
    first_iterations: int
    iterations: int


QUALITIES = {
    "fast": Quality(min_side=256, first_iterations=150, iterations=60),
    "balanced": Quality(min_side=192, first_iterations=300, iterations=150),
    "best": Quality(min_side=192, first_iterations=1000, iterations=500),
}

INSTANT = "instant"
"""The quality with no optimisation: the first look (engine.look) is the artwork."""
QUALITY_NAMES = (INSTANT, *QUALITIES)
"""Every quality a person or the command line may ask for, fastest first."""

MIN_SIZE, MAX_SIZE = 32, 8192  # 8192: an 8K print (engine.core.blocks paints it block by block)
BLOCK_GRID = 16  # VGG19 pools 4 times: a block starts on this grid (engine.core.blocks)


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
    faces: str = "soft"
    split: str = "none"
    pooling: str = "max"
    iterations: int | None = None  # overrides the preset's per-scale counts (tests, CLI)
    min_side: int | None = None  # overrides the preset's first scale
    block: int | None = None  # VGG19 evaluated in blocks of this many px; 0: whole; None: auto

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise InvalidParams(message)

        need(MIN_SIZE <= self.size <= MAX_SIZE, f"size must be {MIN_SIZE}-{MAX_SIZE} pixels")
        need(self.quality in QUALITY_NAMES,
             f"quality must be one of {', '.join(QUALITY_NAMES)}")
        need(0 < self.strength <= 100, "strength must be above 0 and at most 100")
        need(self.color_mode in COLOR_MODES, f"colors must be one of {', '.join(COLOR_MODES)}")
        need(0.1 <= self.style_scale <= 4, "style scale must be between 0.1 and 4")
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        need(self.init in INITS, f"init must be one of {', '.join(INITS)}")
        need(self.pooling in ("max", "avg"), "pooling must be max or avg")
        need(self.faces in FACES, f"faces must be one of {', '.join(FACES)}")
        need(self.split in SPLITS, f"split must be one of {', '.join(SPLITS)}")
        need(self.time_budget_s is None or self.time_budget_s > 0, "time budget must be > 0")
        need(0 <= self.lr_hold < 1, "lr_hold must be at least 0 and below 1")
        need(self.iterations is None or self.iterations >= 1, "iterations must be >= 1")
        need(self.min_side is None or self.min_side >= 16, "min_side must be >= 16 pixels")
        need(self.block is None or self.block == 0
             or (self.block >= 2 * BLOCK_GRID and self.block % BLOCK_GRID == 0),
             f"block must be 0 (the whole picture) or a multiple of {BLOCK_GRID} from "
             f"{2 * BLOCK_GRID} px")

    @classmethod
    def from_dict(cls, values: Mapping[str, object], *,
                  base: StyleParams | None = None) -> StyleParams:
        """Parameters from JSON (a job's ``params``): the one way the bot and the
        worker build them.  A missing or ``None`` value means ``base``'s (default:
        the class defaults).  Raises InvalidParams for unknown names ("unknown
        parameter(s): a, b"), values of the wrong type ("bad parameter type (...)")
        and values out of range.  Whole numbers are accepted for float fields and
        integral floats (``512.0``) for whole-number ones; booleans for neither.
        """
        unknown = sorted(set(values) - set(_KINDS))
        if unknown:
            raise InvalidParams(f"unknown parameter(s): {', '.join(unknown)}")
        changes = {name: _coerce(name, value) for name, value in values.items()
                   if value is not None}
        return (base or cls()).replace(**changes)

    def to_dict(self) -> dict[str, JSONScalar]:
        """Every field by name, as JSON values; ``from_dict`` reads it back equal."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> StyleParams:
        return dataclasses.replace(self, **changes)

    @property
    def instant(self) -> bool:
        """No optimisation: the feed-forward look is the picture (``INSTANT``)."""
        return self.quality == INSTANT

    def schedule(self) -> list[tuple[int, int]]:
        """(long side, iterations) per scale, coarse to fine: ×√2 apart up to
        ``BIG_SIDE``, and above it ×2 apart with fewer steps at each (a print:
        ``big_scale_iterations``).  An instant picture has none (InvalidParams): its
        callers paint it with engine.look."""
        if self.instant:
            raise InvalidParams("an instant picture is not optimised: it has no schedule")
        preset = QUALITIES[self.quality]
        big = []  # the print's scales above BIG_SIDE, largest first
        top = float(self.size)
        while top > BIG_SIDE:
            big.append(round(top))
            top /= 2
        start = min(self.min_side or preset.min_side, round(top))
        count = 1
        while top / 2 ** (count / 2) >= start:
            count += 1
        sides = [round(top / 2 ** (k / 2)) for k in reversed(range(count))]
        plan: list[tuple[int, int]] = []
        for i, side in enumerate(sides):
            n = self.iterations or (preset.first_iterations if i == 0 else preset.iterations)
            plan.append((side, n))
        for k, side in enumerate(reversed(big), 1):
            plan.append((side, self.iterations or big_scale_iterations(preset.iterations, k)))
        return plan


BIG_SIDE = 1024
"""Above this long side a scale costs 4× the one before it and is refining strokes the
scale below already placed: the schedule goes ×2 apart there, with fewer steps."""
MIN_BIG_STEPS = 30


def big_scale_iterations(iterations: int, k: int) -> int:
    """Steps at the k-th scale above ``BIG_SIDE`` (1: the first): a third of the scale
    below's each time, at least ``MIN_BIG_STEPS`` - Galerne et al.'s max(600/3^s, 30),
    in Lienzo's per-scale units."""
    return max(MIN_BIG_STEPS, round(iterations / 3.0**k))


def _field_kinds() -> dict[str, type]:
    """Field name -> the type its value must have (``int``, ``float`` or ``str``)."""
    kinds = {}
    for name, hint in typing.get_type_hints(StyleParams).items():
        kind = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
        if kind not in (int, float, str):  # pragma: no cover - a new field needs a rule
            raise TypeError(f"StyleParams.{name}: no JSON rule for {hint}")
        kinds[name] = kind
    return kinds


_KINDS = _field_kinds()
_KIND_NAMES = {int: "a whole number", float: "a number", str: "text"}


def _coerce(name: str, value: object) -> int | float | str:
    """``value`` as field ``name``'s type; InvalidParams("bad parameter type (...)")."""
    kind = _KINDS[name]
    if kind is str and isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind is float:
            try:
                return float(value)
            except OverflowError:
                raise InvalidParams(f"bad parameter type ({name} is too large)") from None
        if kind is int and (isinstance(value, int) or value.is_integer()):
            return int(value)
    raise InvalidParams(f"bad parameter type ({name} must be {_KIND_NAMES[kind]}, "
                        f"not {type(value).__name__})")


def brush_scale(name: str) -> float:
    """'small' → 0.6.  Raises InvalidParams with what is allowed."""
    key = name.strip().lower()
    if key not in BRUSHES:
        raise InvalidParams(f"brush must be one of {', '.join(BRUSHES)}")
    return BRUSHES[key]


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
