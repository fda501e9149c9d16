"""Frames → an MP4 that Telegram plays inline (timelapses; clips reuse it).

Why these choices: Telegram shows an MP4 as an animation (``sendAnimation``)
only when every client can decode it, which means H.264 with 4:2:0 chroma
(``yuv420p``) and even width and height (4:2:0 halves both sides).  PyAV's
wheels carry libx264, so no system ffmpeg is needed.  ``+faststart`` puts the
index first, so a client starts playing before the whole file has arrived; it
rewrites the file in a second pass, hence a temporary file, not memory.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt

from engine.errors import InvalidParams

Frame = npt.NDArray[np.uint8]  # H×W×3 RGB

CODEC: Final = "libx264"
PIX_FMT = "yuv420p"
CRF = 23  # x264's default quality: small files, no visible blocking at these sizes


def even(n: int) -> int:
    """``n`` rounded down to an even number, at least 2 (yuv420p needs even sides)."""
    return max(2, n - n % 2)


def encode(frames: Sequence[Frame], fps: float, max_seconds: float | None = None) -> bytes:
    """The frames (H×W×3 uint8, all the same size) as MP4 bytes, H.264 yuv420p at
    ``fps``.  Odd sides are cropped by one pixel; ``max_seconds`` drops frames
    from the end past that length (a caller that wants all of them fits the fps)."""
    if not frames:
        raise InvalidParams("an MP4 needs at least one frame")
    if not (math.isfinite(fps) and 0 < fps <= 120):
        raise InvalidParams(f"fps must be between 0 and 120, not {fps}")
    height, width = frames[0].shape[:2]
    if max_seconds is not None:
        frames = frames[:max(1, int(max_seconds * fps + 1e-6))]
    w, h = even(width), even(height)
    with tempfile.TemporaryDirectory(prefix="lienzo-mp4-") as tmp:
        path = Path(tmp) / "out.mp4"
        _write(path, frames, fps, w, h)
        return path.read_bytes()


def _write(path: Path, frames: Sequence[Frame], fps: float, w: int, h: int) -> None:
    height, width = frames[0].shape[:2]
    with av.open(str(path), mode="w", format="mp4",
                 options={"movflags": "+faststart"}) as container:
        stream = container.add_stream(CODEC, rate=_rate(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, PIX_FMT
        stream.options = {"crf": str(CRF), "preset": "medium"}
        for frame in frames:
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise InvalidParams(f"frames must all be {width}×{height}×3 uint8")
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:h, :w]),
                                                 format="rgb24")
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))  # flush the encoder's delayed frames


def _rate(fps: float) -> Fraction:
    """``fps`` as the exact fraction PyAV wants for a stream's rate."""
    return Fraction(fps).limit_denominator(1001)
