"""Defaults that depend on the machine (DESIGN.md §5), read from the environment.

A CPU-only machine gets smaller, faster defaults: a 1024 px "balanced" picture
takes a GPU seconds and a CPU many minutes.
"""

from __future__ import annotations

import os

from engine.errors import InvalidParams
from engine.params import QUALITIES


def env_number(name: str, default, cast=int):
    """A number from the environment (unset or empty: ``default``); a typo is an
    InvalidParams naming the variable, raised at start-up rather than mid-job."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise InvalidParams(f"{name} must be {kind}, not {raw!r}") from None


def default_quality(has_gpu: bool) -> str:
    value = os.environ.get("LIENZO_DEFAULT_QUALITY") or ("balanced" if has_gpu else "fast")
    if value not in QUALITIES:
        raise InvalidParams(f"LIENZO_DEFAULT_QUALITY must be one of {', '.join(QUALITIES)}")
    return value


def max_side(has_gpu: bool) -> int:
    """Cap on the output's long side, whatever the user asks (LIENZO_MAX_SIDE)."""
    return env_number("LIENZO_MAX_SIDE", 1024 if has_gpu else 384)


def default_size(has_gpu: bool) -> int:
    """Output long side when none is asked for: 512 px, within the cap."""
    return min(512, max_side(has_gpu))
