"""A job's first look: its photo, its styles and its parameters → a picture at the
size the painting will have.

What the network allows of a job's parameters, and how:
- **a blend** (several paintings, or a catalogue painting and the person's own)
  is one vector, the weighted mean of theirs (Ghiasi et al.'s interpolation);
- **strength** below medium moves the vector towards the photo's own style
  (``style_share``), as Magenta does; above medium the look stays at full style;
- **colours**: ``keep`` takes the photo's colours with the look's luminance
  (``core.colors.keep_luminance``, as the painting does), ``match`` gives the
  look the photo's colour statistics;
- **split, faces, brush** are the optimisation's: a look ignores them.

The network works at 384 px; a bigger output is that picture scaled up (softer
than a painting of the same size: the caption of an instant painting says so).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.core import colors, scales
from engine.look.network import LookNetwork, StyleVector
from engine.media import images
from engine.media.images import RGB
from engine.params import STRENGTHS, StyleParams

MEDIUM = STRENGTHS["medium"]


def style_share(strength: float) -> float:
    """How far from the photo's own style towards the painting's (0-1): the square
    root of the strength up to medium, so "low" (0.3) is a little over half."""
    return float(min(1.0, (strength / MEDIUM) ** 0.5))


def mixed(vectors: Sequence[tuple[StyleVector, float]]) -> StyleVector:
    """The blend's vector: the weighted mean of its paintings'."""
    weights = [weight for _, weight in vectors]
    if not vectors or sum(weights) <= 0:
        raise ValueError("a look needs at least one style with a positive weight")
    blend = np.average([vector for vector, _ in vectors], axis=0, weights=weights)
    return np.asarray(blend, dtype=np.float32)


def output_size(photo: RGB, params: StyleParams) -> tuple[int, int]:
    """(w, h) of the painting the job would make: the look has the same."""
    return scales.vgg_fit(photo.shape[1], photo.shape[0], params.size)


def paint(network: LookNetwork, photo: RGB, vectors: Sequence[tuple[StyleVector, float]],
          params: StyleParams) -> RGB:
    """The first look of ``photo`` in the blend of ``vectors`` at the job's size."""
    vector = job_vector(network, photo, vectors, params)
    return _finish(network.transform(photo, vector), photo, params)


def paint_pictures(network: LookNetwork, photo: RGB, styles: Sequence[tuple[RGB, float]],
                   params: StyleParams) -> RGB:
    """``paint`` with the styles as pictures ((painting, weight)…): their vectors made here."""
    return paint(network, photo, vectors_of(network, styles), params)


def vectors_of(network: LookNetwork, styles: Sequence[tuple[RGB, float]]
               ) -> list[tuple[StyleVector, float]]:
    """Each painting's vector, with its weight."""
    return [(network.style_vector(image), weight) for image, weight in styles]


def paint_frames(network: LookNetwork, frames: Sequence[RGB],
                 vectors: Sequence[tuple[StyleVector, float]], params: StyleParams) -> list[RGB]:
    """An instant clip: every frame's look, all in one vector (the blend, and for a
    strength below medium the first frame's own style: one per frame would flicker)."""
    if not frames:
        raise ValueError("a clip needs at least one frame")
    vector = job_vector(network, frames[0], vectors, params)
    return [_finish(network.transform(frame, vector), frame, params) for frame in frames]


def job_vector(network: LookNetwork, photo: RGB, vectors: Sequence[tuple[StyleVector, float]],
               params: StyleParams) -> StyleVector:
    """The blend's vector, moved towards ``photo``'s own style for a strength below medium."""
    vector = mixed(vectors)
    share = style_share(params.strength)
    if share < 1.0:
        vector = (share * vector + (1.0 - share) * network.style_vector(photo)).astype(
            np.float32)
    return vector


def _finish(look: RGB, photo: RGB, params: StyleParams) -> RGB:
    """The network's picture at the job's size, in the colours ``params`` asks for."""
    w, h = output_size(photo, params)
    look = images.resize_to(look, w, h)
    if params.color_mode == "keep":
        return colors.keep_luminance(look, images.resize_to(photo, w, h))
    if params.color_mode == "match":
        return colors.match_colors(look, images.resize_to(photo, w, h))
    return look
