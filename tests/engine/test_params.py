"""Everything that changes the picture (engine/params.py): checked on the way in,
read from and written to JSON the one way, the presets' schedules, strengths and
brushes by name."""

from __future__ import annotations

import dataclasses
import json

import pytest

from engine.errors import InvalidParams
from engine.params import BRUSHES, StyleParams, brush_scale, strength_value


def test_params_are_validated():
    with pytest.raises(InvalidParams, match="size"):
        StyleParams(size=10)
    with pytest.raises(InvalidParams, match="quality"):
        StyleParams(quality="ultra")
    with pytest.raises(InvalidParams, match="colors"):
        StyleParams(color_mode="sepia")


def test_params_round_trip_through_json():
    params = StyleParams(size=64, strength=3.0, color_mode="keep", time_budget_s=60.0,
                         iterations=7)
    values = params.to_dict()
    assert values["size"] == 64 and values["iterations"] == 7 and values["min_side"] is None
    assert StyleParams.from_dict(json.loads(json.dumps(values))) == params
    assert StyleParams.from_dict({}) == StyleParams()


def test_params_from_dict_reads_none_as_the_default():
    params = StyleParams.from_dict({"size": 64, "quality": None, "time_budget_s": None})
    assert params == StyleParams(size=64)
    base = StyleParams(quality="fast", size=384)
    assert StyleParams.from_dict({"quality": None, "seed": 3}, base=base) == \
        base.replace(seed=3)
    # Whole numbers are numbers; an integral float is a whole number.
    assert StyleParams.from_dict({"strength": 2, "size": 64.0}) == \
        StyleParams(strength=2.0, size=64)


def test_params_from_dict_refuses_unknown_names():
    with pytest.raises(InvalidParams, match=r"^unknown parameter\(s\): sharpness, warp$"):
        StyleParams.from_dict({"warp": 9, "size": 64, "sharpness": None})


@pytest.mark.parametrize("values", [{"size": "big"}, {"size": True}, {"seed": 1.5},
                                    {"quality": 5}, {"strength": "high"}, {"size": [64]},
                                    {"strength": 10**400}])
def test_params_from_dict_refuses_bad_types(values):
    with pytest.raises(InvalidParams, match=r"^bad parameter type \(.+\)$"):
        StyleParams.from_dict(values)


def test_params_from_dict_still_checks_ranges():
    with pytest.raises(InvalidParams, match="size"):
        StyleParams.from_dict({"size": 10})


def test_the_schedule_is_coarse_to_fine_root_two_apart():
    fast = StyleParams(size=512, quality="fast")
    assert fast.schedule() == [(256, 150), (362, 60), (512, 60)]
    assert StyleParams(size=384, quality="best").schedule() == [
        (192, 1000), (272, 500), (384, 500)]
    assert StyleParams(size=64, iterations=4, min_side=32).schedule() == [
        (32, 4), (45, 4), (64, 4)]


def test_a_size_under_the_presets_first_scale_is_one_scale():
    assert StyleParams(size=100, quality="balanced").schedule() == [(100, 300)]


@pytest.mark.parametrize(("name", "value"), [("low", 0.3), (" HIGH ", 3.0), ("2.5", 2.5),
                                             (4, 4.0)])
def test_strength_by_name_or_number(name, value):
    assert strength_value(name) == value


def test_a_strength_that_is_neither_says_what_is_allowed():
    with pytest.raises(InvalidParams, match="^strength must be one of low, medium, high, max "
                                            "or a number$"):
        strength_value("loud")


def test_brushes_by_name_only():
    assert brush_scale(" Small") == BRUSHES["small"] < 1 < BRUSHES["large"] == brush_scale("large")
    with pytest.raises(InvalidParams, match="^brush must be one of small, medium, large$"):
        brush_scale("1.2")


def test_params_are_frozen_and_replace_checks_again():
    params = StyleParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.size = 64  # type: ignore[misc]
    assert params.replace(size=64).size == 64 and params.size == 512
    with pytest.raises(InvalidParams, match="lr_hold"):
        params.replace(lr_hold=1.0)


def test_a_print_goes_two_apart_above_1024_with_fewer_steps():
    assert StyleParams(size=4096).schedule()[-3:] == [(1024, 150), (2048, 50), (4096, 30)]
    assert StyleParams(size=1536, quality="fast").schedule()[-2:] == [(768, 60), (1536, 30)]
    assert StyleParams(size=8192, quality="best").schedule()[-4:] == [
        (1024, 500), (2048, 167), (4096, 56), (8192, 30)]
    assert StyleParams(size=2048, iterations=3).schedule()[-1] == (2048, 3)
    assert StyleParams(size=1024).schedule() == [(256, 300), (362, 150), (512, 150),
                                                 (724, 150), (1024, 150)]  # as before


@pytest.mark.parametrize("block", [0, 32, 256, 4096])
def test_block_is_zero_or_on_the_grid(block):
    assert StyleParams(block=block).block == block


@pytest.mark.parametrize("block", [16, 100, -16, 250])
def test_a_block_off_the_grid_is_refused(block):
    with pytest.raises(InvalidParams, match="multiple of 16"):
        StyleParams(block=block)
