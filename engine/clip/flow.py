"""Optical flow for painting clips without flicker (Ruder, Dosovitskiy
and Brox 2016, "Artistic style transfer for videos"; docs/architecture.md,
"The engine").

Each frame after the first starts from the previous painting carried along the
motion to the new frame (``warp`` with the *backward* flow: for each pixel of
the new frame, where it was in the previous one), and a temporal loss holds it
to that, except where the carried painting cannot be trusted: pixels that were
hidden in the previous frame (occlusions: the forward and backward flows do not
undo each other) and motion boundaries (where the flow changes sharply).  That
is Ruder's consistency check, with his constants; ``follow`` returns the warped
painting and the per-pixel weight (0 at those pixels, 1 elsewhere).

The flow is OpenCV's DIS (Kroeger et al. 2016), computed on the photos' frames
(not on the paintings), in grey, at the painting's size.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from engine.core.carried import Warped
from engine.media.images import RGB, Floats

Flow = npt.NDArray[np.float32]  # H×W×2: (dx, dy) in pixels


def _grey(image: RGB) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY), np.uint8)


def flow(source: RGB, target: RGB) -> Flow:
    """Dense flow from ``source`` to ``target``: ``source(p) ≈ target(p + flow(p))``."""
    dis = cv2.DISOpticalFlow_create(  # type: ignore[attr-defined]  # missing from the stubs
        cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    if min(source.shape[:2]) < 64:  # small pictures: DIS's default 8 px patches are too coarse
        dis.setPatchSize(6)
        dis.setPatchStride(2)
    return np.asarray(dis.calc(_grey(source), _grey(target), None), np.float32)


def warp(image: npt.NDArray[np.generic], flow_field: Flow) -> Floats:
    """``image`` (H×W[×C]) sampled at ``p + flow(p)`` for every pixel p (bilinear;
    outside the picture, the nearest edge)."""
    h, w = flow_field.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    warped = cv2.remap(np.asarray(image, np.float32), xs + flow_field[..., 0],
                       ys + flow_field[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped, np.float32)


def consistency(backward: Flow, forward: Flow) -> npt.NDArray[np.float32]:
    """Ruder et al.'s check, per pixel of the current frame: 1 where the backward
    flow can be trusted, 0 where it comes from outside the previous frame (content
    entering at an edge), at disocclusions (following the backward flow and then
    the forward one does not come back: |w̃ + ŵ|² > 0.01 (|w̃|² + |ŵ|²) + 0.5) and
    at motion boundaries (|∇û|² + |∇v̂|² > 0.01 |ŵ|² + 0.002)."""
    there = warp(forward, backward)  # w̃: the forward flow where each pixel came from
    back_sq = np.sum(backward**2, axis=-1)
    disoccluded = (np.sum((there + backward) ** 2, axis=-1)
                   > 0.01 * (np.sum(there**2, axis=-1) + back_sq) + 0.5)
    du = np.gradient(backward[..., 0])
    dv = np.gradient(backward[..., 1])
    gradient_sq = du[0] ** 2 + du[1] ** 2 + dv[0] ** 2 + dv[1] ** 2
    boundary = gradient_sq > 0.01 * back_sq + 0.002
    h, w = backward.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    fx, fy = xs + backward[..., 0], ys + backward[..., 1]
    entering = (fx < 0) | (fx > w - 1) | (fy < 0) | (fy > h - 1)  # new at the frame's edge
    return np.asarray(~(disoccluded | boundary | entering), np.float32)


def follow(previous_photo: RGB, photo: RGB, previous_painting: RGB,
           temporal_weight: float) -> Warped:
    """The previous painting carried to ``photo``'s frame, with the temporal
    weight where that can be trusted (all three pictures one size).  Where it
    cannot (new content, occlusions), the frame starts from the photo instead, as
    a first frame does: a carried edge pixel smeared across new content would
    stay as streaks, the later frames having few steps to repaint it."""
    backward = flow(photo, previous_photo)
    forward = flow(previous_photo, photo)
    trusted = consistency(backward, forward)
    carried = warp(previous_painting, backward)
    start = carried * trusted[..., None] + photo.astype(np.float32) * (1 - trusted[..., None])
    return Warped(image=start.astype(np.float32), trusted=trusted, weight=temporal_weight)


def warp_error(painting: RGB, warped: Floats, mask: npt.NDArray[np.float32]) -> float:
    """Mean absolute difference (0-255) between a painting and the previous one
    carried to it, over the pixels ``mask`` trusts: the flicker a viewer sees."""
    trusted = mask > 0
    if not trusted.any():
        return 0.0
    diff = np.abs(painting.astype(np.float32) - warped)[trusted]
    return float(diff.mean())
