"""The coarse-to-fine schedule's picture sizes (docs/architecture.md, "The engine"):
each scale's (w, h) for a photo, never too small for VGG19, the side the style
images are measured at (the brush), and the work a plan is (steps × pixels).

No Keras here: the bot and the worker can size a job's work cheaply, e.g. a
clip's time estimate (engine.clip.stylize.estimate_seconds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.media import images
from engine.media.images import RGB
from engine.params import StyleParams

MIN_VGG_SIDE = 16


def vgg_fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    """``fit_within``, but never a short side under MIN_VGG_SIDE (VGG19 pools 4 times
    before block5_conv1: a smaller picture has no pixels left there)."""
    w, h = images.fit_within(width, height, long_side)
    if min(w, h) < MIN_VGG_SIDE:
        # The long side that gives exactly MIN_VGG_SIDE on the short one, from the
        # photo's own ratio (not from the rounded short side, which can be 40% off).
        needed = math.ceil(MIN_VGG_SIDE * max(width, height) / min(width, height))
        w, h = images.fit_within(width, height, needed)
    return w, h


def resize_for_vgg(image: RGB, long_side: int) -> RGB:
    return images.resize_to(image, *vgg_fit(image.shape[1], image.shape[0], long_side))


def plan_sizes(params: StyleParams, width: int,
               height: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The schedule's scales as (side, iterations) and (w, h), dropping coarse scales
    too small for VGG19.

    A very narrow picture gets a longer long side than asked rather than a crash.
    """
    plan = params.schedule()
    kept = [(side, n) for i, (side, n) in enumerate(plan) if i == len(plan) - 1
            or min(images.fit_within(width, height, side)) >= MIN_VGG_SIDE]
    return kept, [vgg_fit(width, height, side) for side, _ in kept]


def style_side(side: int, params: StyleParams) -> int:
    """The side the paintings are measured at for a scale of ``side`` px (the brush)."""
    return max(MIN_VGG_SIDE, round(side * params.style_scale))


def work(plan: Sequence[tuple[int, int]], sizes: Sequence[tuple[int, int]]) -> int:
    """Steps weighted by their pixel counts: what progress and estimates measure."""
    return sum(n * w * h for (_, n), (w, h) in zip(plan, sizes, strict=True))
