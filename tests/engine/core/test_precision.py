"""Mixed precision (LIENZO_PRECISION, docs/architecture.md "GPU serving"): VGG19's
convolutions in bfloat16, Gram matrices, losses and Adam in float32.

bf16 pays on GPUs with tensor cores; these tests run it on the CPU (XLA emulates
it) to check what it costs in quality: the same picture painted in fp32 and bf16
ends with a loss within 1%, and looks the same - 8×8 px blocks (colour and layout)
within a few grey levels on average.

Pixel by pixel the two differ more (≈12 grey levels after 12 steps here), and
that is Adam, not bf16: its first steps move each pixel by about the learning
rate whatever the gradient's size, so any change to the gradient moves the
strokes.  Dithering the photo by ±1 grey level changes the fp32 result more
than bf16 does (≈15 levels), and that is what the last test holds bf16 to.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from engine.core import backend
from engine.core.transfer import get_engine
from engine.errors import InvalidParams
from engine.params import StyleParams
from tests.support.images import make_content, make_style

SIDE = 64
PARAMS = StyleParams(size=SIDE, min_side=SIDE, iterations=12, learning_rate=8.0,
                     optimizer="adam", seed=0)


def blocks(image: np.ndarray, k: int = 8) -> np.ndarray:
    """Mean colour of each k×k block: the picture as seen from a step back."""
    h, w, _ = image.shape
    return image.astype(np.float64).reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3))


@pytest.fixture(scope="module")
def painted():
    """The same photo and painting in both precisions, with random weights."""
    content, styles = make_content(SIDE, SIDE), [(make_style(SIDE, SIDE), 1.0)]
    dither = np.random.default_rng(1).integers(-1, 2, content.shape)
    dithered = np.clip(content.astype(np.int16) + dither, 0, 255).astype(np.uint8)
    fp32, bf16 = get_engine("random", precision="fp32"), get_engine("random", precision="bf16")
    return {"content": content, "styles": styles, "fp32": fp32, "bf16": bf16,
            "fp32_result": fp32.stylize(content, styles, PARAMS),
            "bf16_result": bf16.stylize(content, styles, PARAMS),
            "dithered_result": fp32.stylize(dithered, styles, PARAMS)}


def test_the_bf16_net_computes_in_bf16_and_keeps_float32_weights(painted):
    net = painted["bf16"].net
    assert net.precision == "bf16" and painted["fp32"].net.precision == "fp32"
    conv = net.model.get_layer("block1_conv1")
    assert conv.dtype_policy.compute_dtype == "bfloat16"
    assert conv.dtype_policy.variable_dtype == "float32"
    features = net.features(net.weights, np.full((1, 32, 32, 3), 128.0, np.float32))
    assert {keras.backend.standardize_dtype(f.dtype) for f in features.values()} == {"bfloat16"}
    # the same weights as the fp32 net: only the arithmetic differs
    for a, b in zip(net.weights, painted["fp32"].net.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_bf16_ends_within_1_percent_of_fp32s_loss(painted):
    l32 = painted["fp32_result"].stats["loss"]
    l16 = painted["bf16_result"].stats["loss"]
    assert l32 > 0 and abs(l16 - l32) / l32 < 0.01, (l16, l32)
    # and the bf16 picture, measured in fp32, is as good as fp32's own
    fp32, content, styles = painted["fp32"], painted["content"], painted["styles"]
    own = fp32.evaluate(painted["fp32_result"].image.astype(np.float32), content, styles, PARAMS)
    theirs = fp32.evaluate(painted["bf16_result"].image.astype(np.float32), content, styles,
                           PARAMS)
    assert abs(theirs["total"] - own["total"]) / own["total"] < 0.01, (theirs, own)


def test_bf16_looks_the_same_as_fp32_a_few_grey_levels_apart(painted):
    a, b = painted["fp32_result"].image, painted["bf16_result"].image
    moved = np.abs(blocks(a) - blocks(painted["content"])).mean()
    diff = np.abs(blocks(a) - blocks(b)).mean()
    assert moved > 5  # grey levels: the painting is not the photo
    assert diff < 3.0, (diff, moved)


def test_bf16_moves_the_strokes_less_than_a_one_grey_level_dither_does(painted):
    a = painted["fp32_result"].image.astype(np.float64)
    b = painted["bf16_result"].image.astype(np.float64)
    dithered = painted["dithered_result"].image.astype(np.float64)
    moved = np.abs(a - painted["content"]).mean()
    bf16_diff, dither_diff = np.abs(a - b).mean(), np.abs(a - dithered).mean()
    assert bf16_diff < dither_diff, (bf16_diff, dither_diff)
    assert moved > 2 * bf16_diff, (moved, bf16_diff)


def test_auto_is_fp32_on_a_cpu_and_bf16_on_ampere_and_later(monkeypatch):
    assert backend.precision("auto") == "fp32"  # this machine has no GPU
    assert backend.precision("bf16") == "bf16" and backend.precision("fp32") == "fp32"
    for found, expected in [(("NVIDIA H100 80GB HBM3", (9, 0)), "bf16"),
                            (("NVIDIA A100-SXM4-40GB", (8, 0)), "bf16"),
                            (("Tesla T4", (7, 5)), "fp32"),
                            (("Some GPU", None), "fp32")]:
        monkeypatch.setattr(backend, "gpu", lambda found=found: found)
        assert backend.precision("auto") == expected, found
    with pytest.raises(InvalidParams, match="precision must be one of auto, fp32, bf16"):
        backend.precision("fp16")
