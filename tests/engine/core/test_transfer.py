"""The optimisation itself, with random VGG19 weights at tiny sizes."""

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from engine.core.transfer import get_engine
from engine.errors import Cancelled, InvalidParams
from engine.media import images
from engine.params import StyleParams
from tests.support.images import make_content, make_style
from tests.support.workers import REPO

SMALL = StyleParams(size=48, min_side=48, iterations=12, learning_rate=8.0)


@pytest.fixture(scope="module")
def engine():
    return get_engine(weights="random")


@pytest.fixture(scope="module")
def pictures():
    return make_content(36, 48), [(make_style(), 1.0)]


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_optimisation_lowers_the_loss(engine, pictures, optimizer):
    content, styles = pictures
    params = SMALL.replace(optimizer=optimizer, iterations=25)
    before = engine.evaluate(content.astype(np.float32), content, styles, params)
    result = engine.stylize(content, styles, params)
    after = engine.evaluate(result.image.astype(np.float32), content, styles, params)
    assert np.isfinite(after["total"])
    assert after["total"] < 0.8 * before["total"]
    assert result.image.dtype == np.uint8 and result.image.shape == (36, 48, 3)
    assert result.stats["iterations"] == 25 and result.stats["stopped"] is None


def test_progress_arrives_in_order_with_sane_values(engine, pictures):
    content, styles = pictures
    events = []
    engine.stylize(content, styles, SMALL, on_progress=events.append)
    assert [e.step for e in events] == list(range(1, SMALL.iterations + 1))
    assert all(e.steps == SMALL.iterations for e in events)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert all(0 < f <= 1 for f in fractions)
    assert all(np.isfinite(e.loss) and e.loss > 0 for e in events)
    assert all(e.eta_s is not None and e.eta_s >= 0 for e in events)
    assert events[-1].eta_s == pytest.approx(0.0, abs=1e-6)


def test_preview_every_n_steps(engine, pictures):
    content, styles = pictures
    previews = []
    engine.stylize(content, styles, SMALL, on_preview=previews.append, preview_every=5)
    assert len(previews) == SMALL.iterations // 5
    assert all(p.shape == (36, 48, 3) and p.dtype == np.uint8 for p in previews)


def test_cancel_stops_within_one_step(engine, pictures):
    content, styles = pictures
    events = []
    stop_after = 3
    with pytest.raises(Cancelled):
        engine.stylize(content, styles, SMALL.replace(iterations=50), on_progress=events.append,
                       should_stop=lambda: len(events) >= stop_after)
    assert len(events) == stop_after


def test_cancel_stops_lbfgs_too(engine, pictures):
    content, styles = pictures
    events = []
    with pytest.raises(Cancelled):
        engine.stylize(content, styles, SMALL.replace(optimizer="lbfgs", iterations=50),
                       on_progress=events.append, should_stop=lambda: len(events) >= 2)
    assert len(events) == 2


def test_time_budget_returns_best_so_far(engine, pictures):
    content, styles = pictures
    engine.stylize(content, styles, SMALL.replace(iterations=1))  # compiled already
    budget = 1.0
    started = time.monotonic()
    result = engine.stylize(content, styles, SMALL.replace(iterations=100_000,
                                                           time_budget_s=budget))
    elapsed = time.monotonic() - started
    assert result.stats["stopped"] == "time_budget"
    assert 0 < result.stats["iterations"] < 100_000
    assert elapsed < budget + 2.0  # one step and the output's encoding past the deadline
    assert result.image.shape == (36, 48, 3)


def test_learning_rate_holds_its_peak_then_anneals_to_zero():
    from engine.core.steps import learning_rate_at

    assert learning_rate_at(30.0, 0.0, 0.7) == pytest.approx(30.0)
    assert learning_rate_at(30.0, 0.69, 0.7) == pytest.approx(30.0)  # held
    assert learning_rate_at(30.0, 0.85, 0.7) == pytest.approx(15.0)  # half-way down
    assert learning_rate_at(30.0, 1.0, 0.7) == pytest.approx(0.0, abs=1e-9)
    assert learning_rate_at(30.0, 3.0, 0.7) == pytest.approx(0.0, abs=1e-9)  # past the end
    assert learning_rate_at(20.0, 0.5, 0.0) == pytest.approx(10.0)  # no hold: a plain cosine
    rates = [learning_rate_at(30.0, k / 20, 0.7) for k in range(21)]
    assert rates == sorted(rates, reverse=True)


def test_lr_hold_must_leave_room_to_anneal():
    with pytest.raises(InvalidParams):
        StyleParams(lr_hold=1.0)
    with pytest.raises(InvalidParams):
        StyleParams(lr_hold=-0.1)


def test_a_time_budget_paces_the_annealing_of_each_scale(monkeypatch):
    """Cut short by its deadline, a scale must still have annealed: its schedule
    runs on the scale's share of the time when that is further along than its steps."""
    from engine.core import progress

    clock = {"now": 100.0}
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock["now"])
    plan = [(32, 1000), (48, 1000)]
    work = [1000 * 32 * 24, 1000 * 48 * 36]
    run = progress.Run(plan, sum(work), 100.0, None, None, deadline=110.0)
    run.begin_scale(1, (32, 24))
    share = 10.0 * work[0] / sum(work)  # seconds this scale may take
    assert run.scale_fraction(0, 1000) == pytest.approx(0.0)
    clock["now"] = 100.0 + share / 2
    assert run.scale_fraction(10, 1000) == pytest.approx(0.5)
    assert run.scale_fraction(900, 1000) == pytest.approx(0.9)  # steps further along
    clock["now"] = 100.0 + share
    assert run.scale_fraction(10, 1000) >= 1.0
    unbudgeted = progress.Run(plan, sum(work), 100.0, None, None, deadline=None)
    unbudgeted.begin_scale(1, (32, 24))
    assert unbudgeted.scale_fraction(250, 1000) == 0.25


def test_time_budget_at_a_coarse_scale_still_gives_full_size(engine, pictures):
    content, styles = pictures
    params = StyleParams(size=64, min_side=32, iterations=100_000, time_budget_s=0.5)
    result = engine.stylize(content, styles, params)
    assert result.stats["stopped"] == "time_budget"
    assert result.image.shape == (48, 64, 3)


def test_same_seed_same_output(engine, pictures):
    content, styles = pictures
    params = SMALL.replace(init="noise", seed=42, iterations=5)
    first = engine.stylize(content, styles, params).image
    second = engine.stylize(content, styles, params).image
    other = engine.stylize(content, styles, params.replace(seed=43)).image
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_multiscale_returns_requested_size_and_aspect(engine):
    portrait = make_content(60, 40)
    params = StyleParams(size=64, min_side=32, iterations=2)
    assert [side for side, _ in params.schedule()] == [32, 45, 64]
    result = engine.stylize(portrait, [(make_style(), 1.0)], params)
    assert result.image.shape == (64, 43, 3)
    assert [tuple(s) for s in result.stats["scales"]] == [(21, 32), (30, 45), (43, 64)]
    assert result.stats["iterations"] == 6


def test_blend_and_colour_modes_run(engine, pictures):
    content, _ = pictures
    styles = [(make_style(seed=1), 1.0), (make_style(seed=5), 0.3)]
    keep = engine.stylize(content, styles, SMALL.replace(color_mode="keep", iterations=3))
    match = engine.stylize(content, styles, SMALL.replace(color_mode="match", iterations=3))
    assert keep.image.shape == match.image.shape == content.shape
    with pytest.raises(InvalidParams):
        engine.stylize(content, [(make_style(), 0.0)], SMALL)
    with pytest.raises(InvalidParams):
        engine.stylize(content, [], SMALL)


@pytest.mark.e2e
def test_jax_backend_stylises(tmp_path):
    """The same engine under KERAS_BACKEND=jax: a finite, lower loss."""
    script = textwrap.dedent("""
        import json, numpy as np
        import keras
        from engine.params import StyleParams
        from engine.core.transfer import get_engine
        from tests.support.images import make_content, make_style
        assert keras.backend.backend() == "jax"
        e = get_engine(weights="random")
        content, styles = make_content(36, 48), [(make_style(), 1.0)]
        p = StyleParams(size=48, min_side=48, iterations=20, learning_rate=8.0)
        before = e.evaluate(content.astype(np.float32), content, styles, p)["total"]
        r = e.stylize(content, styles, p)
        after = e.evaluate(r.image.astype(np.float32), content, styles, p)["total"]
        print(json.dumps({"before": before, "after": after, "backend": r.stats["backend"]}))
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["backend"] == "jax"
    assert np.isfinite(figures["after"]) and figures["after"] < figures["before"]


@pytest.mark.parametrize(("shape", "size", "style_scale"), [((20, 60), 32, 1.0),
                                                          ((48, 64), 64, 0.1)])
def test_narrow_pictures_and_tiny_style_scales_do_not_crash(engine, shape, size, style_scale):
    """VGG19 needs 16 px on the short side: such scales are dropped or stretched."""
    result = engine.stylize(make_content(*shape), [(make_style(48, 64), 1.0)],
                            StyleParams(size=size, min_side=16, iterations=1,
                                        style_scale=style_scale))
    h, w = result.image.shape[:2]
    assert min(h, w) >= 16 and abs(w / h - shape[1] / shape[0]) < 0.1


def test_start_is_the_first_scales_picture(engine, pictures):
    """``start`` (the first look, for init=look) is resized to the first scale and the
    optimisation goes on from it: with tiny steps the painting stays near it."""
    content, styles = pictures
    start = make_style(75, 100, seed=4)  # another size than the photo's: resized
    params = StyleParams(size=64, min_side=32, iterations=2, learning_rate=0.5, init="look")
    result = engine.stylize(content, styles, params, start=start)
    assert result.image.shape == (48, 64, 3) and result.stats["iterations"] == 6
    near = images.resize_to(start, 64, 48).astype(float)
    photo = images.resize_to(content, 64, 48).astype(float)
    assert np.abs(result.image - near).mean() < 0.3 * np.abs(result.image - photo).mean()
    plain = engine.stylize(content, styles, params.replace(init="content"))
    assert np.abs(plain.image - photo).mean() < np.abs(plain.image - near).mean()


def test_start_wins_over_init(engine, pictures):
    content, styles = pictures
    start = make_style(36, 48, seed=4)
    params = SMALL.replace(iterations=3)
    from_look = engine.stylize(content, styles, params.replace(init="look"), start=start)
    from_noise = engine.stylize(content, styles, params.replace(init="noise"), start=start)
    np.testing.assert_allclose(from_look.image, from_noise.image, atol=2)


def test_init_look_without_a_start_picture_is_refused(engine, pictures):
    content, styles = pictures
    with pytest.raises(InvalidParams, match="init=look needs the first look"):
        engine.stylize(content, styles, SMALL.replace(init="look"))
