"""Clips in: a GIF, MP4 or WebM (any container FFmpeg reads) as frames
to paint (docs/architecture.md, "The engine", clips).

Every frame of a clip is a painting, so what is painted is bounded before any
decoding work is wasted: at most ``max_bytes`` in, the first ``seconds`` used
(the clip is cut, and ``Clip.cut`` says so, for the user to be told), frames
taken at most ``fps`` times a second (sample and hold on the source's own
timestamps, so a GIF's uneven frame delays keep their timing), and each frame
shrunk to at most ``max_side`` px on its long side as it is decoded (never
enlarged).  Audio and other streams are ignored.  The defaults are
``engine.config``'s (``CLIP_*``, ``MachineDefaults.clip_side``).

Decoding is PyAV's (FFmpeg in a wheel: no system ffmpeg).  Anything FFmpeg
cannot open is a ``NotAClip``; a clip that opens but whose frames do not
decode is a ``CorruptClip``; each with one plain sentence.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine import config
from engine.errors import ClipTooLarge, CorruptClip, InvalidParams, NotAClip
from engine.media import images
from engine.media.images import RGB

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.stream import VideoStream

EPS = 1e-6  # seconds: timestamps are rationals, instants floats
MAX_SOURCE_SIDE = 8192  # a frame larger than this is a decompression bomb, not a clip
CLIP_SUFFIXES = (".gif", ".mp4", ".webm", ".mov", ".mkv", ".m4v")


@dataclass
class Clip:
    """Decoded frames (H×W×3 uint8, all one size) at ``fps`` frames a second."""

    frames: list[RGB]
    fps: float
    cut: bool  # the source was longer than ``seconds``: only its start is here
    source_seconds: float | None  # the source's length, when the container says
    source_fps: float | None  # the source's frame rate, when it can be told
    source_size: tuple[int, int]  # (width, height) before shrinking
    kind: str = field(default="video")  # "gif" or "video": how to send the result back

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps


def is_clip(path: Path) -> bool:
    """Whether ``lienzo paint`` should treat a file as a clip (by its name)."""
    return path.suffix.lower() in CLIP_SUFFIXES


def read_clip(data: bytes, *, seconds: float = config.CLIP_SECONDS,
              fps: float = config.CLIP_FPS, max_side: int = config.GPU_DEFAULTS.clip_side,
              max_bytes: int = images.MAX_BYTES) -> Clip:
    """Decode the first ``seconds`` of a clip, at most ``fps`` frames a second and
    ``max_side`` px on the long side.  Raises ClipTooLarge, NotAClip, CorruptClip,
    and InvalidParams for limits that are not positive."""
    import av

    if not (seconds > 0 and fps > 0 and max_side >= 1):
        raise InvalidParams("clip limits must be positive (seconds, fps, side)")
    if len(data) > max_bytes:
        raise ClipTooLarge(
            f"The clip is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.",
            mb=round(len(data) / 2**20, 1), limit_mb=round(max_bytes / 2**20))
    if not data:
        raise NotAClip("The file is empty.")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, UnicodeDecodeError):
        raise NotAClip("This is not a GIF or a video that can be read.") from None
    with container:
        still = container.format.name.endswith("_pipe") or container.format.name == "image2"
        if still or not container.streams.video:  # a PNG or JPEG opens as one frame
            raise NotAClip("This file has no moving picture in it.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        source_fps = _rate(stream.average_rate) or _rate(stream.guessed_rate)
        length = (float(container.duration) / av.time_base
                  if container.duration and container.duration > 0 else None)
        clip = _sample(container, stream, seconds, fps, max_side, source_fps)
    clip.source_seconds = length
    clip.kind = "gif" if container.format.name == "gif" else "video"
    return clip


def _sample(container: InputContainer, stream: VideoStream, seconds: float, fps: float,
            max_side: int, source_fps: float | None) -> Clip:
    """The frames at 0, 1/f, 2/f … below ``seconds`` (f = the lower of ``fps`` and
    the source's rate): each the source frame on screen at that instant."""
    import av

    rate = min(fps, source_fps) if source_fps else fps
    wanted = max(1, math.ceil(seconds * rate - EPS))
    frames: list[RGB] = []
    shown: RGB | None = None  # the source frame on screen
    cut, start, size = False, 0.0, (0, 0)
    first: float | None = None
    try:
        for frame in container.decode(stream):
            if max(frame.width, frame.height) > MAX_SOURCE_SIDE:
                raise ClipTooLarge(
                    f"The clip's frames are {frame.width}x{frame.height} px; "
                    f"the limit is {MAX_SOURCE_SIDE} px.", key="error.clip_too_large_frames",
                    side=max(frame.width, frame.height), limit=MAX_SOURCE_SIDE)
            if frame.time is None:  # no timestamp: one frame after the last
                t = start + 1 / (source_fps or rate) if shown is not None else 0.0
            else:
                first = frame.time if first is None else first
                t = frame.time - first  # a container may start its clock after 0
            _hold(frames, shown, t, rate, wanted)  # the instants before this frame
            if t >= seconds - EPS:
                cut = True
                break
            pixels = np.asarray(frame.to_ndarray(format="rgb24"), np.uint8)
            shown, start, size = _shrink(pixels, max_side), t, (frame.width, frame.height)
        else:  # the last frame lasts one source frame
            _hold(frames, shown, start + 1 / (source_fps or rate), rate, wanted)
    except av.FFmpegError:
        raise CorruptClip("The clip is damaged: its frames cannot be decoded.") from None
    if shown is None:
        raise CorruptClip("The clip has no frames that can be decoded.")
    return Clip(frames=frames or [shown], fps=rate, cut=cut, source_seconds=None,
                source_fps=source_fps, source_size=size)


def _hold(frames: list[RGB], shown: RGB | None, until: float, rate: float,
          wanted: int) -> None:
    """Append ``shown`` for every instant k / rate before ``until`` not yet filled."""
    while shown is not None and len(frames) < wanted and len(frames) / rate < until - EPS:
        frames.append(shown)


def _shrink(frame: RGB, max_side: int) -> RGB:
    h, w = frame.shape[:2]
    if max(w, h) <= max_side:
        return frame
    return images.resize_to(frame, *images.fit_within(w, h, max_side))


def _rate(value: object) -> float | None:
    """A stream's frame rate as a float, or None when absent or absurd."""
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return rate if 0 < rate < 1000 else None
