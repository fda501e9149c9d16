"""Finding faces and people in a photo, and the soft masks that cover them.

Gatys-style transfer contorts faces (the most common complaint in every
implementation's tracker), so the engine protects them (engine.core.regions).  Faces
are found with OpenCV's Haar cascade for frontal faces, shipped inside
``opencv-python-headless`` (no model to download, a few milliseconds at 640 px).
A Haar box covers brows to chin; ``head_mask`` grows it to the whole head (hair,
ears, chin) as an ellipse with a feathered edge, so there is no visible seam
where protection ends.  ``person_mask`` adds shoulders and body below each head,
for "the person in one style, the background in another"; with no face it falls
back to the middle of the picture, where people put their subject.

Detection never fails a painting: any error is logged and means "no face".
Masks are H×W float32 arrays in 0-1 at the photo's size.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.media.images import RGB, fit_within, resize_to

log = logging.getLogger("lienzo.faces")

Mask = npt.NDArray[np.float32]

CASCADE_FILE = "haarcascade_frontalface_default.xml"
DETECT_SIDE = 640  # detection runs on the photo scaled to this long side at most
MIN_FACE = 0.06  # of the short side: smaller faces are too few pixels to protect
MIN_NEIGHBOURS = 6  # the cascade's vote threshold: higher, fewer false faces
FEATHER = 0.35  # the soft edge, as a share of the ellipse's radius


@dataclass(frozen=True)
class Box:
    """A face as the cascade reports it, in the photo's pixels."""

    x: float
    y: float
    w: float
    h: float


def find_faces(image: RGB) -> list[Box]:
    """The frontal faces in ``image`` (H×W×3 uint8), largest first; [] on any error."""
    try:
        return _detect(image)
    except Exception as exc:  # a broken OpenCV install must not fail a painting
        log.warning("face detection failed (%s: %s); painting without protection",
                    type(exc).__name__, exc)
        return []


def _detect(image: RGB) -> list[Box]:
    import cv2

    height, width = image.shape[:2]
    w, h = fit_within(width, height, DETECT_SIDE)
    small = resize_to(image, w, h) if (w, h) != (width, height) else image
    grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    side = max(20, round(MIN_FACE * min(w, h)))
    found = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=MIN_NEIGHBOURS,
                                        minSize=(side, side))
    scale = width / w
    boxes = [Box(float(x) * scale, float(y) * scale, float(bw) * scale, float(bh) * scale)
             for x, y, bw, bh in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b.w * b.h)


@functools.cache
def _cascade() -> Any:
    import cv2

    path = os.path.join(cv2.data.haarcascades, CASCADE_FILE)  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV could not load {path}")
    return cascade


def head_mask(shape: tuple[int, ...], boxes: Sequence[Box]) -> Mask:
    """1 over each head (the face box grown to hair, ears and chin), 0 elsewhere,
    with a feathered edge."""
    height, width = shape[:2]
    mask = np.zeros((height, width), np.float32)
    for b in boxes:
        cx, cy = b.x + b.w / 2, b.y + 0.42 * b.h  # the head's middle is above the nose
        mask = np.maximum(mask, _ellipse(height, width, cx, cy, 0.78 * b.w, 0.95 * b.h))
    return mask


def person_mask(shape: tuple[int, ...], boxes: Sequence[Box]) -> Mask:
    """1 over each person (head, shoulders and body below it), 0 over the background.
    No face: the middle of the picture, where a subject usually is."""
    height, width = shape[:2]
    if not boxes:
        return _ellipse(height, width, width / 2, height * 0.55, 0.3 * width, 0.45 * height)
    mask = head_mask(shape, boxes)
    for b in boxes:
        cx, top = b.x + b.w / 2, b.y + 1.1 * b.h
        body = _ellipse(height, width, cx, top + 2.2 * b.h, 1.7 * b.w, 2.6 * b.h)
        mask = np.maximum(mask, body)
    return mask


def _ellipse(height: int, width: int, cx: float, cy: float, rx: float, ry: float) -> Mask:
    """An ellipse, 1 inside ``1 - FEATHER`` of its radius, falling smoothly to 0 at its edge."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.sqrt(((xs + 0.5 - cx) / rx) ** 2 + ((ys + 0.5 - cy) / ry) ** 2)
    t = np.clip((1.0 - r) / FEATHER, 0.0, 1.0)
    smooth: Mask = (t * t * (3.0 - 2.0 * t)).astype(np.float32)  # smoothstep
    return smooth
