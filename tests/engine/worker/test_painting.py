"""One spec painted on the worker (engine/worker/painting.py): a clip's time limit
grows with its frames, up to a cap; the first look as the artwork (quality=instant)
and as the optimisation's start (init=look).  The painting itself is a recording
stand-in for ``Engine.stylize`` (no Keras); the look network is the real one.
Clips painted end to end: tests/e2e/test_clips.py."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest

from engine import queue as q
from engine.errors import Cancelled
from engine.media.images import decode_image
from engine.params import StyleParams
from engine.worker.painting import (
    CLIP_LIMIT_CAP,
    JobCallbacks,
    Painter,
    clip_time_limit,
    machine_params,
    paint_spec,
)
from tests.support.clips import decode_mp4, make_clip
from tests.support.images import jpeg, make_content, make_style
from tests.support.settings import engine_settings


def test_a_clips_time_limit_scales_with_its_frames_and_is_capped():
    params = StyleParams(quality="fast", size=48)
    assert clip_time_limit(params, 1, 48, 32, 100.0) == pytest.approx(100.0)
    assert 100.0 < clip_time_limit(params, 10, 48, 32, 100.0) < 100.0 * CLIP_LIMIT_CAP
    assert clip_time_limit(params, 10_000, 48, 32, 100.0) == 100.0 * CLIP_LIMIT_CAP


@dataclass
class Result:
    image: np.ndarray
    stats: dict


class Recording:
    """Stands in for ``Engine.stylize``: records each call, returns a grey picture."""

    def __init__(self) -> None:
        self.calls: list[tuple[StyleParams, np.ndarray | None]] = []

    def __call__(self, content, styles, params, on_progress=None, should_stop=None,
                 on_preview=None, preview_every=50, mask=None, previous=None, start=None):
        self.calls.append((params, start))
        image = np.full((36, 48, 3), 77, np.uint8)
        return Result(image, {"iterations": 3, "seconds": 0.01, "loss": 1.0, "size": [48, 36],
                              "scales": [[48, 36]], "backend": "fake", "device": "CPU",
                              "weights": "none", "stopped": None, "faces": 0})


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path / "data"))
    for name in ("LIENZO_MAX_SIDE", "LIENZO_DEFAULT_QUALITY", "LIENZO_JOB_TIME_LIMIT",
                 "LIENZO_CLIP_MAX_SIDE"):
        monkeypatch.delenv(name, raising=False)
    return engine_settings()


@pytest.fixture
def painter(settings):
    return Painter(Recording(), settings, has_gpu=False, worker="test-worker")


def callbacks(previews: list | None = None, stop: bool = False) -> JobCallbacks:
    return JobCallbacks(on_progress=lambda p: None, should_stop=lambda: stop,
                        on_preview=(previews.append if previews is not None
                                    else lambda image: None), preview_every=1)


def spec(params: dict, content: bytes | None = None, clip: str | None = None) -> q.JobSpec:
    return q.JobSpec("job1", content or jpeg(make_content(45, 60)),
                     (q.StyleRef(image=jpeg(make_style(64, 64, seed=3))),
                      q.StyleRef(image=jpeg(make_style(64, 64, seed=9)), weight=0.5)),
                     params, time.time(), clip=clip)


def test_an_instant_photo_is_its_first_look_with_no_optimisation(painter):
    result = paint_spec(spec({"size": 96, "quality": "instant"}), 1, painter, callbacks(), 5.0)
    assert result.status == "done" and painter.stylize.calls == []
    picture = decode_image(result.png)
    assert picture.shape == (72, 96, 3) and decode_image(result.jpeg).shape == (72, 96, 3)
    stats = result.stats
    assert stats["instant"] is True and stats["iterations"] == 0 and stats["size"] == [96, 72]
    assert stats["backend"] == "onnxruntime" and stats["stopped"] is None
    assert stats["picked_at"] == 5.0 and 0 <= stats["seconds"] < 30
    assert result.partial is False and result.timelapse == ()
    assert picture.std() > 5  # a picture, not a blank


def test_an_instant_photo_the_network_refuses_fails_with_its_code(painter):
    thin = jpeg(make_content(16, 400))  # decodable; 384x15 for the look
    result = paint_spec(spec({"size": 64, "quality": "instant"}, thin), 1, painter, callbacks(),
                        0.0)
    assert result.status == "failed" and result.error_code == "look_failed"
    assert "too thin" in result.error_message


def test_an_instant_job_cancelled_before_it_starts_is_cancelled(painter):
    with pytest.raises(Cancelled):
        paint_spec(spec({"size": 64, "quality": "instant"}), 1, painter, callbacks(stop=True),
                   0.0)


def test_init_look_starts_the_painting_from_the_first_look(painter):
    previews: list = []
    result = paint_spec(spec({"size": 48, "quality": "fast", "init": "look"}), 1, painter,
                        callbacks(previews), 0.0)
    assert result.status == "done"
    [(params, start)] = painter.stylize.calls
    assert params.init == "look" and start is not None and start.shape == (36, 48, 3)
    assert previews and previews[0] is start  # the look is the first preview shown
    assert len(result.timelapse) == 3  # the photo, the look, the painting


def test_a_refused_look_starts_the_painting_from_the_photo(painter):
    thin = jpeg(make_content(16, 400))  # decodable; 384x15 for the look
    result = paint_spec(spec({"size": 64, "quality": "fast", "init": "look"}, thin), 1,
                        painter, callbacks(), 0.0)
    assert result.status == "done"
    [(params, start)] = painter.stylize.calls
    assert params.init == "content" and start is None


def test_the_other_inits_have_no_look(painter):
    paint_spec(spec({"size": 48, "quality": "fast", "init": "noise"}), 1, painter, callbacks(),
               0.0)
    [(params, start)] = painter.stylize.calls
    assert params.init == "noise" and start is None


def test_an_instant_clip_is_every_frames_look(painter):
    data = make_clip("mp4", seconds=0.5, fps=12, w=64, h=48)
    result = paint_spec(spec({"size": 64, "quality": "instant"}, data, clip="video"), 1, painter,
                        callbacks(), 2.0)
    assert result.status == "done" and painter.stylize.calls == []
    codec, _, frames, width, height, _ = decode_mp4(result.mp4)
    assert codec == "h264" and frames == result.stats["frames"] == 6
    assert (width, height) == (64, 48) and result.stats["size"] == [64, 48]
    assert result.stats["instant"] is True and result.stats["iterations"] == 0
    assert result.png is None and decode_image(result.jpeg).shape == (48, 64, 3)


def test_the_deployments_default_quality_may_be_instant(settings):
    from dataclasses import replace

    instant = replace(settings, default_quality="instant")
    assert machine_params({}, instant, has_gpu=False).instant
    assert not machine_params({"quality": "fast"}, instant, has_gpu=False).instant
