"""engine.mp4 and engine.timelapse: frames in, an MP4 Telegram plays as an animation
out (H.264, yuv420p, even sides), checked by decoding it back with PyAV."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from engine import images, mp4, timelapse
from engine.errors import InvalidParams
from engine.params import StyleParams


def decode(data: bytes) -> tuple[str, str, int, int, int, float]:
    """(codec, pix_fmt, frames, width, height, seconds) of an MP4."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        frames = [f for f in container.decode(stream)]
        seconds = float(stream.duration * stream.time_base) if stream.duration else 0.0
        return ctx.name, ctx.pix_fmt, len(frames), ctx.width, ctx.height, seconds


def moving(count: int, width: int, height: int) -> list[np.ndarray]:
    """A bright square sliding across a dark picture: each frame differs."""
    frames = []
    for k in range(count):
        frame = np.full((height, width, 3), 30, np.uint8)
        x = k * (width - 8) // max(1, count - 1)
        frame[height // 2 - 4:height // 2 + 4, x:x + 8] = (250, 200, 40)
        frames.append(frame)
    return frames


def test_frames_become_h264_yuv420p():
    data = mp4.encode(moving(20, 64, 48), fps=10)
    assert data[4:8] == b"ftyp"
    codec, pix_fmt, count, width, height, seconds = decode(data)
    assert (codec, pix_fmt, count, width, height) == ("h264", "yuv420p", 20, 64, 48)
    assert seconds == pytest.approx(2.0, abs=0.15)


def test_odd_sides_are_made_even():
    _, pix_fmt, count, width, height, _ = decode(mp4.encode(moving(5, 51, 37), fps=5))
    assert (width, height) == (50, 36) and pix_fmt == "yuv420p" and count == 5


def test_the_picture_survives_encoding():
    frames = moving(6, 64, 48)
    data = mp4.encode(frames, fps=6)
    with av.open(io.BytesIO(data)) as container:
        last = list(container.decode(video=0))[-1].to_ndarray(format="rgb24")
    assert np.abs(last.astype(int) - frames[-1].astype(int)).mean() < 8


def test_max_seconds_cuts_the_end():
    _, _, count, _, _, seconds = decode(mp4.encode(moving(60, 32, 32), fps=10, max_seconds=2))
    assert count == 20 and seconds <= 2.05


@pytest.mark.parametrize("frames, fps", [([], 10), (moving(2, 8, 8), 0), (moving(2, 8, 8), 1e9)])
def test_bad_input_is_refused(frames, fps):
    with pytest.raises(InvalidParams):
        mp4.encode(frames, fps)


def test_frames_of_different_sizes_are_refused():
    with pytest.raises(InvalidParams):
        mp4.encode([np.zeros((8, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)], 5)


# -- the timelapse --------------------------------------------------------------------------

def test_preview_every_gives_a_few_dozen_snapshots():
    for params in (StyleParams(size=48, quality="fast"), StyleParams(size=1024, quality="best"),
                   StyleParams(size=512, quality="balanced")):
        steps = sum(n for _, n in params.schedule())
        assert 30 <= steps // timelapse.preview_every(params) <= 40


def test_snapshots_are_upscaled_to_one_even_size_and_thinned():
    assert timelapse.frame_size(1010, 750, 1024) == (480, 356)  # at most SIDE px
    snaps = timelapse.Snapshots(*timelapse.frame_size(101, 75, 101))
    assert snaps.size == (100, 74)
    for side in (20, 40, 101) * 20:  # coarse to fine scales, more than MAX_SNAPSHOTS
        snaps.add(np.full((round(side * 0.75), side, 3), side, np.uint8))
    assert len(snaps.frames) <= timelapse.MAX_SNAPSHOTS
    photo = np.zeros((75, 101, 3), np.uint8)
    frames = snaps.finish(photo, photo + 200)
    assert {timelapse.decode_frame(f).shape for f in frames} == {(74, 100, 3)}


def test_the_timelapse_ends_with_a_wipe_from_the_photo_to_the_painting():
    photo, painting = np.zeros((40, 60, 3), np.uint8), np.full((40, 60, 3), 255, np.uint8)
    wipe = timelapse.wipe(photo, painting, 4)
    assert [int((f[0, :, 0] > 128).sum()) for f in wipe] == [15, 30, 45, 60]
    snaps = [images.encode_jpeg(f) for f in moving(36, 60, 40)]
    frames = [images.encode_jpeg(photo), *snaps, images.encode_jpeg(painting)]
    clip = timelapse.to_mp4(frames)
    codec, pix_fmt, count, width, height, seconds = decode(clip.mp4)
    assert (codec, pix_fmt, width, height) == ("h264", "yuv420p", 60, 40)
    assert count == 36 + timelapse.WIPE_FRAMES + timelapse.HOLD_FRAMES
    assert 0 < seconds <= timelapse.MAX_SECONDS and clip.seconds <= timelapse.MAX_SECONDS
    with av.open(io.BytesIO(clip.mp4)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    mid = decoded[36 + timelapse.WIPE_FRAMES // 2 - 1]  # half wiped: painting left, photo right
    assert mid[:, :20].mean() > 200 and mid[:, -20:].mean() < 50
    assert decoded[-1].mean() > 200


def test_a_very_long_timelapse_still_fits_six_seconds():
    frames = [images.encode_jpeg(f) for f in moving(300, 32, 24)]
    clip = timelapse.to_mp4(frames)
    _, _, count, _, _, seconds = decode(clip.mp4)
    assert seconds <= timelapse.MAX_SECONDS and count <= 30 * timelapse.MAX_SECONDS
