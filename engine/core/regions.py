"""Spatial control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural
Style Transfer"): the picture as regions, each with its own style (or none) and
weights, so that faces stay faces and two paintings can share one picture.

A ``Region`` is a soft mask (H×W, 0-1, at the photo's size) with its styles and
weights.  ``plan`` turns a job's parameters into regions:

- ``split="person"``: the first style paints the background, the second the
  person (``engine.core.faces.person_mask``); ``split="mask"``: a caller's mask,
  white = first style, black = second;
- ``faces="soft"|"keep"``: each head found becomes a region of its own, in the
  style around it, with less style, more content and the photo's colours
  (``FACE_WEIGHTS``); ``"paint"`` does nothing.

``None`` means "the whole picture, as without regions": the engine then runs
its unmasked objective, so a photo without faces is painted bit for bit as
before.  At each scale ``pyramid`` resizes the masks to the picture and
average-pools them to every loss layer's resolution, exactly as VGG19 pools its
feature maps (2×2, stride 2, the odd row and column dropped).  The masks of a
picture always add up to one at every pixel.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from engine.core import colors, faces
from engine.core.model import CONTENT_LAYERS, STYLE_LAYERS
from engine.errors import InvalidParams
from engine.media.images import RGB, Floats, resize_to, to_uint8
from engine.params import StyleParams

Mask = npt.NDArray[np.float32]
StyleList = Sequence[tuple[RGB, float]]

# How a protected head is painted, per ``faces`` mode (Region's fields): "soft"
# lets the brushwork reach the face lightly, in the photo's colours, half of the
# photo brought back over it; "keep" puts no style on it and brings most of the
# photo back, both feathered at the edge.
# Both start every scale from the photo there: the content term lives deep in
# VGG19 (1/8 resolution), so without this the upscaled coarse picture's blur would
# stay on the face, whose fine detail style would otherwise repaint.  And both
# slow Adam down there (``pace``): Adam normalises each pixel's step, so weights
# in the loss alone cannot keep a region still - small gradients (mostly the
# smoothing TV term) would still move it full steps, and the face would blur.
FACE_TREATMENT: dict[str, dict[str, float]] = {
    "soft": {"style_weight": 0.2, "content_weight": 3.0, "photo_colors": 1.0, "photo": 0.5,
             "photo_start": 1.0, "pace": 0.35},
    "keep": {"style_weight": 0.0, "content_weight": 6.0, "photo_colors": 1.0, "photo": 0.8,
             "photo_start": 1.0, "pace": 0.15},
}

# VGG19's 2×2 poolings before each loss layer (block1 at full size … block5 at 1/16).
POOLINGS = {name: int(name[5]) - 1 for name in STYLE_LAYERS + CONTENT_LAYERS}


@dataclass(frozen=True)
class Region:
    """One part of the picture.  ``styles`` None: the job's styles (blended)."""

    mask: Mask
    styles: StyleList | None = None
    style_weight: float = 1.0
    content_weight: float = 1.0
    photo_colors: float = 0.0  # 0-1: how much of the photo's colour comes back here
    photo: float = 0.0  # 0-1: how much of the photo itself comes back here, after that
    photo_start: float = 0.0  # 0-1: how much of the photo each scale starts from here
    pace: float = 1.0  # Adam's step size here, relative to the rest of the picture

    @property
    def styled(self) -> bool:
        return self.style_weight > 0 and (self.styles is None or len(self.styles) > 0)


@dataclass(frozen=True)
class Plan:
    """The regions of one picture, and how many faces were protected."""

    regions: list[Region] | None
    faces: int


def plan(content: RGB, styles: StyleList, params: StyleParams,
         mask: Mask | None = None) -> Plan:
    """The regions ``params`` ask for on ``content`` (None: no spatial control)."""
    height, width = content.shape[:2]
    if params.split != "none" and len(styles) != 2:
        raise InvalidParams("two styles are needed to split the picture, one per part")
    if params.split == "mask" and mask is None:
        raise InvalidParams("split=mask needs a mask image")
    wants_faces = params.faces != "paint" or params.split == "person"
    boxes = faces.find_faces(content) if wants_faces else []

    regions: list[Region] | None = None
    if params.split == "person":  # the person (white) in the second style
        person = faces.person_mask(content.shape, boxes)
        regions = [Region(1.0 - person, [styles[0]]), Region(person, [styles[1]])]
    elif params.split == "mask":  # white = the first style
        assert mask is not None
        regions = [Region(mask, [styles[0]]), Region(1.0 - mask, [styles[1]])]

    protected = boxes if params.faces != "paint" else []
    if protected:
        head = faces.head_mask(content.shape, protected)
        regions = regions or [Region(np.ones((height, width), np.float32))]
        around = max(regions, key=lambda r: float(np.sum(r.mask * head)))
        regions = [replace(r, mask=r.mask * (1.0 - head)) for r in regions]
        regions.append(Region(head, around.styles, **FACE_TREATMENT[params.faces]))
    return Plan(regions, len(protected))


def load_mask(data: bytes, width: int, height: int) -> Mask:
    """A mask image (white = 1, black = 0) for a ``width``×``height`` photo."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            grey = np.asarray(img.convert("L"), np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidParams(f"the mask is not an image ({exc.__class__.__name__})") from None
    if grey.shape != (height, width):
        raise InvalidParams(f"the mask is {grey.shape[1]}×{grey.shape[0]} px but the photo is "
                            f"{width}×{height} px: they must be the same size")
    return grey


def at_size(regions: Sequence[Region], width: int, height: int) -> list[Mask]:
    """Each region's mask at ``width``×``height``, the masks adding up to 1 everywhere."""
    masks = [np.clip(resize_to(r.mask.astype(np.float32), width, height), 0.0, 1.0)
             for r in regions]
    total = np.sum(masks, axis=0)
    empty = total < 1e-6  # nobody claims the pixel: the first region takes it
    masks[0] = np.where(empty, 1.0, masks[0])
    total = np.where(empty, 1.0, total)
    return [(m / total).astype(np.float32) for m in masks]


def pool(mask: Mask, times: int) -> Mask:
    """``mask`` average-pooled 2×2 ``times`` times, as VGG19 pools (odd edges dropped)."""
    for _ in range(times):
        h, w = mask.shape[0] // 2, mask.shape[1] // 2
        mask = mask[:2 * h, :2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3))
    return mask


def pyramid(mask: Mask) -> dict[str, Mask]:
    """A picture-sized mask at every loss layer's resolution, shaped 1×h×w×1."""
    return {name: pool(mask, times)[None, :, :, None] for name, times in POOLINGS.items()}


def _share(masks: Sequence[Mask], layout: Sequence[Region], field: str) -> Floats:
    """Σ mask × the regions' ``field``, as H×W×1 (to blend pictures with)."""
    total = sum(m * getattr(r, field) for m, r in zip(masks, layout, strict=True))
    return np.asarray(total, np.float32)[:, :, None]


def pace(layout: Sequence[Region], width: int, height: int) -> Floats | None:
    """Adam's per-pixel step multiplier (1×H×W×1), or None where it is 1 everywhere."""
    if all(r.pace == 1.0 for r in layout):
        return None
    return _share(at_size(layout, width, height), layout, "pace")[None]


def start_from_photo(x: Floats, photo: RGB, layout: Sequence[Region]) -> Floats:
    """A scale's starting picture with the photo put back where regions ask (faces)."""
    share = _share(at_size(layout, x.shape[1], x.shape[0]), layout, "photo_start")
    if not share.any():
        return x
    started: Floats = (x * (1.0 - share) + photo * share).astype(np.float32)
    return started


def bring_back_photo(out: RGB, photo: RGB, layout: Sequence[Region], *, recolour: bool) -> RGB:
    """The finished picture with the photo's colours (``recolour``), then the photo
    itself, brought back where regions ask for them, blended by their soft masks."""
    masks = at_size(layout, out.shape[1], out.shape[0])
    result: Floats = out.astype(np.float32)
    colours, pixels = _share(masks, layout, "photo_colors"), _share(masks, layout, "photo")
    if recolour and colours.any():
        result = result * (1 - colours) + colors.keep_luminance(out, photo) * colours
    if pixels.any():
        result = result * (1 - pixels) + photo * pixels
    return to_uint8(result)
