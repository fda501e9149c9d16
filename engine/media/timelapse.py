"""The timelapse of a painting: snapshots taken while it forms, and the MP4 made
of them (issue 13, "Watch it paint"; docs/architecture.md, "The life of a job").

Why this shape:

- The engine already hands out the iterate every ``preview_every`` steps
  (``Engine.stylize``'s ``on_preview``); choosing that number from the job's
  step count gives a few dozen snapshots whatever the quality or size, with no
  change to the optimisation.  Each scale paints at its own size, so every
  snapshot is resized to one common size (the painting's shape, at most
  ``SIDE`` px): the coarse scales are upscaled, as the next scale itself does.
- Snapshots are kept as small JPEGs, not arrays: a few dozen of them are a
  few hundred kB, which travel in the job's result through the queue contract
  and sit on the bot's disk for the retention period.
- The frames are the photo, the snapshots, and the painting; the MP4 plays the
  snapshots, then a wipe from the photo to the painting, then holds the
  painting, in at most ``MAX_SECONDS`` (Telegram loops animations).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage

from engine.media import images, mp4
from engine.media.images import RGB
from engine.params import StyleParams

SIDE = 480  # px, the timelapse's long side at most
TARGET_SNAPSHOTS = 36  # per job: enough to see it form, small enough to keep
MAX_SNAPSHOTS = 48  # past this, every other one is dropped (a job longer than planned)
JPEG_QUALITY = 85
MAX_SECONDS = 6.0
WIPE_FRAMES = 12
HOLD_FRAMES = 6
MIN_FPS, MAX_FPS = 8.0, 30.0


def preview_every(params: StyleParams) -> int:
    """Steps between two snapshots so that about ``TARGET_SNAPSHOTS`` arrive."""
    steps = sum(n for _, n in params.schedule())
    return max(1, steps // TARGET_SNAPSHOTS)


def frame_size(width: int, height: int, size: int) -> tuple[int, int]:
    """The common size of a job's frames: the painting's shape, even sides."""
    w, h = images.fit_within(width, height, min(SIDE, size))
    return mp4.even(w), mp4.even(h)


class Snapshots:
    """The snapshots of one job, as JPEGs at one size (the worker and the CLI)."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.frames: list[bytes] = []

    def add(self, image: RGB) -> None:
        self.frames.append(self._jpeg(image))
        if len(self.frames) > MAX_SNAPSHOTS:
            self.frames = self.frames[::2]

    def finish(self, photo: RGB, painting: RGB) -> list[bytes]:
        """The timelapse's frames: the photo, the snapshots, the painting."""
        return [self._jpeg(photo), *self.frames, self._jpeg(painting)]

    def _jpeg(self, image: RGB) -> bytes:
        return images.encode_jpeg(images.resize_to(image, *self.size), quality=JPEG_QUALITY)


def decode_frame(jpeg: bytes) -> RGB:
    """One stored frame back (our own JPEG: no size checks needed)."""
    with PILImage.open(io.BytesIO(jpeg)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def wipe(photo: RGB, painting: RGB, count: int = WIPE_FRAMES) -> list[RGB]:
    """The photo giving way to the painting, a vertical edge sweeping left to right."""
    width = photo.shape[1]
    frames = []
    for k in range(1, count + 1):
        edge = round(width * k / count)
        frame = photo.copy()
        frame[:, :edge] = painting[:, :edge]
        frames.append(frame)
    return frames


def compose(frames: Sequence[RGB]) -> list[RGB]:
    """Snapshots, the wipe, the painting held: ``frames`` is photo, snapshots, painting."""
    if len(frames) < 2:
        raise ValueError("a timelapse needs at least the photo and the painting")
    photo, *snapshots, painting = frames
    return [*snapshots, *wipe(photo, painting), *[painting] * HOLD_FRAMES]


@dataclass(frozen=True)
class Clip:
    """An encoded timelapse and what ``sendAnimation`` is told about it."""

    mp4: bytes
    width: int
    height: int
    seconds: float


def to_mp4(jpegs: Sequence[bytes]) -> Clip:
    """The stored frames (``Snapshots.finish``) as an MP4 of at most ``MAX_SECONDS``."""
    frames = compose([decode_frame(j) for j in jpegs])
    h, w = frames[0].shape[:2]
    frames = [f if f.shape[:2] == (h, w) else images.resize_to(f, w, h) for f in frames]
    fps = min(MAX_FPS, max(MIN_FPS, math.ceil(len(frames) / (MAX_SECONDS - 0.25))))
    if len(frames) / fps > MAX_SECONDS:  # more frames than even MAX_FPS fits: thin them
        keep = int(MAX_FPS * (MAX_SECONDS - 0.25))
        picks = np.linspace(0, len(frames) - 1, keep).round().astype(int)
        frames = [frames[i] for i in picks]
    data = mp4.encode(frames, fps, max_seconds=MAX_SECONDS)
    return Clip(data, mp4.even(w), mp4.even(h), min(MAX_SECONDS, len(frames) / fps))
