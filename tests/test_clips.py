"""Moving pictures in (engine.clips) and optical flow (engine.flow), on clips the
tests write themselves with PyAV: a moving square on a gradient."""

import io

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from engine import clips, flow
from engine.errors import ClipError, ClipTooLarge, NotAClip

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
              h: int = 48, frames=None) -> bytes:
    """An encoded clip of ``scene`` (or ``frames``) at ``fps``."""
    codec, pix_fmt = CODECS[fmt]
    pictures = frames if frames is not None else [scene(i, w, h)
                                                  for i in range(round(seconds * fps))]
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=round(fps))
        stream.pix_fmt = pix_fmt
        stream.width, stream.height = pictures[0].shape[1], pictures[0].shape[0]
        for picture in pictures:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    return buf.getvalue()


def square_x(frame: np.ndarray) -> float:
    """Where the yellow square's left edge is (columns scaled to a 64 px frame)."""
    yellow = (frame[..., 0] > 180) & (frame[..., 1] > 180) & (frame[..., 2] < 90)
    columns = np.nonzero(yellow.any(axis=0))[0]
    return float(columns.min()) * 64 / frame.shape[1]


@pytest.mark.parametrize("fmt", ["mp4", "gif", "webm"])
def test_first_seconds_at_most_fps_and_told_when_cut(fmt):
    clip = clips.read_clip(make_clip(fmt, seconds=2, fps=25), seconds=1, fps=12, max_side=64)
    assert clip.cut and clip.fps == 12 and len(clip.frames) == 12
    assert clip.kind == ("gif" if fmt == "gif" else "video")
    assert clip.source_fps == pytest.approx(25) and clip.source_size == (64, 48)
    # Sample and hold: frame k is the source frame on screen at k/12 s.
    for k, frame in enumerate(clip.frames):
        assert square_x(frame) == pytest.approx(2 + 2 * int(k * 25 / 12), abs=1)


def test_short_slow_clip_is_kept_whole_at_its_own_rate():
    clip = clips.read_clip(make_clip(seconds=1, fps=8), seconds=4, fps=12, max_side=64)
    assert not clip.cut and clip.fps == 8 and len(clip.frames) == 8
    assert clip.seconds == pytest.approx(1.0)
    assert [round(square_x(f)) for f in clip.frames] == [2 + 2 * i for i in range(8)]


def test_long_side_capped_never_enlarged():
    data = make_clip(seconds=0.4, fps=10)
    assert clips.read_clip(data, max_side=32).frames[0].shape == (24, 32, 3)
    assert clips.read_clip(data, max_side=500).frames[0].shape == (48, 64, 3)


def test_too_many_bytes_is_a_clear_error_with_values():
    with pytest.raises(ClipTooLarge) as err:
        clips.read_clip(b"\0" * 2048, max_bytes=1024)
    assert err.value.code == "clip_too_large" and err.value.key == "error.clip_too_large"
    assert err.value.values["limit_mb"] == 0 and "limit" in str(err.value)


@pytest.mark.parametrize("data", [b"", b"hello, this is text, not a video\n" * 20, "png"])
def test_not_a_video_is_one_clear_error(data):
    if data == "png":  # FFmpeg opens a still picture as a one-frame "video"
        buf = io.BytesIO()
        Image.fromarray(scene(0)).save(buf, "PNG")
        data = buf.getvalue()
    with pytest.raises(NotAClip) as err:
        clips.read_clip(data)
    assert err.value.code == "not_a_clip" and "\n" not in str(err.value)


def test_damaged_video_is_a_clip_error():
    data = make_clip(seconds=1, fps=25)
    with pytest.raises(ClipError) as err:
        clips.read_clip(data[: len(data) // 2])
    assert err.value.code in ("not_a_clip", "corrupt_clip") and "\n" not in str(err.value)


def test_bad_limits_are_invalid_params():
    with pytest.raises(Exception, match="positive"):
        clips.read_clip(make_clip(seconds=0.2, fps=10), fps=0)


# -- flow ----------------------------------------------------------------------------

def texture(h: int = 80, w: int = 100, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (h, w, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip((noise - noise.mean()) * 4 + 128, 0, 255).astype(np.uint8)


def test_warping_a_shifted_frame_reproduces_it():
    """Content moved 2 px right: the backward flow is (-2, 0) to well under 0.5 px,
    and the previous frame warped by it is the current one away from the borders."""
    base = texture()
    previous, current = base[10:46, 10:58], base[10:46, 8:56]  # current(x) = previous(x - 2)
    backward = flow.flow(current, previous)
    inner = (slice(6, -6), slice(6, -6))
    assert np.abs(backward[inner] - [-2, 0]).max() < 0.5
    warped = flow.warp(previous, backward)
    assert np.abs(warped - current)[inner].mean() < 1.0
    assert np.abs(previous.astype(float) - current)[inner].mean() > 20  # it did move
    assert flow.consistency(backward, flow.flow(previous, current))[inner].mean() > 0.95


def test_consistency_marks_what_was_hidden():
    """A square moves 5 px right over a still background: the strip it uncovers was
    hidden in the previous frame, so the check distrusts it; the far background is
    trusted."""
    h, w = 48, 64
    background = texture(h, w, seed=3)

    def with_square(x0):
        f = background.copy()
        f[16:32, x0:x0 + 16] = np.uint8([250, 240, 20])
        return f

    previous, current = with_square(20), with_square(25)
    following = flow.follow(previous, current, previous, temporal_weight=10.0)
    uncovered = following.trusted[18:30, 21:24]
    far = following.trusted[4:12, 4:60]
    assert uncovered.mean() < 0.5 and far.mean() > 0.9
    assert following.weights().max() == pytest.approx(10.0)
    assert following.at(32, 24).image.shape == (24, 32, 3)


def test_content_entering_at_the_edge_is_untrusted_and_starts_from_the_photo():
    """A pan 3 px to the left: the right-hand columns come from outside the previous
    frame, so they are distrusted, and the carried picture there is the photo, not
    the previous painting's edge smeared across (it stayed as streaks)."""
    base = texture()
    previous, current = base[10:58, 10:74], base[10:58, 13:77]  # current(x) = previous(x + 3)
    painting = np.full_like(previous, 7)  # a flat "painting", far from the photo
    following = flow.follow(previous, current, painting, temporal_weight=1.0)
    entering = (slice(8, -8), slice(-2, None))
    assert following.trusted[entering].max() == 0.0
    np.testing.assert_allclose(following.image[entering], current[entering].astype(np.float32))
    assert following.trusted[8:-8, 8:-8].mean() > 0.95
    assert np.abs(following.image[8:-8, 8:-8] - 7).max() < 1.0  # trusted: the painting


def test_warp_error_counts_trusted_pixels_only():
    painting = np.zeros((4, 4, 3), np.uint8)
    warped = np.full((4, 4, 3), 10, np.float32)
    trusted = np.zeros((4, 4), np.float32)
    assert flow.warp_error(painting, warped, trusted) == 0.0
    trusted[0, 0] = 1
    assert flow.warp_error(painting, warped, trusted) == pytest.approx(10.0)


def test_clip_side_is_the_machines_unless_configured(monkeypatch):
    from engine import config

    monkeypatch.delenv("LIENZO_CLIP_MAX_SIDE", raising=False)
    settings = config.load()
    assert settings.defaults_for(True).clip_side == 384
    assert settings.defaults_for(False).clip_side == 128
    monkeypatch.setenv("LIENZO_CLIP_MAX_SIDE", "200")
    assert config.load().defaults_for(False).clip_side == 200
    monkeypatch.setenv("LIENZO_CLIP_MAX_SIDE", "10")
    with pytest.raises(Exception, match="LIENZO_CLIP_MAX_SIDE"):
        config.load()
