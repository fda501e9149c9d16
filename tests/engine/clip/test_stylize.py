"""Clips painted without flicker (engine.clip.stylize, Ruder et al. 2016), with
random VGG19 weights at tiny sizes.  The command line painting a clip:
tests/e2e/test_cli.py."""

import json
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from engine.clip import stylize
from engine.core import losses
from engine.core.transfer import Result, get_engine
from engine.errors import Cancelled, InvalidParams
from engine.params import StyleParams
from tests.support.images import make_content, make_style
from tests.support.workers import REPO


def moving_frames(n: int = 4, w: int = 40, h: int = 32) -> list[np.ndarray]:
    """A textured scene panning 2 px a frame, and a square moving 3 px a frame."""
    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur(rng.uniform(0, 255, (h + 20, w + 40, 3)).astype(np.float32),
                           (0, 0), 2)
    big = np.clip((big - big.mean()) * 4 + 128, 0, 255).astype(np.uint8)
    frames = []
    for i in range(n):
        f = big[10:10 + h, 10 + 2 * i:10 + 2 * i + w].copy()
        f[10:20, 4 + 3 * i:14 + 3 * i] = (250, 230, 30)
        frames.append(f)
    return frames


PARAMS = StyleParams(size=40, min_side=40, iterations=20, quality="fast", faces="paint")


@pytest.fixture(scope="module")
def engine():
    return get_engine(weights="random")


@pytest.fixture(scope="module")
def styles():
    return [(make_style(), 1.0)]


def test_temporal_loss_lowers_the_flicker(engine, styles):
    """Consecutive frames differ less from the previous painting carried along the
    motion (trusted pixels only) with the temporal loss than without: ≥ 3×."""
    frames = moving_frames()
    held = stylize.stylize_clip(engine.stylize, frames, styles, PARAMS, temporal_weight=1e3)
    free = stylize.stylize_clip(engine.stylize, frames, styles, PARAMS, temporal_weight=0)
    assert len(held.frames) == 4 and held.frames[0].shape == (32, 40, 3)
    assert held.stats["warp_error"] * 3 < free.stats["warp_error"]
    # The first frame is a still's painting; the temporal weight changes only the others.
    assert np.array_equal(held.frames[0], free.frames[0])
    assert np.array_equal(held.frames[0], engine.stylize(frames[0], styles, PARAMS).image)
    s = held.stats
    assert s["frames"] == 4 and s["iterations"] == 4 * 20 and s["size"] == [40, 32]
    assert s["temporal_weight"] == 1e3 and s["stopped"] is None


def test_a_still_photo_takes_the_plain_path(engine, styles, monkeypatch):
    """Without a previous frame, no temporal term and no guided step: a photo is
    painted by exactly the code it was before."""
    def refuse(*args, **kwargs):
        raise AssertionError("the guided step ran for a plain photo")

    monkeypatch.setattr(engine._guided, "adam_step", refuse)
    result = engine.stylize(make_content(32, 40), styles, PARAMS.replace(iterations=2))
    assert result.stats["iterations"] == 2


def test_progress_by_frames_and_cancel_between_frames(engine, styles):
    frames = moving_frames(3)
    seen = []
    stylize.stylize_clip(engine.stylize, frames, styles, PARAMS.replace(iterations=4),
                       on_progress=seen.append)
    assert [p.frame for p in seen] == [1] * 4 + [2] * 4 + [3] * 4
    assert {p.frames for p in seen} == {3} and [p.step for p in seen] == list(range(1, 13))
    assert {p.steps for p in seen} == {12} and seen[-1].fraction == pytest.approx(1.0)
    assert all(a.fraction < b.fraction for a, b in zip(seen, seen[1:], strict=False))

    done_first = []

    def stop():
        return bool(done_first)

    def on_progress(p):
        if p.frame == 1 and p.step == 4:
            done_first.append(p)

    with pytest.raises(Cancelled):
        stylize.stylize_clip(engine.stylize, frames, styles, PARAMS.replace(iterations=4),
                           on_progress=on_progress, should_stop=stop)


def test_time_budget_is_shared_by_the_frames(engine, styles):
    """A budget far too small for the steps asked: every frame still comes back."""
    result = stylize.stylize_clip(engine.stylize, moving_frames(3), styles,
                                PARAMS.replace(iterations=5000, time_budget_s=3.0))
    assert len(result.frames) == 3 and result.stats["stopped"] == "time_budget"
    assert result.stats["seconds"] < 30


def test_estimate_and_bad_arguments(engine, styles):
    p = StyleParams(size=384, quality="balanced")
    one = stylize.estimate_seconds(p, 1, 384, 216, first_frame_seconds=10.0)
    many = stylize.estimate_seconds(p, 48, 384, 216, first_frame_seconds=10.0)
    assert one == 10.0 and 10.0 * 2 < many < 10.0 * 48
    later = stylize.frame_params(p)
    assert later.schedule() == [(384, 75)] and later.learning_rate < p.learning_rate
    with pytest.raises(InvalidParams):
        stylize.stylize_clip(engine.stylize, [], styles, PARAMS)
    with pytest.raises(InvalidParams):
        stylize.stylize_clip(engine.stylize, moving_frames(2), styles, PARAMS, temporal_weight=-1)


def test_temporal_loss_is_weighted_per_pixel():
    import keras

    image = np.zeros((1, 2, 2, 3), np.float32)
    previous = np.full((1, 2, 2, 3), 2.0, np.float32)
    weight = np.array([0, 1, 0, 3], np.float32).reshape(1, 2, 2, 1)
    value = losses.temporal_loss(keras.ops.convert_to_tensor(image),
                                 {"previous": keras.ops.convert_to_tensor(previous),
                                  "weight": keras.ops.convert_to_tensor(weight)})
    assert float(value) == pytest.approx((1 + 3) * 4 / 4)


@pytest.mark.e2e
def test_jax_paints_a_clip():
    script = textwrap.dedent("""
        import json
        import keras
        from engine.clip import stylize
        from engine.params import StyleParams
        from engine.core.transfer import get_engine
        from tests.engine.clip.test_stylize import moving_frames
        from tests.support.images import make_style
        assert keras.backend.backend() == "jax"
        p = StyleParams(size=32, min_side=32, iterations=6, faces="paint")
        r = stylize.stylize_clip(get_engine(weights="random").stylize, moving_frames(3, 32, 24),
                               [(make_style(), 1.0)], p)
        print(json.dumps({"frames": len(r.frames), "backend": r.stats["backend"],
                          "warp": r.stats["warp_error"], "shape": list(r.frames[2].shape)}))
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["backend"] == "jax" and figures["frames"] == 3
    assert figures["shape"] == [24, 32, 3] and np.isfinite(figures["warp"])


def test_init_look_starts_a_clip_from_its_frames_and_instant_is_not_optimised(styles):
    """The first look is a photo's (engine.look): a clip asked for init=look starts
    from its frames, as init=content does; an instant clip is engine.look's to paint."""
    seen = []

    def fake(content, styles, params, **kw):
        seen.append((params.init, kw.get("start")))
        return Result(content, {"iterations": 1, "stopped": None, "faces": 0, "size": [40, 32],
                                "backend": "fake", "device": "CPU", "weights": "none"})

    frames = moving_frames(2)
    stylize.stylize_clip(fake, frames, styles, PARAMS.replace(init="look"), temporal_weight=0)
    assert seen == [("content", None), ("content", None)]
    with pytest.raises(InvalidParams, match="instant"):
        stylize.stylize_clip(fake, frames, styles, PARAMS.replace(quality="instant"))
