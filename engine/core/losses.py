"""The Gatys et al. objective with jcjohnson/neural-style's normalisation.

All functions take backend tensors and use ``keras.ops`` only, so the same
code is traced by TensorFlow and by JAX.  Images are RGB in 0-255.

- Gram matrix of a 1×H×W×C feature map, divided by C·H·W;
- content loss: mean squared error of feature maps;
- style loss: per layer, mean squared error of Gram matrices, summed;
- total variation: ½·Σ(Δx² + Δy²), whose gradient is JJ's TVLoss;
- with regions (engine.core.regions), masked Gram matrices and a per-pixel content
  weight: ``guided_objective``;
- for a clip's frames after the first (engine.clip.stylize), optionally a
  temporal loss in the guided objective: the mean over pixels and channels of
  a per-pixel weight times the squared difference from the previous painting
  carried to this frame (Ruder et al. 2016), weight 0 where the flow cannot be
  trusted (engine.clip.flow).
Gram matrices and losses are computed in float32 whatever the features' dtype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NotRequired, TypedDict

from keras import ops

from engine.core.backend import Tensor

if TYPE_CHECKING:
    from engine.core.model import FeatureNet


class Temporal(TypedDict):
    """The temporal loss's targets: the previous painting carried to this frame
    (``previous``, 1×H×W×3) and its weight per pixel (``weight``, 1×H×W×1)."""

    previous: Tensor
    weight: Tensor


class Guide(TypedDict):
    """What ``guided_objective`` needs besides the content targets, per scale:
    ``content``, the content weight per pixel (1×h×w×1 at the content layer), and
    per styled region its masks (layer → 1×h×w×1), Gram targets (layer → C×C) and
    style weight (a scalar tensor, so new weights do not recompile the step);
    ``temporal`` for a clip's later frames.  Without ``temporal`` the
    step is traced exactly as before (a still photo is painted bit for bit)."""

    content: Tensor
    regions: list[tuple[dict[str, Tensor], dict[str, Tensor], Tensor]]
    temporal: NotRequired[Temporal]


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


def masked_gram(features: Tensor, mask: Tensor) -> Tensor:
    """The Gram matrix of a region: features weighted by ``mask`` (1×H×W×1, 0-1),
    normalised by the mask's area, so a hard mask gives the Gram of the region cut
    out (Gatys et al. 2017, guided Gram matrices)."""
    features = ops.cast(features, "float32") * mask
    _, h, w, c = features.shape
    flat = ops.reshape(features, (h * w, c))
    area = ops.maximum(ops.sum(ops.square(mask)), 1e-6)
    return ops.matmul(ops.transpose(flat), flat) / (area * c)


def guided_objective(net: FeatureNet, weights: Sequence[Tensor], image: Tensor,
                     content_targets: Mapping[str, Tensor], guide: Guide,
                     coefs: Tensor) -> tuple[Tensor, Tensor]:
    """``objective`` with regions (engine.core.regions): the content error weighted per
    pixel by ``guide["content"]`` (1×h×w×1 at the content layer), and per region a
    style loss of its masked Grams, times its weight and its share of the picture
    (so a region's strokes are as strong per pixel as the whole picture's would be).
    One region of weight 1 covering everything is ``objective`` exactly.  With
    ``guide["temporal"]`` the temporal loss is added (weights included in its map)
    and reported as a fourth part."""
    feats = net.features(weights, image)
    c = sum(ops.mean(guide["content"] * ops.square(ops.cast(feats[name], "float32") - t))
            for name, t in content_targets.items())
    s = ops.convert_to_tensor(0.0)
    for masks, grams, weight in guide["regions"]:
        for name, target in grams.items():
            m = masks[name]
            share = ops.mean(ops.square(m))
            s = s + weight * share * mse(masked_gram(feats[name], m), target)
    tv = tv_loss(image)
    total = coefs[0] * c + coefs[1] * s + coefs[2] * tv
    if "temporal" not in guide:
        return total, ops.stack([c, s, tv])
    t = temporal_loss(image, guide["temporal"])
    return total + t, ops.stack([c, s, tv, t])


def temporal_loss(image: Tensor, temporal: Temporal) -> Tensor:
    """Mean over pixels and channels of weight × (image − previous)² (Ruder et al.)."""
    diff = ops.cast(image, "float32") - temporal["previous"]
    return ops.mean(temporal["weight"] * ops.square(diff))
