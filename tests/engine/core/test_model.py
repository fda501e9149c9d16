"""Where VGG19's weights come from: a file, ImageNet (no network here), random."""

import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from keras import ops

from engine import config
from engine.core.model import IMAGENET_FILE, feature_net, load_vgg19
from engine.errors import WeightsUnavailable
from tests.support.images import make_content
from tests.support.workers import REPO


def _features(net, image):
    x = ops.convert_to_tensor(image.astype(np.float32)[None])
    return {k: ops.convert_to_numpy(v) for k, v in net.features(net.weights, x).items()}


@pytest.fixture(scope="module")
def random_net():
    return feature_net("random")


def test_weights_file_written_by_test_gives_same_features(tmp_path, random_net):
    path = tmp_path / "vgg19.weights.h5"
    load_vgg19("random").save_weights(path)
    from_file = feature_net(str(path))
    image = make_content(32, 32)
    expected, got = _features(random_net, image), _features(from_file, image)
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-5)
    assert from_file.spec == str(path)


def test_legacy_h5_file_like_the_imagenet_one(tmp_path, random_net):
    """Keras's ImageNet file is the legacy per-layer HDF5 format: load that too."""
    from keras.src.legacy.saving import legacy_h5_format

    path = tmp_path / "vgg19_notop.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, load_vgg19("random"))
    image = make_content(32, 32)
    got = _features(feature_net(str(path)), image)
    np.testing.assert_allclose(got["block4_conv2"], _features(random_net, image)["block4_conv2"],
                               rtol=1e-5, atol=1e-5)


def test_a_file_that_is_not_weights_gives_a_clear_error(tmp_path):
    bad = tmp_path / "junk.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(WeightsUnavailable, match="junk.h5"):
        load_vgg19(str(bad))
    with pytest.raises(WeightsUnavailable, match="neither 'imagenet', 'random'"):
        load_vgg19(str(tmp_path / "missing.weights.h5"))


def test_random_is_never_chosen_implicitly(monkeypatch):
    monkeypatch.delenv("LIENZO_VGG19_WEIGHTS", raising=False)
    assert config.load().weights == "imagenet"
    monkeypatch.setenv("LIENZO_VGG19_WEIGHTS", "  ")
    assert config.load().weights == "imagenet"


@pytest.mark.e2e
def test_imagenet_without_network_names_the_file_and_the_variable(tmp_path):
    script = textwrap.dedent("""
        from engine.errors import WeightsUnavailable
        from engine import config
        from engine.core.model import load_vgg19
        settings = config.load()
        try:
            load_vgg19(settings.weights, settings.keras_home)
        except WeightsUnavailable as exc:
            print("ERROR:", exc)
        else:
            print("LOADED")
    """)
    env = {k: v for k, v in os.environ.items() if k != "LIENZO_VGG19_WEIGHTS"}
    # An empty Keras cache, and every download forced through a dead proxy.
    dead = "http://127.0.0.1:9"
    env.update(KERAS_HOME=str(tmp_path / "keras"), HTTPS_PROXY=dead, https_proxy=dead,
               HTTP_PROXY=dead, http_proxy=dead, NO_PROXY="", no_proxy="")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "LOADED" not in out.stdout
    message = out.stdout
    assert IMAGENET_FILE in message
    assert "LIENZO_VGG19_WEIGHTS" in message
    assert str(tmp_path / "keras") in message  # where Keras caches it
    assert "RANDOM" not in out.stderr
