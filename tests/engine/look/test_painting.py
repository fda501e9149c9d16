"""A job's first look (engine/look/painting.py): blends, strength, colour modes and the
job's size, on generated pictures with the real look network (no Keras)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core import colors, scales
from engine.look import painting
from engine.look.network import LookFailed, LookNetwork
from engine.media import images
from engine.params import StyleParams
from tests.support.images import make_content, make_style, tiny_image


@pytest.fixture(scope="module")
def network() -> LookNetwork:
    return LookNetwork(threads=1)


@pytest.fixture(scope="module")
def vectors(network):
    return network.style_vector(make_style(96, 96, seed=1)), \
        network.style_vector(make_style(96, 96, seed=5))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def test_a_blends_vector_is_the_weighted_mean_between_its_paintings(vectors):
    a, b = vectors
    half = painting.mixed([(a, 1.0), (b, 1.0)])
    np.testing.assert_allclose(half, (a + b) / 2, rtol=1e-6, atol=1e-6)
    quarter = painting.mixed([(a, 3.0), (b, 1.0)])  # weights need not add up to 1
    np.testing.assert_allclose(quarter, 0.75 * a + 0.25 * b, rtol=1e-6, atol=1e-6)
    low, high = np.minimum(a, b) - 1e-6, np.maximum(a, b) + 1e-6
    assert np.all((low <= quarter) & (quarter <= high))
    assert quarter.dtype == np.float32 and quarter.shape == (1, 1, 1, 100)
    with pytest.raises(ValueError):
        painting.mixed([])


def test_a_blends_look_lies_between_its_paintings_looks(network, vectors):
    a, b = vectors
    photo, params = make_content(72, 96), StyleParams(size=96)
    look_a = painting.paint(network, photo, [(a, 1.0)], params)
    look_b = painting.paint(network, photo, [(b, 1.0)], params)
    mostly_a = painting.paint(network, photo, [(a, 0.8), (b, 0.2)], params)
    assert distance(mostly_a, look_a) < distance(mostly_a, look_b)
    assert distance(mostly_a, look_a) < distance(look_a, look_b)


@pytest.mark.parametrize(("h", "w", "size"), [(45, 60, 96), (60, 45, 200), (300, 500, 128)])
def test_the_look_has_the_paintings_size_and_aspect(network, vectors, h, w, size):
    photo = make_content(h, w)
    look = painting.paint(network, photo, [(vectors[0], 1.0)], StyleParams(size=size))
    assert look.shape[1::-1] == scales.vgg_fit(w, h, size) == \
        painting.output_size(photo, StyleParams(size=size))
    assert max(look.shape[:2]) == size and look.dtype == np.uint8
    assert abs(look.shape[1] / look.shape[0] - w / h) < 0.05


@pytest.mark.parametrize("photo", [make_content(96, 128), tiny_image(3, 96)],
                         ids=["gradients", "blobs"])
def test_a_low_strength_moves_the_look_towards_the_photo(network, vectors, photo):
    looks = {s: painting.paint(network, photo, [(vectors[0], 1.0)], StyleParams(size=128,
                                                                               strength=s))
             for s in (0.1, 0.3, 1.0, 3.0)}
    h, w = looks[1.0].shape[:2]
    away = {s: distance(look, images.resize_to(photo, w, h)) for s, look in looks.items()}
    assert away[0.1] < away[0.3] < away[1.0]
    np.testing.assert_array_equal(looks[3.0], looks[1.0])  # above medium: full style
    assert painting.style_share(0.3) == pytest.approx(0.3 ** 0.5)
    assert painting.style_share(1.0) == painting.style_share(10.0) == 1.0


def test_keep_colours_keeps_the_photos_chroma(network, vectors):
    photo = make_content(96, 128)
    plain = painting.paint(network, photo, [(vectors[0], 1.0)], StyleParams(size=128))
    kept = painting.paint(network, photo, [(vectors[0], 1.0)],
                          StyleParams(size=128, color_mode="keep"))
    h, w = kept.shape[:2]
    chroma = colors.rgb_to_ycbcr(images.resize_to(photo, w, h))[..., 1:]
    kept_off = np.abs(colors.rgb_to_ycbcr(kept)[..., 1:] - chroma).mean()
    plain_off = np.abs(colors.rgb_to_ycbcr(plain)[..., 1:] - chroma).mean()
    assert kept_off < 8 and kept_off < 0.3 * plain_off
    # …and the look's own luminance, not the photo's
    luma = np.abs(colors.rgb_to_ycbcr(kept)[..., 0] - colors.rgb_to_ycbcr(plain)[..., 0])
    assert luma.mean() < 8


def test_match_colours_gives_the_look_the_photos_colour_statistics(network, vectors):
    photo = make_content(96, 128)
    plain = painting.paint(network, photo, [(vectors[0], 1.0)], StyleParams(size=128))
    matched = painting.paint(network, photo, [(vectors[0], 1.0)],
                             StyleParams(size=128, color_mode="match"))
    target = photo.reshape(-1, 3).mean(0)
    assert np.abs(matched.reshape(-1, 3).mean(0) - target).max() < \
        np.abs(plain.reshape(-1, 3).mean(0) - target).max()
    assert np.abs(matched.reshape(-1, 3).mean(0) - target).max() < 10


def test_a_picture_too_thin_raises_look_failed(network, vectors):
    with pytest.raises(LookFailed):
        painting.paint(network, make_content(3, 400), [(vectors[0], 1.0)], StyleParams(size=64))


def test_paint_pictures_makes_the_vectors_from_the_paintings(network, vectors):
    photo, params = make_content(45, 60), StyleParams(size=64)
    styles = [(make_style(96, 96, seed=1), 2.0), (make_style(96, 96, seed=5), 1.0)]
    assert [w for _, w in painting.vectors_of(network, styles)] == [2.0, 1.0]
    np.testing.assert_array_equal(
        painting.paint_pictures(network, photo, styles, params),
        painting.paint(network, photo, [(vectors[0], 2.0), (vectors[1], 1.0)], params))


def test_an_instant_clips_frames_share_one_vector(network, vectors):
    frames = [make_content(36, 48, seed=s) for s in range(3)]
    params = StyleParams(size=48, strength=0.3)  # the photo's own style: the first frame's
    looks = painting.paint_frames(network, frames, [(vectors[0], 1.0)], params)
    vector = painting.job_vector(network, frames[0], [(vectors[0], 1.0)], params)
    assert len(looks) == 3 and all(look.shape == (36, 48, 3) for look in looks)
    expected = images.resize_to(network.transform(frames[2], vector), 48, 36)
    np.testing.assert_array_equal(looks[2], expected)
    with pytest.raises(ValueError):
        painting.paint_frames(network, [], [(vectors[0], 1.0)], params)
