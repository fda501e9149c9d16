"""VGG19 block by block (engine.core.blocks, engine.core.block_steps): the blocks'
value and gradient are the whole picture's, on random weights at sizes where both fit."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from engine.core.block_steps import measure
from engine.core.blocks import BlockPasses, Geometry, spans, tile
from engine.core.model import CONTENT_LAYERS, STYLE_LAYERS
from engine.core.optimisers import batch as _batch
from engine.core.transfer import get_engine
from engine.params import StyleParams
from tests.support.workers import REPO

# 9 block shapes: a first, a middle (halo on both sides, inside the picture) and a last
# block per axis; neither side on the 16 px grid.
HEIGHT, WIDTH, BLOCK = 250, 291, 96
TOLERANCE = 1e-4

# The comparison, as a script: the same on TensorFlow (here) and JAX (a subprocess).
COMPARE = textwrap.dedent("""
    import numpy as np
    from engine.core import regions
    from engine.core.block_steps import BlockSteps
    from engine.core.blocks import BlockPasses
    from engine.core.optimisers import batch as _batch
    from engine.core.optimisers import tensor as _tensor
    from engine.core.transfer import get_engine
    from engine.params import StyleParams

    def compare(height, width, block):
        '''max |block - whole| / max |whole| of the gradient and of the loss, per case.'''
        e = get_engine("random", precision="fp32")
        rng = np.random.default_rng(7)
        photo = rng.uniform(0, 255, (height, width, 3)).astype(np.uint8)
        a = rng.uniform(0, 255, (90, 110, 3)).astype(np.uint8)
        b = rng.uniform(0, 255, (120, 80, 3)).astype(np.uint8)
        x = _batch(rng.uniform(0, 255, (height, width, 3)))
        side = max(height, width)
        passes, errors = BlockPasses(e.net), {}
        cases = {"plain": ([(a, 1.0)], StyleParams(size=side), None),
                 "blended": ([(a, 0.3), (b, 0.7)], StyleParams(size=side, strength=3.0), None),
                 "masked": ([(a, 1.0), (b, 1.0)], StyleParams(size=side, split="mask"),
                            np.tile(np.linspace(0, 1, width, dtype=np.float32), (height, 1)))}
        for name, (styles, params, mask) in cases.items():
            content_t, grams = e.targets(photo, styles, params, side)
            coefs, second, steps = e.coefs(params), grams, e._plain
            if mask is not None:  # two styles split by a soft mask, and a clip's later frame
                layout = regions.plan(photo, styles, params, mask)
                second, steps = e.guide(layout.regions, photo, grams, params, side), e._guided
                second["temporal"] = {
                    "previous": _batch(rng.uniform(0, 255, (height, width, 3))),
                    "weight": _tensor(rng.uniform(0, 1, (1, height, width, 1)))}
            whole = steps.value_and_grad(x, e.net.weights, content_t, second, coefs)
            blocks = BlockSteps(passes, block).value_and_grad(x, e.net.weights, content_t,
                                                              second, coefs)
            (lw, pw, gw), (lb, pb, gb) = [[np.asarray(v, np.float64) for v in r]
                                          for r in (whole, blocks)]
            errors[name] = {"grad": float(np.abs(gb - gw).max() / np.abs(gw).max()),
                            "loss": float(abs(lb - lw) / abs(lw)),
                            "parts": float(np.max(np.abs(pb - pw) / np.abs(pw))),
                            "n_parts": len(pb)}
        return errors
""")


def test_blocks_cover_the_picture_once_on_the_grid():
    for length, block in [(250, 96), (291, 96), (2048, 256), (100, 512), (130, 32)]:
        parts = spans(length, block, 80)
        assert parts[0].start == 0 and parts[-1].stop == length
        assert all(p.stop == q.start for p, q in zip(parts, parts[1:], strict=False))
        assert all(p.start % 16 == 0 and p.crop_start % 16 == 0 for p in parts)
        assert all(p.crop_start == max(0, p.start - 80) and p.crop_stop == min(length, p.stop + 80)
                   for p in parts)
        assert all(p.stop - p.start < 1.5 * block + 16 for p in parts)  # a small tail joins
    assert len(tile(250, 291, 96, 80)) == 9
    assert len({b.shape for b in tile(250, 291, 96, 80)}) == 9


def test_the_halo_is_the_deepest_layers_receptive_field_on_the_grid():
    geometry = Geometry.of(get_engine("random").net)
    assert geometry.halo == 80  # block5_conv1 sees 70 px beyond its 16 px cell
    assert geometry.strides == {"block1_conv1": 1, "block2_conv1": 2, "block3_conv1": 4,
                                "block4_conv1": 8, "block4_conv2": 8, "block5_conv1": 16}


def test_targets_measured_in_blocks_are_the_whole_pictures_and_need_the_halo():
    e = get_engine("random", precision="fp32")
    image = np.random.default_rng(3).uniform(0, 255, (200, 232, 3)).astype(np.uint8)
    whole = e.net.features(e.net.weights, _batch(image))
    passes = BlockPasses(e.net)
    content, grams = measure(passes, e.net.weights, image, 64, CONTENT_LAYERS, STYLE_LAYERS)
    for name in CONTENT_LAYERS:
        expected = np.asarray(whole[name])
        assert np.abs(np.asarray(content[name]) - expected).max() <= TOLERANCE * np.abs(
            expected).max()
    for name in STYLE_LAYERS:
        expected = np.asarray(e._style_grams(e.net.weights, _batch(image))[name])
        assert np.abs(np.asarray(grams[name]) - expected).max() <= TOLERANCE * np.abs(
            expected).max()
    # The test can fail: a halo narrower than the receptive field changes the features.
    narrow = BlockPasses(e.net)
    narrow.geometry = dataclasses.replace(narrow.geometry, halo=16)
    content, _ = measure(narrow, e.net.weights, image, 64, CONTENT_LAYERS, ())
    expected = np.asarray(whole[CONTENT_LAYERS[0]])
    assert np.abs(np.asarray(content[CONTENT_LAYERS[0]]) - expected).max() > 0.01 * np.abs(
        expected).max()


def test_block_gradient_is_the_whole_pictures_on_tensorflow():
    """Plain, blended, and masked (two styles split by a soft mask, with a clip's
    temporal term): value, parts and gradient within 1e-4 of the whole picture's."""
    namespace: dict[str, object] = {}
    exec(COMPARE, namespace)  # noqa: S102 - the shared comparison, as the JAX test runs it
    errors = namespace["compare"](HEIGHT, WIDTH, BLOCK)
    _check(errors)


@pytest.mark.e2e
def test_block_gradient_is_the_whole_pictures_on_jax():
    script = COMPARE + textwrap.dedent(f"""
        import json, keras
        assert keras.backend.backend() == "jax"
        print(json.dumps(compare({HEIGHT}, {WIDTH}, {BLOCK})))
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=900, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    _check(json.loads(out.stdout.strip().splitlines()[-1]))


def _check(errors):
    assert set(errors) == {"plain", "blended", "masked"}
    assert errors["masked"]["n_parts"] == 4 and errors["plain"]["n_parts"] == 3
    for case, error in errors.items():
        assert error["grad"] <= TOLERANCE, (case, error)
        assert error["loss"] <= TOLERANCE and error["parts"] <= TOLERANCE, (case, error)


def test_a_painting_in_blocks_is_the_whole_paintings():
    """Engine.stylize with blocks forced: the same picture as the whole picture's
    (Adam on the same gradient, up to float rounding)."""
    e = get_engine("random", precision="fp32")
    photo = np.random.default_rng(5).uniform(0, 255, (120, 150, 3)).astype(np.uint8)
    style = [(np.random.default_rng(6).uniform(0, 255, (64, 64, 3)).astype(np.uint8), 1.0)]
    params = StyleParams(size=150, min_side=150, iterations=4, learning_rate=4.0)
    whole = e.stylize(photo, style, params.replace(block=0))
    blocked = e.stylize(photo, style, params.replace(block=64))
    assert blocked.stats["block"] == 64 and whole.stats["block"] == 0
    diff = np.abs(whole.image.astype(int) - blocked.image.astype(int))
    assert diff.mean() < 0.05 and diff.max() <= 2
    lbfgs = params.replace(optimizer="lbfgs")
    whole, blocked = e.stylize(photo, style, lbfgs.replace(block=0)), e.stylize(
        photo, style, lbfgs.replace(block=64))
    assert blocked.stats["block"] == 64 and blocked.stats["iterations"] == 4
    assert np.abs(whole.image.astype(int) - blocked.image.astype(int)).mean() < 0.5


class ResourceExhaustedError(Exception):
    """Named as TensorFlow's: what the engine takes for running out of memory."""


def test_out_of_memory_falls_back_to_smaller_blocks(monkeypatch):
    e = get_engine("random", precision="fp32")

    class OutOfMemory:
        def adam_step(self, *args):
            raise ResourceExhaustedError("OOM when allocating tensor")

        value_and_grad = adam_step

    monkeypatch.setattr(e, "_plain", OutOfMemory())
    monkeypatch.setattr(e, "_guided", OutOfMemory())
    photo = np.random.default_rng(5).uniform(0, 255, (128, 160, 3)).astype(np.uint8)
    style = [(np.random.default_rng(6).uniform(0, 255, (64, 64, 3)).astype(np.uint8), 1.0)]
    params = StyleParams(size=160, min_side=160, iterations=3, learning_rate=4.0, block=0)
    result = e.stylize(photo, style, params)
    assert result.stats["block"] == 80 and result.stats["iterations"] == 3
    assert result.image.shape == (128, 160, 3)
    # and when there is nothing smaller to try, the error is the job's (no endless loop)
    with pytest.raises(ResourceExhaustedError):
        e.stylize(photo[:80, :112], style, params.replace(size=112, min_side=112))


def test_a_time_budget_returns_the_blocks_best_so_far():
    e = get_engine("random", precision="fp32")
    photo = np.random.default_rng(5).uniform(0, 255, (80, 112, 3)).astype(np.uint8)
    style = [(np.random.default_rng(6).uniform(0, 255, (64, 64, 3)).astype(np.uint8), 1.0)]
    params = StyleParams(size=112, min_side=112, iterations=10_000, block=48,
                         time_budget_s=20.0)
    result = e.stylize(photo, style, params)
    assert result.stats["stopped"] == "time_budget" and result.stats["block"] == 48
    assert result.stats["iterations"] < 10_000 and result.image.shape == (80, 112, 3)
