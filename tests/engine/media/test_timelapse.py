"""A painting's timelapse (engine.media.timelapse): a few dozen snapshots a job, at one
even size, ending with a wipe from the photo to the painting, never over six seconds;
checked by decoding the MP4 back with PyAV."""

from __future__ import annotations

import io

import av
import numpy as np

from engine.media import images, timelapse
from engine.params import StyleParams
from tests.support.clips import decode_mp4, moving


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
    codec, pix_fmt, count, width, height, seconds = decode_mp4(clip.mp4)
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
    _, _, count, _, _, seconds = decode_mp4(clip.mp4)
    assert seconds <= timelapse.MAX_SECONDS and count <= 30 * timelapse.MAX_SECONDS
