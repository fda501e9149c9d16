"""The optimiser's step over blocks (engine.core.blocks), with ``Steps``' interface, and
the targets measured block by block - what ``Engine`` uses at a scale too big to
evaluate VGG19 on at once.

``BlockSteps(passes, block)`` is one scale's: its first call with a scale's targets
prepares them (the blocks, each block's part of the masks and content weights, the
losses' constants), and later steps reuse that.  The gradient is gathered in host
memory (a picture-sized NumPy buffer, each block's share added in place); the picture
and Adam's moments stay on the device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from keras import ops

from engine.core import losses
from engine.core.backend import Tensor
from engine.core.blocks import Array, Block, BlockPasses, Structure, Styled, style_head, tile

Targets = dict[str, Tensor]


@dataclass
class _Prepared:
    """One scale's targets, cut for its blocks."""

    targets: tuple[Any, Any]  # (content_t, second): kept, so that identity means "same"
    shape: tuple[int, ...]
    blocks: list[Block]
    structure: Structure
    styled: list[Styled]
    counts: dict[str, float]  # content layer -> elements its mean is over
    content_maps: list[list[Tensor]]  # per block: [] or [its content weights]
    masks: list[list[dict[str, Tensor]]]  # per block, per region: its masks ({}: none)
    temporal: list[losses.Temporal]


class BlockSteps:
    """``Steps``' ``adam_step`` and ``value_and_grad`` (engine.core.steps), evaluated in
    blocks of ``block`` px."""

    def __init__(self, passes: BlockPasses, block: int) -> None:
        self.passes, self.block = passes, block
        self._prepared: _Prepared | None = None

    def adam_step(self, x: Tensor, m: Tensor, v: Tensor, t: Tensor, weights: Sequence[Tensor],
                  content_t: Targets, second: Any, coefs: Tensor,
                  lr: Tensor) -> tuple[Tensor, ...]:
        loss, parts, grad = self.value_and_grad(x, weights, content_t, second, coefs)
        return (*self.passes.adam_update(x, m, v, t, grad, lr), loss, parts)

    def value_and_grad(self, x: Tensor, weights: Sequence[Tensor], content_t: Targets,
                       second: Any, coefs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The objective, its parts and its gradient, exactly as the whole picture's."""
        p = self._prepare(tuple(x.shape), content_t, second)
        forward = [self.passes.get("forward", b, p.structure) for b in p.blocks]
        content = dict.fromkeys(p.structure.content, 0.0)
        sums: list[dict[str, Any]] = [{} for _ in p.styled]
        for i, block in enumerate(p.blocks):
            errors, block_sums = forward[i](weights, _crop(x, block), self._owned(p, i, content_t),
                                            p.content_maps[i], p.masks[i])
            for name, value in errors.items():
                content[name] = content[name] + value
            for total, found in zip(sums, block_sums, strict=True):
                for name, s in found.items():
                    total[name] = total[name] + s if name in total else s
        c = sum(content[name] / p.counts[name] for name in content)
        s, d_sums = style_head(sums, p.styled, coefs[1])
        d_content = {name: coefs[0] / p.counts[name] for name in content}
        grad = np.zeros(x.shape, np.float32)
        for i, block in enumerate(p.blocks):
            backward = self.passes.get("backward", block, p.structure)
            g = backward(_crop(x, block), weights, self._owned(p, i, content_t),
                         p.content_maps[i], p.masks[i], d_sums, d_content)
            rows, cols = block.crop
            grad[:, rows, cols, :] += np.asarray(g)
        pixels, parts, pixel_grad = self.passes.pixel_terms(x, coefs, p.temporal)
        grad += np.asarray(pixel_grad)
        total = coefs[0] * c + coefs[1] * s + pixels
        tv, t = parts[0], parts[1]
        stacked = ops.stack([c, s, tv, t] if p.temporal else [c, s, tv])
        return total, stacked, ops.convert_to_tensor(grad)

    def _owned(self, p: _Prepared, i: int, content_t: Targets) -> Targets:
        block, strides = p.blocks[i], self.passes.geometry.strides
        return {name: content_t[name][:, block.rows.owned(strides[name])[0],
                                      block.cols.owned(strides[name])[0], :]
                for name in p.structure.content}

    def _prepare(self, shape: tuple[int, ...], content_t: Targets, second: Any) -> _Prepared:
        p = self._prepared
        if p is not None and p.shape == shape and p.targets[0] is content_t \
                and p.targets[1] is second:
            return p
        _, h, w, _ = shape
        strides = self.passes.geometry.strides
        blocks = tile(h, w, self.block, self.passes.halo)
        size = {name: (h // s) * (w // s) for name, s in strides.items()}
        counts = {name: float(size[name] * t.shape[-1]) for name, t in content_t.items()}
        content_map: Array | None = None
        temporal: list[losses.Temporal] = []
        if "regions" in second:  # a losses.Guide
            guide: losses.Guide = second
            content_map = _numpy(guide["content"])
            styled = [_region(masks, grams, float(np.asarray(weight)))
                      for masks, grams, weight in guide["regions"]]
            temporal = [guide["temporal"]] if "temporal" in guide else []
        else:  # the plain objective: one region, the whole picture
            styled = [Styled(None, second, dict.fromkeys(second, 1.0),
                             {name: size[name] * g.shape[-1] for name, g in second.items()})]
        structure = Structure(tuple(content_t), content_map is not None,
                              tuple((r.masks is not None, tuple(r.grams)) for r in styled))
        content_maps: list[list[Tensor]] = []
        masks: list[list[dict[str, Tensor]]] = []
        for block in blocks:
            if content_map is None:
                content_maps.append([])
            else:
                name = structure.content[0]
                content_maps.append([_cut(content_map, block, strides[name])])
            masks.append([{} if r.masks is None else
                           {name: _cut(m, block, strides[name]) for name, m in r.masks.items()}
                           for r in styled])
        self._prepared = _Prepared((content_t, second), shape, blocks, structure, styled,
                                   counts, content_maps, masks, temporal)
        return self._prepared


def _region(masks: Mapping[str, Tensor], grams: Targets, weight: float) -> Styled:
    """A guide's region with its loss constants (``losses.guided_objective``'s)."""
    found = {name: _numpy(masks[name]) for name in grams}
    scale, divisor = {}, {}
    for name, m in found.items():
        squares = np.square(m.astype(np.float64))
        scale[name] = weight * float(squares.mean())
        divisor[name] = max(float(squares.sum()), 1e-6) * grams[name].shape[-1]
    return Styled(found, grams, scale, divisor)


def measure(passes: BlockPasses, weights: Sequence[Tensor], image: npt.NDArray[Any], block: int,
            content: tuple[str, ...], style: tuple[str, ...]) -> tuple[Targets, Targets]:
    """``image``'s features at the ``content`` layers and Gram matrices at the ``style``
    layers (``losses.gram``), measured in blocks of ``block`` px: the targets of a
    picture too big for VGG19 at once."""
    h, w = image.shape[:2]
    strides = passes.geometry.strides
    structure = Structure(content, False, ((False, style),))
    found: dict[str, Array] = {}
    sums: dict[str, Any] = {}
    batch = image[None].astype(np.float32)
    for block_ in tile(h, w, block, passes.halo):
        rows, cols = block_.crop
        feats, block_sums = passes.get("measure", block_, structure)(
            weights, ops.convert_to_tensor(batch[:, rows, cols, :]))
        for name, f in feats.items():
            f = np.asarray(f)
            if name not in found:
                found[name] = np.zeros((1, h // strides[name], w // strides[name], f.shape[-1]),
                                       np.float32)
            stride = strides[name]
            found[name][:, block_.rows.owned(stride)[0], block_.cols.owned(stride)[0], :] = f
        for name, s in block_sums.items():
            sums[name] = sums[name] + s if name in sums else s
    grams = {name: s / float((h // strides[name]) * (w // strides[name]) * s.shape[-1])
             for name, s in sums.items()}
    return {name: ops.convert_to_tensor(f) for name, f in found.items()}, grams


def _crop(x: Tensor, block: Block) -> Tensor:
    rows, cols = block.crop
    return x[:, rows, cols, :]


def _cut(layer_map: Array, block: Block, stride: int) -> Tensor:
    """A block's own part of a 1×h×w×1 map at a layer of ``stride``."""
    return ops.convert_to_tensor(layer_map[:, block.rows.owned(stride)[0],
                                           block.cols.owned(stride)[0], :])


def _numpy(tensor: Tensor) -> Array:
    return np.asarray(ops.convert_to_numpy(tensor), np.float32)
