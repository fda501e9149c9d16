"""Moving pictures for the tests, written and read back with PyAV: a yellow square
moving on a gradient as MP4, WebM or GIF bytes (what a person sends the bot), a
bright square sliding across frames, and an MP4's codec, size and length."""

from __future__ import annotations

import io

import av
import numpy as np

SQUARE = (255, 255, 0)
CODECS = {"mp4": ("libx264", "yuv420p"), "webm": ("libvpx-vp9", "yuv420p"),
          "gif": ("gif", "rgb8")}


def scene(i: int, w: int = 64, h: int = 48) -> np.ndarray:
    """Frame ``i``: a gradient, and a yellow square moving 2 px right per frame."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 255 // (w - 1), yy * 255 // (h - 1), np.full_like(xx, 128)], -1)
    img = img.astype(np.uint8)
    side = max(4, w // 6)
    x0, y0 = 2 + 2 * i, h // 3
    img[y0:y0 + side, x0:x0 + side] = SQUARE
    return img


def make_clip(fmt: str = "mp4", seconds: float = 1.0, fps: float = 25, w: int = 64,
              h: int = 48, frames: list[np.ndarray] | None = None) -> bytes:
    """An encoded clip of ``scene`` (or ``frames``) at ``fps``."""
    codec, pix_fmt = CODECS[fmt]
    pictures = frames if frames is not None else [scene(i, w, h)
                                                  for i in range(round(seconds * fps))]
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=round(fps))
        assert isinstance(stream, av.VideoStream)
        stream.pix_fmt = pix_fmt
        stream.width, stream.height = pictures[0].shape[1], pictures[0].shape[0]
        for picture in pictures:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    return buf.getvalue()


def moving(count: int, width: int, height: int) -> list[np.ndarray]:
    """A bright square sliding across a dark picture: each frame differs."""
    frames = []
    for k in range(count):
        frame = np.full((height, width, 3), 30, np.uint8)
        x = k * (width - 8) // max(1, count - 1)
        frame[height // 2 - 4:height // 2 + 4, x:x + 8] = (250, 200, 40)
        frames.append(frame)
    return frames


def decode_mp4(data: bytes) -> tuple[str, str, int, int, int, float]:
    """(codec, pix_fmt, frames, width, height, seconds) of an MP4."""
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        frames = [f for f in container.decode(stream)]
        seconds = (float(stream.duration * stream.time_base)
                   if stream.duration and stream.time_base else 0.0)
        return ctx.name, ctx.pix_fmt or "", len(frames), ctx.width, ctx.height, seconds
