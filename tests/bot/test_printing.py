"""🖨 Print's rules in the bot (bot/printing.py): what may be printed, and with what
parameters.  The press, the queue and the delivery end to end: tests/e2e/test_print.py."""

from __future__ import annotations

import dataclasses

import pytest

from bot.clip_intake import ClipInfo
from bot.jobs.meta import JobMeta
from bot.printing import print_params, refusal
from bot.state import Media

PAINTING = JobMeta(
    lang="en", requester="Ana", group=False, status_media=True,
    content=Media("AgAD", "u1", 52000, 12), styles=(("starry_night", 1.0),),
    style_media=None, params={"strength": 3.0, "color_mode": "keep", "seed": 7,
                              "faces": "soft", "style_scale": 1.6, "split": "person",
                              "size": 512, "time_budget_s": 300.0},
    cache_key="ab12", label="The Starry Night", clip=None)


def test_a_still_painting_may_be_printed():
    assert refusal(PAINTING) is None
    assert refusal(dataclasses.replace(PAINTING, params={"quality": "balanced"})) is None


@pytest.mark.parametrize(("change", "key"), [
    ({"clip": ClipInfo(40, 384, 216, False)}, "alert.print_clip"),
    ({"params": {"quality": "instant"}}, "alert.print_instant"),
    ({"print_side": 4096, "print_of": "abc"}, "alert.expired"),
])
def test_a_clip_a_sketch_and_a_print_are_not_printed(change, key):
    assert refusal(dataclasses.replace(PAINTING, **change)) == key


def test_a_print_keeps_the_paintings_settings_at_its_own_size_and_time_limit():
    params = print_params(PAINTING, 4096, 1800.0)
    assert params == {"strength": 3.0, "color_mode": "keep", "seed": 7, "faces": "soft",
                      "style_scale": 1.6, "split": "person", "size": 4096,
                      "time_budget_s": 1800.0}
    assert PAINTING.params["size"] == 512  # the painting's own is untouched
