"""VGG19 block by block: the Gatys objective's exact value and gradient at any size,
in memory that does not grow with the picture (Galerne, Raad, Lezama and Morel,
"Scaling Painting Style Transfer", 2023).

The picture is cut into blocks on VGG19's 16 px pooling grid (``tile``).  Each block
goes through the network with a halo around it, clipped at the picture's edges (where
the whole picture's zero padding is the block's own).  The halo is at least the
receptive-field radius of the deepest layer a loss uses (``Geometry``: 70 px beyond a
block5_conv1 cell, so 80 px), and blocks start on the pooling grid, so the features a
block *owns* - those of its own pixels' cells - are exactly the whole picture's.  Then:

1. pass one: every block's owned features give the global sums S = Σ m²·F·Fᵀ (per
   region and style layer; m = 1 without regions) and the content error;
2. ``_Head``: the loss from those sums, and its derivative with respect to each sum
   (closed form: the Gram matrix is S divided by a constant);
3. pass two: every block again, back-propagating the surrogate ⟨∂L/∂S, S_block⟩ + the
   content term.  Its gradient with respect to the block's pixels is the block's exact
   share of the whole gradient: the shares are added into one picture-sized gradient
   (scatter-add, since an owned feature's gradient reaches a radius beyond the block).

Total variation and the temporal term are per pixel: they are computed on the whole
picture.  Memory is one block's forward and backward pass plus picture-sized buffers
(the picture, the gradient, Adam's moments, the content targets at 1/8 resolution).
Each block shape compiles once.  ``tests/engine/core/test_blocks.py`` holds the block
gradient to the whole picture's (relative error ≤ 1e-4) on both backends.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from engine.core import backend, losses
from engine.core.backend import Tensor
from engine.core.model import FeatureNet
from engine.core.steps import adam_update
from engine.params import BLOCK_GRID

COMPILED_KEPT = 64  # compiled passes kept: a scale needs up to 9 block shapes × 3 kinds
Targets: TypeAlias = dict[str, Tensor]
Array: TypeAlias = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Span:
    """One axis of a block: the pixels it owns, [start, stop), and those VGG19 sees."""

    start: int
    stop: int
    crop_start: int
    crop_stop: int

    def owned(self, stride: int) -> tuple[slice, slice]:
        """The owned feature positions at ``stride``: in the picture's feature map and
        in the block's.  ``start`` is on the grid, so both are exact; the picture's last
        cells (a side not on the grid) are VGG19's floor, as in the whole picture."""
        first, last = self.start // stride, self.stop // stride
        local = (self.start - self.crop_start) // stride
        return slice(first, last), slice(local, local + last - first)


@dataclass(frozen=True)
class Block:
    rows: Span
    cols: Span

    @property
    def crop(self) -> tuple[slice, slice]:
        return (slice(self.rows.crop_start, self.rows.crop_stop),
                slice(self.cols.crop_start, self.cols.crop_stop))

    @property
    def shape(self) -> tuple[int, int, int, int, int, int]:
        """What a compiled pass depends on: the crop's size and where the block sits in it."""
        r, c = self.rows, self.cols
        return (r.crop_stop - r.crop_start, c.crop_stop - c.crop_start,
                r.start - r.crop_start, r.stop - r.start, c.start - c.crop_start, c.stop - c.start)


def spans(length: int, block: int, halo: int) -> list[Span]:
    """``length`` px cut into blocks of ``block`` px from 0 (a last piece under half a
    block joins the one before), each with ``halo`` px either side, clipped."""
    starts = list(range(0, length, block))
    if len(starts) > 1 and length - starts[-1] < block // 2:
        starts.pop()
    stops = [*starts[1:], length]
    return [Span(a, b, max(0, a - halo), min(length, b + halo))
            for a, b in zip(starts, stops, strict=True)]


def tile(height: int, width: int, block: int, halo: int) -> list[Block]:
    return [Block(r, c) for r in spans(height, block, halo) for c in spans(width, block, halo)]


@dataclass(frozen=True)
class Geometry:
    """Where each loss layer's features sit (its stride in pixels) and the halo a block
    needs: the receptive field's radius, Σ (kernel − 1)/2 × stride over the convolutions
    up to the deepest loss layer (pooling widens the cell, not the radius), rounded up
    to the grid."""

    strides: dict[str, int]
    halo: int

    @classmethod
    def of(cls, net: FeatureNet) -> Geometry:
        stride, radius, strides = 1, 0, {}
        for layer in net.model.layers:
            if isinstance(layer, keras.layers.Conv2D):
                radius += (layer.kernel_size[0] - 1) // 2 * stride
            elif hasattr(layer, "pool_size"):
                stride *= layer.pool_size[0]
            if layer.name in net.layers:
                strides[layer.name] = stride
        return cls(strides, math.ceil(radius / BLOCK_GRID) * BLOCK_GRID)


@dataclass(frozen=True)
class Structure:
    """What a compiled pass is traced for besides its block's shape: the content layers,
    whether the content error is weighted per pixel, and per styled region whether it is
    masked and its style layers."""

    content: tuple[str, ...]
    content_map: bool
    regions: tuple[tuple[bool, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Styled:
    """One styled region as the passes see it: its masks per style layer (None: the whole
    picture), Gram targets, and the constants of its loss - weight × share of the picture
    (``losses.guided_objective``), and the Gram's divisor (area × channels)."""

    masks: dict[str, Array] | None
    grams: Targets
    scale: dict[str, float]
    divisor: dict[str, float]


def style_head(sums: Sequence[Targets], styled: Sequence[Styled], coef: Tensor
               ) -> tuple[Tensor, list[Targets]]:
    """The style loss from the global sums S, and coef × its derivative with respect to
    each S (the Gram matrix is S / divisor, so the derivative is closed form)."""
    total, grads = ops.convert_to_tensor(0.0), []
    for region_sums, region in zip(sums, styled, strict=True):
        grad = {}
        for name, target in region.grams.items():
            channels = target.shape[-1]
            diff = region_sums[name] / region.divisor[name] - target
            total = total + region.scale[name] * ops.mean(ops.square(diff))
            grad[name] = (coef * region.scale[name] * 2.0 / channels**2
                          / region.divisor[name]) * diff
        grads.append(grad)
    return total, grads


def _pixel_terms(x: Tensor, coefs: Tensor, temporal: list[losses.Temporal]
                 ) -> tuple[Tensor, Tensor]:
    """The per-pixel terms, on the whole picture: total variation × its weight, and the
    temporal term of a clip's later frame (``temporal``: none or one)."""
    tv = losses.tv_loss(x)
    t = losses.temporal_loss(x, temporal[0]) if temporal else ops.convert_to_tensor(0.0)
    return coefs[2] * tv + t, ops.stack([tv, t])


class BlockPasses:
    """The compiled passes for one feature net, one per block shape and structure."""

    def __init__(self, net: FeatureNet) -> None:
        self.net = net
        self.geometry = Geometry.of(net)
        self._compiled: OrderedDict[tuple[Any, ...], Callable[..., Any]] = OrderedDict()
        self.pixel_terms = backend.compile(backend.value_and_grad(_pixel_terms))
        self.adam_update = backend.compile(adam_update)  # one per net, not per scale

    @property
    def halo(self) -> int:
        return self.geometry.halo

    def get(self, kind: str, block: Block, structure: Structure) -> Callable[..., Any]:
        """``measure(weights, crop) -> (owned content features, Σ F·Fᵀ)``,
        ``forward(weights, crop, content_t, content_map, masks) -> (content errors, sums)``
        or ``backward(crop, weights, content_t, content_map, masks, d_sums, d_content)
        -> the crop's gradient``, compiled for ``block``'s shape."""
        key = (kind, block.shape, structure)
        if key in self._compiled:
            self._compiled.move_to_end(key)
        else:
            self._compiled[key] = backend.compile(self._build(kind, block, structure))
            if len(self._compiled) > COMPILED_KEPT:  # a long-lived worker paints many sizes
                self._compiled.popitem(last=False)
        return self._compiled[key]

    def _build(self, kind: str, block: Block, structure: Structure) -> Callable[..., Any]:
        net, strides = self.net, self.geometry.strides

        def owned(feats: dict[str, Tensor], name: str) -> Tensor:
            _, rows = block.rows.owned(strides[name])
            _, cols = block.cols.owned(strides[name])
            return ops.cast(feats[name][:, rows, cols, :], "float32")

        def forward(weights: Sequence[Tensor], crop: Tensor, content_t: Targets,
                    content_map: list[Tensor], masks: list[dict[str, Tensor]]
                    ) -> tuple[dict[str, Tensor], list[Targets]]:
            feats = net.features(weights, crop)
            content = {}
            for name in structure.content:
                err = ops.square(owned(feats, name) - content_t[name])
                content[name] = ops.sum(err * content_map[0] if structure.content_map else err)
            sums = []
            for (masked, layers), region_masks in zip(structure.regions, masks, strict=True):
                found = {}
                for name in layers:
                    f = owned(feats, name)
                    f = f * region_masks[name] if masked else f
                    flat = ops.reshape(f, (-1, f.shape[-1]))
                    found[name] = ops.matmul(ops.transpose(flat), flat)
                sums.append(found)
            return content, sums

        if kind == "forward":
            return forward
        if kind == "measure":
            def measure(weights: Sequence[Tensor], crop: Tensor) -> tuple[Targets, Targets]:
                feats = net.features(weights, crop)
                content = {name: owned(feats, name) for name in structure.content}
                sums = {}
                for name in (structure.regions[0][1] if structure.regions else ()):
                    flat = ops.reshape(owned(feats, name), (-1, feats[name].shape[-1]))
                    sums[name] = ops.matmul(ops.transpose(flat), flat)
                return content, sums
            return measure

        def surrogate(crop: Tensor, weights: Sequence[Tensor], content_t: Targets,
                      content_map: list[Tensor], masks: list[dict[str, Tensor]],
                      d_sums: list[Targets], d_content: Targets) -> tuple[Tensor, Tensor]:
            content, sums = forward(weights, crop, content_t, content_map, masks)
            total = ops.convert_to_tensor(0.0)
            for name, value in content.items():
                total = total + d_content[name] * value
            for region, d_region in zip(sums, d_sums, strict=True):
                for name, s in region.items():
                    total = total + ops.sum(d_region[name] * s)
            return total, total

        value_and_grad = backend.value_and_grad(surrogate)

        def backward(crop: Tensor, *args: Any) -> Tensor:
            return value_and_grad(crop, *args)[2]

        return backward
