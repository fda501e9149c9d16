"""The catalogue's style vectors, computed once per process (engine/look/vectors.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.catalogue import styles
from engine.errors import UnknownStyle
from engine.look.network import LookNetwork
from engine.look.vectors import StyleVectors
from tests.support.images import make_style


class CountingNetwork(LookNetwork):
    def __init__(self) -> None:
        super().__init__(threads=1)
        self.predicted = 0

    def style_vector(self, style):
        self.predicted += 1
        return super().style_vector(style)


@pytest.fixture
def catalog(tmp_path):
    folder = tmp_path / "styles"
    folder.mkdir()
    Image.fromarray(make_style(64, 64, seed=3)).save(folder / "stripes.jpg")
    Image.fromarray(make_style(64, 64, seed=8)).save(folder / "starry_night.jpg")
    return styles.load_catalog(folder, tmp_path / "cache")


def test_each_paintings_vector_is_computed_once(catalog, monkeypatch):
    reads = []
    real = styles.style_image
    monkeypatch.setattr(styles, "style_image", lambda i, c: reads.append(i) or real(i, c))
    network = CountingNetwork()
    vectors = StyleVectors(network, catalog)
    first = vectors.of("stripes")
    assert first.shape == (1, 1, 1, 100)
    again = vectors.of("stripes")
    assert again is first and network.predicted == 1 and reads == ["stripes"]
    other = vectors.of("starry_night")  # a catalogue id, its image from the folder
    assert network.predicted == 2 and not np.allclose(other, first)
    np.testing.assert_array_equal(first, network.style_vector(styles.style_image("stripes",
                                                                                 catalog)))


def test_an_unknown_style_raises_and_nothing_is_kept(catalog):
    network = CountingNetwork()
    vectors = StyleVectors(network, catalog)
    with pytest.raises(UnknownStyle):
        vectors.of("no_such_painting")
    assert network.predicted == 0
