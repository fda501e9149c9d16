"""``bot.looks``: the first look in the bot process - made at once, skipped when the
look thread is busy or the network fails, off when configured - and the instant
painting as a worker's done result (issue 25)."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from bot import looks as looks_module
from bot.config import ConfigError, load_config
from bot.looks import LookInput, Looks
from bot.metrics import Metrics
from engine.catalogue.styles import load_catalog
from engine.config import MachineDefaults
from engine.media import images
from engine.params import StyleParams
from engine.queue import JobSpec, ResultStatus, StyleRef
from tests.support.images import jpeg, tiny_image

DEFAULTS = MachineDefaults(quality="fast", max_side=96, clip_side=64)  # paints 96 px


@pytest.fixture
def catalog(tmp_path):
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "starry_night.jpg").write_bytes(jpeg(tiny_image(100)))
    return load_catalog(styles, tmp_path / "cache")


def counted(metrics: Metrics, outcome: str) -> float:
    return metrics.looks.labels(outcome)._value.get()


def given(size: int = 96, **params) -> LookInput:
    return LookInput(jpeg(tiny_image(1)), [StyleRef(id="starry_night")],
                     StyleParams(size=size, **params))


@pytest.mark.asyncio
async def test_a_first_look_is_a_jpeg_of_at_most_the_networks_side(catalog):
    metrics = Metrics()
    look = await Looks(catalog, metrics).first_look(given(size=1000))
    assert look is not None
    picture = images.decode_image(look)
    assert max(picture.shape[:2]) == 384  # the network's detail: no bigger for a status
    assert counted(metrics, "shown") == 1


@pytest.mark.asyncio
async def test_off_makes_no_look(catalog):
    assert await Looks(catalog, Metrics(), first_look=False).first_look(given()) is None


@pytest.mark.asyncio
async def test_a_busy_look_thread_skips_first_looks(catalog, monkeypatch):
    """A look that would wait more than MAX_WAIT_S is skipped at once, not queued."""
    metrics = Metrics()
    looks = Looks(catalog, metrics)
    gate = threading.Event()
    real = looks._paint

    def slow(given_input, may_download=True):
        gate.wait(10)
        return real(given_input, may_download)

    monkeypatch.setattr(looks, "_paint", slow)
    looks._look_s = 0.6  # as if a look took 0.6 s: a fourth would wait 1.8 s
    waiting = [asyncio.create_task(looks.first_look(given())) for _ in range(3)]
    await asyncio.sleep(0.05)
    assert await looks.first_look(given()) is None  # skipped, without waiting
    assert counted(metrics, "skipped") == 1
    gate.set()
    assert all(look is not None for look in await asyncio.gather(*waiting))
    assert looks._look_s < 0.6  # the real looks' time (gate wait included, ~10 ms) pulled it
    assert looks_module.MAX_WAIT_S == 1.5


@pytest.mark.asyncio
async def test_a_failing_look_is_skipped_and_counted(catalog):
    metrics = Metrics()
    unknown = LookInput(jpeg(tiny_image(1)), [StyleRef(id="no_such_style")],
                        StyleParams(size=64))
    assert await Looks(catalog, metrics).first_look(unknown) is None
    not_a_picture = LookInput(b"not a picture", [StyleRef(id="starry_night")],
                              StyleParams(size=64))
    assert await Looks(catalog, metrics).first_look(not_a_picture) is None
    assert counted(metrics, "failed") == 2


@pytest.mark.asyncio
async def test_a_first_look_never_waits_for_a_paintings_download(tmp_path):
    """A catalogue painting not on disk yet: no first look (a download could take 30 s
    on the look thread), while an instant picture - asked for - would fetch it."""
    catalog = load_catalog(None, tmp_path / "empty-cache")  # the packaged list, no files
    metrics = Metrics()
    looks = Looks(catalog, metrics)
    not_here = LookInput(jpeg(tiny_image(1)), [StyleRef(id="starry_night")],
                         StyleParams(size=64))
    assert await looks.first_look(not_here) is None
    assert counted(metrics, "failed") == 1
    cache = tmp_path / "empty-cache"
    assert not cache.exists() or not any(cache.iterdir())  # nothing fetched


@pytest.mark.asyncio
async def test_a_persons_own_painting_and_a_clips_frame_make_a_look(catalog):
    own = LookInput(tiny_image(3), [StyleRef(image=jpeg(tiny_image(4)), weight=1.0),
                                    StyleRef(id="starry_night", weight=0.5)],
                    StyleParams(size=64, color_mode="keep"))
    look = await Looks(catalog, Metrics()).first_look(own)
    assert look is not None and images.decode_image(look).shape == (64, 64, 3)


@pytest.mark.asyncio
async def test_an_instant_painting_is_a_done_result_at_the_jobs_full_size(catalog):
    spec = JobSpec(job_id="a" * 32, content=jpeg(tiny_image(1)),
                   styles=(StyleRef(id="starry_night"),), params={"quality": "instant"})
    result = await Looks(catalog, Metrics(), first_look=False).instant(spec, DEFAULTS)
    assert result.status == ResultStatus.DONE and result.stats["instant"] is True
    assert result.stats["size"] == [96, 96]  # the machine's default size: none was asked
    full = images.decode_image(result.png or b"")
    assert full.shape == (96, 96, 3)
    assert not np.array_equal(full, images.resize_to(tiny_image(1), 96, 96))  # painted


def test_a_jobs_params_apply_the_machine_defaults_and_cap():
    assert DEFAULTS.params({}).size == 96
    assert DEFAULTS.params({"size": 64}).size == 64
    assert DEFAULTS.params({"size": 4000, "quality": "instant"}).size == 96
    assert DEFAULTS.params({}).quality == "fast"
    instant_machine = MachineDefaults(quality="instant", max_side=96)  # the deployment's
    assert instant_machine.params({}).instant
    assert not instant_machine.params({"quality": "best"}).instant


def test_first_look_switch(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    assert load_config().first_look is True
    monkeypatch.setenv("LIENZO_FIRST_LOOK", "off")
    assert load_config().first_look is False
    monkeypatch.setenv("LIENZO_FIRST_LOOK", "sometimes")
    with pytest.raises(ConfigError, match="LIENZO_FIRST_LOOK must be on or off"):
        load_config()
