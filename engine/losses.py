"""The Gatys et al. objective with jcjohnson/neural-style's normalisation.

All functions take backend tensors and use ``keras.ops`` only, so the same
code is traced by TensorFlow and by JAX.  Images are RGB in 0-255.

- Gram matrix of a 1×H×W×C feature map, divided by C·H·W;
- content loss: mean squared error of feature maps;
- style loss: per layer, mean squared error of Gram matrices, summed;
- total variation: ½·Σ(Δx² + Δy²), whose gradient is JJ's TVLoss.
Gram matrices and losses are computed in float32 whatever the features' dtype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from keras import ops

from engine.backend import Tensor

if TYPE_CHECKING:
    from engine.model import FeatureNet


def gram(features: Tensor) -> Tensor:
    """C×C Gram matrix of one 1×H×W×C feature map, normalised by C·H·W."""
    features = ops.cast(features, "float32")
    _, h, w, c = features.shape
    flat = ops.reshape(features, (h * w, c))
    return ops.matmul(ops.transpose(flat), flat) / (h * w * c)


def mse(a: Tensor, b: Tensor) -> Tensor:
    return ops.mean(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")))


def content_loss(features: Tensor, target: Tensor) -> Tensor:
    return mse(features, target)


def style_loss(features: Mapping[str, Tensor], gram_targets: Mapping[str, Tensor]) -> Tensor:
    """Σ over style layers of MSE(Gram(features), target Gram)."""
    return sum(mse(gram(features[name]), target) for name, target in gram_targets.items())


def tv_loss(image: Tensor) -> Tensor:
    """½·Σ of squared differences between neighbouring pixels."""
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    return 0.5 * (ops.sum(ops.square(dx)) + ops.sum(ops.square(dy)))


def blend_grams(grams_per_style: Sequence[Mapping[str, Tensor]],
                weights: Sequence[float]) -> dict[str, Tensor]:
    """Weighted mean of several styles' Gram targets (JJ's style blend)."""
    total = float(sum(weights))
    names = grams_per_style[0].keys()
    return {
        name: sum(g[name] * (w / total) for g, w in zip(grams_per_style, weights, strict=True))
        for name in names
    }


def objective(net: FeatureNet, weights: Sequence[Tensor], image: Tensor,
              content_targets: Mapping[str, Tensor], gram_targets: Mapping[str, Tensor],
              coefs: Tensor) -> tuple[Tensor, Tensor]:
    """Total loss and its parts.  ``coefs`` = [content, style, tv] weights (a tensor,
    so a change of strength does not recompile the step)."""
    feats = net.features(weights, image)
    c = sum(content_loss(feats[name], t) for name, t in content_targets.items())
    s = style_loss(feats, gram_targets)
    tv = tv_loss(image)
    total = coefs[0] * c + coefs[1] * s + coefs[2] * tv
    return total, ops.stack([c, s, tv])
