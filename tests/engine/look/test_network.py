"""The first look's two networks (engine/look/network.py) on generated pictures: the
real int8 Magenta models from the pinned wheel, no Keras."""

from __future__ import annotations

import numpy as np
import pytest

from engine.look.network import NETWORK_SIDE, LookFailed, LookNetwork
from tests.support.images import make_content, make_style


@pytest.fixture(scope="module")
def network() -> LookNetwork:
    return LookNetwork(threads=1)


def test_a_style_vector_has_the_transformers_shape(network):
    vector = network.style_vector(make_style(90, 60))
    assert vector.shape == (1, 1, 1, 100) and vector.dtype == np.float32
    assert np.all(np.isfinite(vector))
    other = network.style_vector(make_style(90, 60, seed=7))
    assert not np.allclose(vector, other)  # a different painting, a different vector


@pytest.mark.parametrize(("h", "w"), [(45, 60), (300, 500), (500, 120)])
def test_the_transform_keeps_the_aspect_ratio_at_the_networks_size(network, h, w):
    look = network.transform(make_content(h, w), network.style_vector(make_style()))
    lh, lw = look.shape[:2]
    assert look.dtype == np.uint8 and look.shape[2] == 3
    assert max(lh, lw) == NETWORK_SIDE
    assert abs(lw / lh - w / h) < 0.02 * (w / h) + 1 / min(lh, lw)


def test_a_picture_too_thin_for_the_network_is_refused(network):
    with pytest.raises(LookFailed) as failure:
        network.transform(make_content(3, 400), network.style_vector(make_style()))
    assert failure.value.code == "look_failed" and "400x3" in str(failure.value)


def test_the_transform_paints_rather_than_copies(network):
    from engine.media import images

    photo = make_content(96, 128)
    look = network.transform(photo, network.style_vector(make_style(96, 96)))
    same_size = images.resize_to(photo, look.shape[1], look.shape[0])
    assert np.abs(look.astype(float) - same_size).mean() > 10
