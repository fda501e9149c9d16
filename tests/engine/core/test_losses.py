"""The loss maths against a plain NumPy reference (JJ's normalisation)."""

import numpy as np
import pytest
from keras import ops

from engine.core import colors, losses


def np_gram(f):
    _, h, w, c = f.shape
    flat = f.reshape(h * w, c)
    return flat.T @ flat / (h * w * c)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_gram_matches_numpy(rng):
    f = rng.normal(size=(1, 5, 7, 4)).astype(np.float32)
    got = ops.convert_to_numpy(losses.gram(ops.convert_to_tensor(f)))
    np.testing.assert_allclose(got, np_gram(f), rtol=1e-5, atol=1e-6)
    assert got.shape == (4, 4)


def test_content_and_style_losses_match_numpy(rng):
    a = rng.normal(size=(1, 6, 6, 3)).astype(np.float32)
    b = rng.normal(size=(1, 6, 6, 3)).astype(np.float32)
    content = float(losses.content_loss(ops.convert_to_tensor(a), ops.convert_to_tensor(b)))
    assert content == pytest.approx(np.mean((a - b) ** 2), rel=1e-5)

    feats = {"l1": a, "l2": b}
    targets = {"l1": np_gram(b), "l2": np_gram(a)}
    expected = sum(np.mean((np_gram(feats[k]) - targets[k]) ** 2) for k in feats)
    got = float(losses.style_loss(
        {k: ops.convert_to_tensor(v) for k, v in feats.items()},
        {k: ops.convert_to_tensor(v) for k, v in targets.items()},
    ))
    assert got == pytest.approx(expected, rel=1e-5)


def test_tv_loss_matches_numpy(rng):
    x = rng.uniform(0, 255, size=(1, 5, 6, 3)).astype(np.float32)
    dx = x[:, :, 1:] - x[:, :, :-1]
    dy = x[:, 1:] - x[:, :-1]
    expected = 0.5 * ((dx**2).sum() + (dy**2).sum())
    assert float(losses.tv_loss(ops.convert_to_tensor(x))) == pytest.approx(expected, rel=1e-5)
    flat = np.full((1, 4, 4, 3), 9.0, np.float32)
    assert float(losses.tv_loss(ops.convert_to_tensor(flat))) == 0.0


def test_blend_is_weighted_mean_of_grams(rng):
    g1 = {"l": rng.normal(size=(3, 3)).astype(np.float32)}
    g2 = {"l": rng.normal(size=(3, 3)).astype(np.float32)}
    blended = losses.blend_grams([g1, g2], [3.0, 1.0])
    np.testing.assert_allclose(blended["l"], 0.75 * g1["l"] + 0.25 * g2["l"], rtol=1e-6)


def test_keep_luminance_takes_colour_from_content(rng):
    content = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    stylised = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    out = colors.keep_luminance(stylised, content)
    y_out, y_sty = colors.rgb_to_ycbcr(out)[..., 0], colors.rgb_to_ycbcr(stylised)[..., 0]
    # Luminance from the stylised image (up to rounding and gamut clipping)...
    assert np.median(np.abs(y_out - y_sty)) < 2.0
    # ...and chrominance from the content wherever the gamut allows it.
    cc_out, cc_con = colors.rgb_to_ycbcr(out)[..., 1:], colors.rgb_to_ycbcr(content)[..., 1:]
    cc_sty = colors.rgb_to_ycbcr(stylised)[..., 1:]
    assert np.abs(cc_out - cc_con).mean() < np.abs(cc_out - cc_sty).mean()


def test_match_colors_matches_mean_and_covariance(rng):
    style = rng.normal([200, 40, 40], [20, 10, 5], (64, 64, 3)).clip(0, 255).astype(np.uint8)
    content = rng.normal([60, 120, 200], [15, 25, 10], (64, 64, 3)).clip(0, 255).astype(np.uint8)
    out = colors.match_colors(style, content).reshape(-1, 3).astype(float)
    c = content.reshape(-1, 3).astype(float)
    np.testing.assert_allclose(out.mean(0), c.mean(0), atol=1.5)
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.cov(c, rowvar=False), atol=8)
