"""A print on the worker (engine/worker/printing.py, and its way through
engine/worker/painting.py): the print side and time limit of this machine, the photo
upscaled when smaller, the schedule from the start picture's side, the painting the
engine starts from, a JPEG at quality 95, no timelapse, the out-of-memory retry kept.
The painting itself is a recording stand-in for ``Engine.stylize`` (no Keras); a print
painted end to end through the bot: tests/e2e/test_print.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pytest

from engine import queue as q
from engine.errors import InvalidParams
from engine.media import images
from engine.params import StyleParams
from engine.worker import printing
from engine.worker.painting import JobCallbacks, Painter, paint_spec
from tests.support.images import jpeg, make_content, make_style
from tests.support.settings import engine_settings

PAINTING = images.encode_png(make_style(36, 48, seed=5))  # the painting the person has


@dataclass
class Result:
    image: np.ndarray
    stats: dict


class Recording:
    """Stands in for ``Engine.stylize``: records each call, returns a grey picture at
    the asked size; ``oom`` first calls raise TensorFlow's out-of-memory error."""

    def __init__(self, oom: int = 0) -> None:
        self.calls: list[tuple[np.ndarray, StyleParams, np.ndarray | None]] = []
        self.oom = oom

    def __call__(self, content, styles, params, on_progress=None, should_stop=None,
                 on_preview=None, preview_every=50, mask=None, previous=None, start=None):
        self.calls.append((content, params, start))
        if len(self.calls) <= self.oom:
            raise type("ResourceExhaustedError", (Exception,), {})("OOM when allocating")
        width, height = images.fit_within(content.shape[1], content.shape[0], params.size)
        image = np.full((height, width, 3), 77, np.uint8)
        return Result(image, {"iterations": 3, "seconds": 0.01, "loss": 1.0,
                              "size": [width, height], "backend": "fake", "device": "CPU",
                              "stopped": "time_budget"})


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path / "data"))
    for name in ("LIENZO_MAX_SIDE", "LIENZO_DEFAULT_QUALITY", "LIENZO_JOB_TIME_LIMIT",
                 "LIENZO_PRINT_SIDE", "LIENZO_PRINT_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return engine_settings(print_side=192, print_time_limit_s=600.0)


def callbacks() -> JobCallbacks:
    return JobCallbacks(on_progress=lambda p: None, should_stop=lambda: False,
                        on_preview=lambda image: None, preview_every=1)


def print_spec(content: bytes, params: dict | None = None, **kw) -> q.JobSpec:
    return q.JobSpec("print1", content, (q.StyleRef(image=jpeg(make_style(64, 64, seed=3))),),
                     params or {"size": 4096, "time_budget_s": 9999.0, "strength": 3.0,
                                "init": "noise", "seed": 7},
                     time.time(), **({"start": PAINTING, "is_print": True} | kw))


def test_a_print_is_the_machines_print_side_and_time_limit_not_the_paintings(settings):
    params = printing.print_params({"size": 4096, "time_budget_s": 9999.0, "strength": 3.0},
                                   settings, False, 48)
    assert params.size == 192 and params.time_budget_s == 600.0 and params.strength == 3.0
    assert params.min_side == 48 and params.init == "content" and params.quality == "fast"
    gpu = printing.print_params({"time_budget_s": 60.0}, settings, True, 1024)
    assert gpu.size == 192 and gpu.time_budget_s == 60.0 and gpu.min_side == 192
    default = printing.print_params({}, replace(settings, print_side=None), True, 1024)
    assert default.size == 4096 and default.min_side == 1024 and default.quality == "balanced"


def test_a_print_is_never_a_sketch(settings):
    assert printing.print_params({"quality": "instant"}, settings, True, 48).quality == \
        "balanced"
    assert printing.print_params({"quality": "best"}, settings, True, 48).quality == "best"


def test_a_smaller_photo_is_upscaled_first_and_a_bigger_one_left_to_the_engine(settings):
    small = printing.prepare({}, jpeg(make_content(45, 60)), PAINTING, settings, False)
    assert small.content.shape == (144, 192, 3) and small.upscaled_from == (60, 45)
    assert small.start.shape == (36, 48, 3)
    assert small.stats == {"print": True, "print_side": 192, "upscaled_from": [60, 45],
                           "time_limit_s": 600.0}
    big = printing.prepare({}, jpeg(make_content(300, 400)), PAINTING, settings, False)
    assert big.content.shape == (300, 400, 3) and big.upscaled_from is None
    with pytest.raises(InvalidParams, match="starts from"):
        printing.prepare({}, jpeg(make_content(45, 60)), None, settings, False)


def test_a_print_paints_from_the_painting_at_the_print_side_into_a_fine_jpeg(settings):
    painter = Painter(Recording(), settings, has_gpu=False, worker="w")
    result = paint_spec(print_spec(jpeg(make_content(45, 60))), 1, painter, callbacks(), 3.0)
    assert result.status == "done" and result.partial
    [(content, params, start)] = painter.stylize.calls
    assert content.shape == (144, 192, 3)  # upscaled to the print side
    assert params.size == 192 and params.min_side == 48 and params.init == "content"
    assert params.time_budget_s == 600.0 and params.seed == 7
    assert start is not None and (start == images.decode_image(PAINTING)).all()
    picture = images.decode_image(result.png)
    assert picture.shape == (144, 192, 3)
    assert result.jpeg == images.encode_jpeg(picture, printing.JPEG_QUALITY)
    assert result.timelapse == ()
    assert result.stats["print"] is True and result.stats["upscaled_from"] == [60, 45]
    assert result.stats["picked_at"] == 3.0


def test_a_print_that_runs_out_of_memory_is_retried_smaller_from_the_same_start(settings):
    painter = Painter(Recording(oom=1), settings, has_gpu=False, worker="w")
    result = paint_spec(print_spec(jpeg(make_content(45, 60))), 1, painter, callbacks(), 0.0)
    assert result.status == "done" and result.stats["retried_smaller"] is True
    (_, first, start1), (_, second, start2) = painter.stylize.calls
    assert (first.size, second.size) == (192, 136) and start1 is start2 is not None


def test_a_print_spec_without_its_start_fails_plainly(settings):
    painter = Painter(Recording(), settings, has_gpu=False, worker="w")
    result = paint_spec(print_spec(jpeg(make_content(45, 60)), start=None), 1, painter,
                        callbacks(), 0.0)
    assert result.status == "failed" and result.error_code == "invalid_params"
    assert painter.stylize.calls == []
