"""Defaults that depend on the machine (DESIGN.md §5), read from the environment.

A CPU-only machine gets smaller, faster defaults: a 1024 px "balanced" picture
takes a GPU seconds and a CPU many minutes.
"""

from __future__ import annotations

import os

from engine.errors import InvalidParams
from engine.params import QUALITIES


def default_quality(has_gpu: bool) -> str:
    value = os.environ.get("LIENZO_DEFAULT_QUALITY") or ("balanced" if has_gpu else "fast")
    if value not in QUALITIES:
        raise InvalidParams(f"LIENZO_DEFAULT_QUALITY must be one of {', '.join(QUALITIES)}")
    return value


def max_side(has_gpu: bool) -> int:
    """Cap on the output's long side, whatever the user asks (LIENZO_MAX_SIDE)."""
    value = os.environ.get("LIENZO_MAX_SIDE") or ("1024" if has_gpu else "384")
    try:
        return int(value)
    except ValueError:
        raise InvalidParams("LIENZO_MAX_SIDE must be a whole number of pixels") from None


def default_size(has_gpu: bool) -> int:
    """Output long side when none is asked for: 512 px, within the cap."""
    return min(512, max_side(has_gpu))
