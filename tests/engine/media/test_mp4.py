"""engine.media.mp4: frames in, an MP4 Telegram plays as an animation out (H.264,
yuv420p, even sides), checked by decoding it back with PyAV."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from engine.errors import InvalidParams
from engine.media import mp4
from tests.support.clips import decode_mp4, moving


def test_frames_become_h264_yuv420p():
    data = mp4.encode(moving(20, 64, 48), fps=10)
    assert data[4:8] == b"ftyp"
    codec, pix_fmt, count, width, height, seconds = decode_mp4(data)
    assert (codec, pix_fmt, count, width, height) == ("h264", "yuv420p", 20, 64, 48)
    assert seconds == pytest.approx(2.0, abs=0.15)


def test_odd_sides_are_made_even():
    _, pix_fmt, count, width, height, _ = decode_mp4(mp4.encode(moving(5, 51, 37), fps=5))
    assert (width, height) == (50, 36) and pix_fmt == "yuv420p" and count == 5


def test_the_picture_survives_encoding():
    frames = moving(6, 64, 48)
    data = mp4.encode(frames, fps=6)
    with av.open(io.BytesIO(data)) as container:
        last = list(container.decode(video=0))[-1].to_ndarray(format="rgb24")
    assert np.abs(last.astype(int) - frames[-1].astype(int)).mean() < 8


def test_max_seconds_cuts_the_end():
    _, _, count, _, _, seconds = decode_mp4(mp4.encode(moving(60, 32, 32), fps=10, max_seconds=2))
    assert count == 20 and seconds <= 2.05


@pytest.mark.parametrize("frames, fps", [([], 10), (moving(2, 8, 8), 0), (moving(2, 8, 8), 1e9)])
def test_bad_input_is_refused(frames, fps):
    with pytest.raises(InvalidParams):
        mp4.encode(frames, fps)


def test_frames_of_different_sizes_are_refused():
    with pytest.raises(InvalidParams):
        mp4.encode([np.zeros((8, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)], 5)


# -- the timelapse --------------------------------------------------------------------------
