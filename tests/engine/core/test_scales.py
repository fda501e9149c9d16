"""The schedule's picture sizes (engine/core/scales.py): each scale's (w, h), never too
small for VGG19, the brush's side, a plan's work.  No Keras."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core import scales
from engine.core.scales import MIN_VGG_SIDE
from engine.params import StyleParams


@pytest.mark.parametrize(("width", "height", "side", "expected"), [
    (600, 400, 300, (300, 200)),  # the long side fitted, the aspect kept
    (400, 600, 300, (200, 300)),
    (100, 50, 400, (400, 200)),  # enlarged: the optimisation paints at that size
    (400, 20, 64, (320, 16)),  # too thin for VGG19 at 64 px: a longer long side than asked
    (400, 20, 32, (320, 16)),  # 32 px rounds the short side up to 2: still 16 px
    (1000, 50, 32, (320, 16)),
])
def test_vgg_fit(width, height, side, expected):
    assert scales.vgg_fit(width, height, side) == expected


def test_resize_for_vgg_gives_the_fitted_size():
    image = np.zeros((400, 600, 3), np.uint8)
    assert scales.resize_for_vgg(image, 300).shape == (200, 300, 3)


def test_plan_sizes_drop_coarse_scales_too_small_for_vgg():
    params = StyleParams(size=64, min_side=32, iterations=5)
    assert params.schedule() == [(32, 5), (45, 5), (64, 5)]
    plan, sizes = scales.plan_sizes(params, 300, 90)  # at 45 px, 13.5 px high: dropped
    assert plan == [(64, 5)] and sizes == [(64, 19)]


def test_the_finest_scale_is_kept_however_thin_the_picture():
    plan, sizes = scales.plan_sizes(StyleParams(size=32, iterations=2), 600, 120)
    assert plan == [(32, 2)] and sizes == [(80, 16)]  # 32 px would be 6 px high
    assert min(sizes[0]) >= MIN_VGG_SIDE


def test_plan_sizes_of_an_ordinary_photo_follow_the_schedule():
    params = StyleParams(size=64, min_side=32, iterations=3)
    plan, sizes = scales.plan_sizes(params, 60, 40)
    assert plan == params.schedule()
    assert sizes == [(32, 21), (45, 30), (64, 43)]


@pytest.mark.parametrize(("side", "style_scale", "expected"), [
    (512, 1.0, 512), (512, 0.6, 307), (512, 1.6, 819), (20, 0.1, MIN_VGG_SIDE)])
def test_style_side_is_the_brush_never_under_vgg19s_minimum(side, style_scale, expected):
    assert scales.style_side(side, StyleParams(style_scale=style_scale)) == expected


def test_work_weights_steps_by_pixels():
    assert scales.work([(32, 10), (64, 5)], [(32, 20), (64, 40)]) == 10 * 640 + 5 * 2560
    with pytest.raises(ValueError):
        scales.work([(32, 10)], [])  # a plan and its sizes go together
