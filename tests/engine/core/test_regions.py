"""Spatial control: masked Gram matrices, regions, face protection, two styles in
one picture (engine.core.regions, engine.core.faces, engine.core.losses.guided_objective).
Random VGG19 weights throughout; the astronaut is scikit-image's photo."""

import io
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from keras import ops
from PIL import Image
from skimage import data

from engine.core import faces, losses, regions
from engine.core.model import STYLE_LAYERS
from engine.core.regions import Region
from engine.core.transfer import get_engine
from engine.errors import InvalidParams
from engine.media import images
from engine.params import StyleParams
from tests.support.images import make_content, make_style
from tests.support.workers import REPO

TINY = StyleParams(size=96, min_side=96, iterations=15, learning_rate=8.0)


@pytest.fixture(scope="module")
def engine():
    return get_engine(weights="random")


@pytest.fixture(scope="module")
def astronaut():
    """The astronaut at 128 px: one face the cascade finds, top middle."""
    return images.resize_to(data.astronaut(), 128, 128)


def _features(seed=0, shape=(1, 8, 10, 4)):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_masked_gram_of_a_region_is_the_gram_of_that_region_cut_out():
    feats = _features()
    mask = np.zeros((1, 8, 10, 1), np.float32)
    mask[:, 2:7, 3:9] = 1.0
    masked = np.asarray(losses.masked_gram(ops.convert_to_tensor(feats),
                                           ops.convert_to_tensor(mask)))
    cut = np.asarray(losses.gram(ops.convert_to_tensor(feats[:, 2:7, 3:9, :])))
    np.testing.assert_allclose(masked, cut, rtol=1e-5, atol=1e-6)
    everywhere = np.asarray(losses.masked_gram(ops.convert_to_tensor(feats),
                                               ops.ones((1, 8, 10, 1))))
    np.testing.assert_allclose(everywhere, np.asarray(losses.gram(feats)), rtol=1e-5)


def test_masks_are_pooled_to_each_layers_resolution_as_vgg_pools(engine):
    """Odd sizes too: the pyramid's shapes are the feature maps' shapes."""
    h, w = 37, 53
    feats = engine.net.features(engine.net.weights, ops.zeros((1, h, w, 3)))
    pyramid = regions.pyramid(np.ones((h, w), np.float32))
    for name in STYLE_LAYERS:
        assert pyramid[name].shape == (*feats[name].shape[:3], 1), name
    half = np.zeros((4, 4), np.float32)
    half[:, :2] = 1.0
    np.testing.assert_array_equal(regions.pool(half, 1), [[1.0, 0.0], [1.0, 0.0]])


def test_masks_of_a_picture_add_up_to_one():
    a = np.zeros((20, 30), np.float32)
    a[:, :10] = 1.0
    b = np.full((20, 30), 0.5, np.float32)  # overlaps a; nobody else claims the rest
    masks = regions.at_size([Region(a), Region(b)], 15, 10)
    np.testing.assert_allclose(np.sum(masks, axis=0), 1.0, rtol=1e-6)
    assert all(m.shape == (10, 15) for m in masks)


def _style_gradient(engine, content, layout, params):
    content_t, gram_t = engine.targets(content, [(make_style(64, 64), 1.0)], params,
                                       max(content.shape[:2]))
    guide = engine.guide(layout, content, gram_t, params, max(content.shape[:2]))
    coefs = ops.convert_to_tensor([0.0, 1.0, 0.0])  # the style term alone
    x = ops.convert_to_tensor(content[None].astype(np.float32))
    _, _, grad = engine._guided.value_and_grad(x, engine.net.weights, content_t, guide, coefs)
    return np.abs(np.asarray(grad)[0]).sum(axis=2)


def test_a_region_with_style_weight_zero_gets_no_style_gradient(engine):
    """Left half weight 0, right half 1: no style gradient on the left beyond the
    reach of block5_conv1's receptive field (156 px) from the right half."""
    h, w = 32, 320
    content = make_content(h, w)
    left = np.zeros((h, w), np.float32)
    left[:, :160] = 1.0
    layout = [Region(left, style_weight=0.0), Region(1.0 - left)]
    grad = _style_gradient(engine, content, layout, TINY)
    assert np.all(grad[:, :60] == 0.0)
    assert grad[:, 200:].mean() > 0.0
    both = _style_gradient(engine, content, [Region(left), Region(1.0 - left)], TINY)
    assert both[:, :60].mean() > 0.0  # the zero came from the weight, not the picture


def test_one_region_over_the_whole_picture_is_the_plain_objective(engine):
    content = make_content(48, 64)
    styles = [(make_style(), 1.0)]
    content_t, gram_t = engine.targets(content, styles, TINY, 64)
    whole = [Region(np.ones((48, 64), np.float32))]
    guide = engine.guide(whole, content, gram_t, TINY, 64)
    x = ops.convert_to_tensor(make_content(48, 64, seed=5)[None].astype(np.float32))
    coefs = engine.coefs(TINY)
    plain, _ = engine._plain.objective(x, engine.net.weights, content_t, gram_t, coefs)
    guided, _ = engine._guided.objective(x, engine.net.weights, content_t, guide, coefs)
    np.testing.assert_allclose(float(guided), float(plain), rtol=1e-5)


def test_the_cascade_finds_the_astronauts_face(astronaut):
    (box,) = faces.find_faces(astronaut)
    assert 30 < box.x + box.w / 2 < 80 and 10 < box.y + box.h / 2 < 50  # top middle
    head = faces.head_mask(astronaut.shape, [box])
    assert head.shape == (128, 128) and head.max() == 1.0 and head.min() == 0.0
    assert ((head > 0.05) & (head < 0.95)).any()  # a feathered edge, not a cut
    assert head[round(box.y + box.h / 2), round(box.x + box.w / 2)] == 1.0
    assert head.mean() < 0.2


def test_no_face_means_no_protection_and_a_failure_is_no_face(monkeypatch):
    assert faces.find_faces(make_content(96, 128)) == []

    def broken():
        raise RuntimeError("cascade missing")

    monkeypatch.setattr(faces, "_cascade", broken)
    assert faces.find_faces(data.astronaut()) == []


def test_a_person_mask_without_a_face_is_the_middle(astronaut):
    middle = faces.person_mask((100, 80), [])
    assert middle[55, 40] == 1.0 and middle[2, 2] == 0.0
    person = faces.person_mask(astronaut.shape, faces.find_faces(astronaut))
    assert person[100, 60] > 0.9 and person[5, 125] == 0.0  # below the head, not the corner


@pytest.mark.parametrize("mode", ["soft", "keep"])
def test_a_protected_face_moves_less_from_the_photo_than_the_rest(engine, astronaut, mode):
    params = TINY.replace(size=128, min_side=128, iterations=20, faces=mode)
    result = engine.stylize(astronaut, [(make_style(96, 96), 1.0)], params)
    painted = engine.stylize(astronaut, [(make_style(96, 96), 1.0)],
                             params.replace(faces="paint"))
    assert result.stats["faces"] == 1 and painted.stats["faces"] == 0
    head = faces.head_mask(astronaut.shape, faces.find_faces(astronaut)) > 0.5

    def moved(image):
        return np.abs(image.astype(float) - astronaut.astype(float)).mean(axis=2)

    protected, unprotected = moved(result.image), moved(painted.image)
    assert protected[head].mean() < 0.7 * protected[~head].mean()
    assert protected[head].mean() < 0.7 * unprotected[head].mean()


def test_a_picture_without_a_face_is_painted_bit_for_bit_as_without_protection(engine):
    content, styles = make_content(48, 64), [(make_style(), 1.0)]
    soft = engine.stylize(content, styles, TINY.replace(faces="soft"))
    paint = engine.stylize(content, styles, TINY.replace(faces="paint"))
    assert soft.stats["faces"] == 0
    assert np.array_equal(soft.image, paint.image)


@pytest.mark.parametrize(("optimizer", "color_mode", "blend"), [
    ("adam", "style", False), ("lbfgs", "keep", False), ("adam", "match", True),
    ("lbfgs", "style", True)])
def test_protection_works_with_both_optimisers_colour_modes_and_blends(
        engine, astronaut, optimizer, color_mode, blend):
    styles = [(make_style(64, 64), 1.0)] + ([(make_style(64, 64, seed=7), 0.5)] if blend else [])
    params = TINY.replace(size=112, min_side=64, iterations=6, optimizer=optimizer,
                          color_mode=color_mode)  # two scales
    result = engine.stylize(astronaut, styles, params)
    assert result.stats["faces"] == 1 and len(result.stats["scales"]) == 2
    assert result.image.shape == (112, 112, 3) and np.isfinite(result.stats["loss"])


def _two_styles():
    yy, xx = np.mgrid[0:64, 0:64]
    stripes = np.where((xx // 4) % 2 == 0, 250, 5).astype(np.uint8)
    bold = np.stack([stripes, stripes // 3, 255 - stripes], axis=2)
    calm = np.clip(np.stack([xx * 2 + 60, yy + 120, 90 + 0 * xx], axis=2), 0, 255)
    return bold.astype(np.uint8), calm.astype(np.uint8)


def test_two_styles_split_by_a_mask_each_paint_their_half(engine):
    """Left (white) in the first style, right in the second: each half's Gram is
    nearer its own style's than the other's."""
    bold, calm = _two_styles()
    h, w = 64, 128
    mask = np.zeros((h, w), np.float32)
    mask[:, :64] = 1.0
    params = TINY.replace(size=128, min_side=128, iterations=40, split="mask", faces="paint")
    result = engine.stylize(make_content(h, w), [(bold, 1.0), (calm, 1.0)], params, mask=mask)
    layer = STYLE_LAYERS[0]
    targets = [engine.style_grams(s, 64)[layer] for s in (bold, calm)]

    def gram_of(half):
        feats = engine.net.features(engine.net.weights,
                                    ops.convert_to_tensor(half[None].astype(np.float32)))
        return np.asarray(losses.gram(feats[layer]))

    def nearer(half):
        g = gram_of(half)
        return int(np.argmin([np.mean((g - np.asarray(t)) ** 2) for t in targets]))

    assert nearer(result.image[:, :64]) == 0
    assert nearer(result.image[:, 64:]) == 1


def test_a_person_split_needs_two_styles(engine, astronaut):
    with pytest.raises(InvalidParams, match="two styles"):
        engine.stylize(astronaut, [(make_style(), 1.0)], TINY.replace(split="person"))
    result = engine.stylize(astronaut, [(make_style(), 1.0), (make_style(seed=4), 1.0)],
                            TINY.replace(split="person", iterations=3))
    assert result.stats["faces"] == 1  # the face protected inside the person's style


def _png(array):
    out = io.BytesIO()
    Image.fromarray(array).save(out, "PNG")
    return out.getvalue()


def test_a_mask_of_the_wrong_size_or_not_an_image_is_a_clear_error():
    good = regions.load_mask(_png(np.full((10, 20), 255, np.uint8)), 20, 10)
    assert good.shape == (10, 20) and good.max() == 1.0
    with pytest.raises(InvalidParams, match="20×10 px but the photo is 30×10 px"):
        regions.load_mask(_png(np.zeros((10, 20), np.uint8)), 30, 10)
    with pytest.raises(InvalidParams, match="not an image"):
        regions.load_mask(b"%PDF-1.4 not a picture", 20, 10)
    with pytest.raises(InvalidParams, match="split=mask needs a mask"):
        regions.plan(make_content(), [(make_style(), 1.0)] * 2, TINY.replace(split="mask"))


@pytest.mark.e2e
def test_guided_painting_runs_on_jax():
    script = textwrap.dedent("""
        import json, numpy as np
        import keras
        from skimage import data
        from engine.media import images
        from engine.params import StyleParams
        from engine.core.transfer import get_engine
        from tests.support.images import make_style
        assert keras.backend.backend() == "jax"
        e = get_engine(weights="random")
        photo = images.resize_to(data.astronaut(), 96, 96)
        p = StyleParams(size=96, min_side=64, iterations=8, learning_rate=8.0, faces="keep")
        r = e.stylize(photo, [(make_style(), 1.0)], p)
        print(json.dumps({"faces": r.stats["faces"], "loss": r.stats["loss"],
                          "backend": r.stats["backend"]}))
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["backend"] == "jax" and figures["faces"] == 1
    assert np.isfinite(figures["loss"])
