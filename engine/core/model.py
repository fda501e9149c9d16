"""VGG19 as a frozen feature extractor, and where its weights come from.

The network is ``keras.applications.vgg19`` (its layers, its Caffe-style
preprocessing), cut after the deepest layer a loss uses: block5_conv1 for the
default layers, so the 5th block's last three convolutions and the classifier
are never run.  Only the input gradient is ever needed, so every weight is a
non-trainable constant handed to the compiled step as an argument.

Weights (``LIENZO_VGG19_WEIGHTS``, ``EngineSettings.weights``, passed in):
- ``imagenet`` (default): Keras downloads and caches its ImageNet file;
- a path to a ``.h5`` / ``.weights.h5`` file with the same layer names;
- ``random``: seeded He-normal weights, for tests and development only.
There is no silent fallback from one to another.

Precision (``LIENZO_PRECISION``, ``engine.core.backend.precision``): ``bf16`` builds
the net under Keras's ``mixed_bfloat16`` dtype policy - weights kept in float32,
convolutions computed in bfloat16, where GPUs have tensor cores for them - while
Gram matrices, losses and the optimiser's state stay float32 (``engine.core.losses``
casts the features).  ``fp32`` is float32 throughout.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras.applications import vgg19

from engine.core.backend import Tensor
from engine.errors import WeightsUnavailable

CONTENT_LAYERS = ("block4_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")

IMAGENET_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGENET_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + IMAGENET_FILE
RANDOM_SEED = 1234
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16"}  # precision -> Keras dtype policy


def load_vgg19(spec: str, keras_home: Path | None = None) -> keras.Model:
    """The convolutional part of VGG19 with the weights ``spec`` names; ``keras_home``
    (``EngineSettings.keras_home``) is where Keras caches ImageNet's, for the message
    when they cannot be had."""
    if spec == "random":
        print(
            "WARNING: LIENZO_VGG19_WEIGHTS=random - VGG19 has RANDOM weights. "
            "Results are not art; use this for tests and development only.",
            file=sys.stderr,
        )
        model = vgg19.VGG19(include_top=False, weights=None)
        _randomise(model, RANDOM_SEED)
        return model
    if spec == "imagenet":
        try:
            return vgg19.VGG19(include_top=False, weights="imagenet")
        except Exception as exc:  # Keras raises bare Exceptions for download failures
            cache = keras_home / "models" if keras_home else "Keras's cache ($KERAS_HOME/models)"
            raise WeightsUnavailable(
                f"Could not load the ImageNet VGG19 weights ({exc.__class__.__name__}: {exc}). "
                f"Download {IMAGENET_URL} and either put {IMAGENET_FILE} in "
                f"{cache} or set LIENZO_VGG19_WEIGHTS=/path/to/{IMAGENET_FILE}."
            ) from None
    path = Path(spec).expanduser()
    if not path.is_file():
        raise WeightsUnavailable(
            f"LIENZO_VGG19_WEIGHTS={spec} is neither 'imagenet', 'random' nor an existing file."
        )
    try:
        return vgg19.VGG19(include_top=False, weights=str(path))
    except Exception as exc:
        raise WeightsUnavailable(
            f"Could not load VGG19 weights from {path} ({exc.__class__.__name__}: {exc}). "
            f"It must be a Keras .h5 or .weights.h5 file of VGG19 without its top "
            f"(like {IMAGENET_FILE})."
        ) from None


def _randomise(model: keras.Model, seed: int) -> None:
    """He-normal kernels, zero biases, from a NumPy generator: same on every backend."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            fan_in = np.prod(kernel.shape[:-1])
            kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel.shape).astype("float32")
            layer.set_weights([kernel, np.zeros_like(bias)])


@dataclass(frozen=True)
class FeatureNet:
    """A VGG19 cut after its deepest loss layer, as a pure function.

    ``features(weights, image)`` maps RGB pixels in 0-255 (shape 1×H×W×3) to
    a dict of layer name → feature map; ``weights`` is ``self.weights`` (or a
    device copy of it), passed explicitly so compiled steps do not capture
    megabytes of constants.
    """

    model: keras.Model
    layers: tuple[str, ...]
    weights: tuple[Tensor, ...]
    spec: str
    precision: str = "fp32"  # "fp32" or "bf16" (the convolutions')

    def features(self, weights: Sequence[Tensor], image: Tensor) -> dict[str, Tensor]:
        x = vgg19.preprocess_input(image)
        outputs, _ = self.model.stateless_call([], list(weights), x)
        return dict(zip(self.layers, outputs, strict=True))


def _copy(layer: keras.layers.Layer, policy: str, pooling: str) -> keras.layers.Layer:
    """A new layer like ``layer`` under the dtype ``policy`` (its weights are set once
    it is built); a max-pooling layer becomes an average one for ``pooling="avg"``."""
    if isinstance(layer, keras.layers.MaxPooling2D) and pooling == "avg":
        return keras.layers.AveragePooling2D(2, 2, name=layer.name.replace("pool", "avgpool"),
                                             dtype=policy)
    copy: keras.layers.Layer = layer.__class__.from_config({**layer.get_config(),
                                                            "dtype": policy})
    return copy


@functools.cache
def feature_net(
    spec: str,
    layers: tuple[str, ...] = STYLE_LAYERS + CONTENT_LAYERS,
    pooling: str = "max",
    precision: str = "fp32",
    keras_home: Path | None = None,
) -> FeatureNet:
    """Load once per process (and per layer set, pooling and precision)."""
    if precision not in POLICIES:
        raise ValueError(f"precision must be one of {', '.join(POLICIES)}, not {precision!r}")
    base = load_vgg19(spec, keras_home)
    inputs = keras.Input((None, None, 3))
    x, found = inputs, {}
    for layer in base.layers[1:]:
        copy = _copy(layer, POLICIES[precision], pooling)
        x = copy(x)
        if layer.weights:
            copy.set_weights(layer.get_weights())
        if layer.name in layers:
            found[layer.name] = x
        if len(found) == len(layers):
            break
    missing = set(layers) - set(found)
    if missing:
        raise ValueError(f"VGG19 has no layer(s) {sorted(missing)}")
    model = keras.Model(inputs, [found[name] for name in layers])
    model.trainable = False
    weights = tuple(v.value for v in model.non_trainable_variables)
    return FeatureNet(model=model, layers=layers, weights=weights, spec=spec,
                      precision=precision)
