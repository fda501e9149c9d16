"""A clip's previous painting, as the optimisation of the next frame takes it
(docs/architecture.md, "The engine": clips).

``Warped`` is what ``Engine.stylize`` needs to hold a frame to the one before:
the previous painting carried along the motion, where to trust it, and the
temporal loss's weight.  It lives in the core, beside the loss it feeds, so
that the core never imports ``engine.clip``; ``engine.clip.flow.follow``
builds it from the optical flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.media.images import Floats, resize_to


@dataclass(frozen=True)
class Warped:
    """The previous painting carried to the current frame (``image``, H×W×3 in
    0-255), where that can be trusted (``trusted``, H×W: 1 where the flow is
    consistent, 0 where it is not) and the temporal loss's weight (``weight``)."""

    image: Floats
    trusted: npt.NDArray[np.float32]
    weight: float

    def at(self, width: int, height: int) -> Warped:
        """The same at ``width``×``height`` (a scale of the schedule)."""
        if self.trusted.shape == (height, width):
            return self
        return Warped(resize_to(self.image, width, height),
                      np.clip(resize_to(self.trusted, width, height), 0, 1), self.weight)

    def weights(self) -> npt.NDArray[np.float32]:
        """The temporal loss's weight per pixel (H×W)."""
        return (self.trusted * np.float32(self.weight)).astype(np.float32)
