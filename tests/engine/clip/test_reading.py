"""Clips in (engine.clip.reading), on clips the tests write themselves with
PyAV (tests.support.clips): a moving square on a gradient."""

import io

import numpy as np
import pytest
from PIL import Image

from engine.clip import reading
from engine.errors import ClipError, ClipTooLarge, NotAClip
from tests.support.clips import make_clip, scene


def square_x(frame: np.ndarray) -> float:
    """Where the yellow square's left edge is (columns scaled to a 64 px frame)."""
    yellow = (frame[..., 0] > 180) & (frame[..., 1] > 180) & (frame[..., 2] < 90)
    columns = np.nonzero(yellow.any(axis=0))[0]
    return float(columns.min()) * 64 / frame.shape[1]


@pytest.mark.parametrize("fmt", ["mp4", "gif", "webm"])
def test_first_seconds_at_most_fps_and_told_when_cut(fmt):
    clip = reading.read_clip(make_clip(fmt, seconds=2, fps=25), seconds=1, fps=12, max_side=64)
    assert clip.cut and clip.fps == 12 and len(clip.frames) == 12
    assert clip.kind == ("gif" if fmt == "gif" else "video")
    assert clip.source_fps == pytest.approx(25) and clip.source_size == (64, 48)
    # Sample and hold: frame k is the source frame on screen at k/12 s.
    for k, frame in enumerate(clip.frames):
        assert square_x(frame) == pytest.approx(2 + 2 * int(k * 25 / 12), abs=1)


def test_short_slow_clip_is_kept_whole_at_its_own_rate():
    clip = reading.read_clip(make_clip(seconds=1, fps=8), seconds=4, fps=12, max_side=64)
    assert not clip.cut and clip.fps == 8 and len(clip.frames) == 8
    assert clip.seconds == pytest.approx(1.0)
    assert [round(square_x(f)) for f in clip.frames] == [2 + 2 * i for i in range(8)]


def test_long_side_capped_never_enlarged():
    data = make_clip(seconds=0.4, fps=10)
    assert reading.read_clip(data, max_side=32).frames[0].shape == (24, 32, 3)
    assert reading.read_clip(data, max_side=500).frames[0].shape == (48, 64, 3)


def test_too_many_bytes_is_a_clear_error_with_values():
    with pytest.raises(ClipTooLarge) as err:
        reading.read_clip(b"\0" * 2048, max_bytes=1024)
    assert err.value.code == "clip_too_large" and err.value.key == "error.clip_too_large"
    assert err.value.values["limit_mb"] == 0 and "limit" in str(err.value)


@pytest.mark.parametrize("data", [b"", b"hello, this is text, not a video\n" * 20, "png"])
def test_not_a_video_is_one_clear_error(data):
    if data == "png":  # FFmpeg opens a still picture as a one-frame "video"
        buf = io.BytesIO()
        Image.fromarray(scene(0)).save(buf, "PNG")
        data = buf.getvalue()
    with pytest.raises(NotAClip) as err:
        reading.read_clip(data)
    assert err.value.code == "not_a_clip" and "\n" not in str(err.value)


def test_damaged_video_is_a_clip_error():
    data = make_clip(seconds=1, fps=25)
    with pytest.raises(ClipError) as err:
        reading.read_clip(data[: len(data) // 2])
    assert err.value.code in ("not_a_clip", "corrupt_clip") and "\n" not in str(err.value)


def test_bad_limits_are_invalid_params():
    with pytest.raises(Exception, match="positive"):
        reading.read_clip(make_clip(seconds=0.2, fps=10), fps=0)


# -- flow ----------------------------------------------------------------------------
