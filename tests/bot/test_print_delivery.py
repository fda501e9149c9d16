"""A print's caption and what fits Telegram's upload (bot/print_delivery.py).  Sending
it through the fake Bot API: tests/e2e/test_print.py."""

from __future__ import annotations

import pytest

from bot.jobs.meta import JobMeta
from bot.print_delivery import UPLOAD_LIMIT_BYTES, fits_upload, print_caption
from bot.state import Media
from bot.texts import CAPTION_LIMIT, PLACEHOLDER_LIMITS, visible_length
from engine.queue import JobResult

MB = 1024 * 1024


def meta(lang: str = "en", label: str = "The Starry Night") -> JobMeta:
    return JobMeta(lang=lang, requester="Ana", group=False, status_media=True,
                   content=Media("AgAD", "u1", 52000, 12), styles=(("starry_night", 1.0),),
                   style_media=None, params={"time_budget_s": 1800.0}, cache_key="",
                   label=label, clip=None, print_side=4096, print_of="abc")


def done(stats: dict, png: bytes = b"p", partial: bool = False) -> JobResult:
    return JobResult("job1", 1, "done", "w", jpeg=b"j", png=png, stats=stats, partial=partial)


def test_a_file_fits_when_it_and_the_requests_other_fields_are_within_50_mb():
    assert UPLOAD_LIMIT_BYTES == 50 * MB
    assert fits_upload(30 * MB) and fits_upload(50 * MB - 64 * 1024)
    assert not fits_upload(50 * MB) and not fits_upload(60 * MB)


def test_the_caption_names_the_size_and_says_when_the_photo_was_upscaled():
    plain = print_caption("en", meta(), done({"size": [4096, 3072]}))
    assert plain == ("🖨 The Starry Night\nPrinted at 4096×3072 px (JPEG, quality 95).")
    upscaled = print_caption("es", meta("es"), done({"size": [4096, 3072],
                                                     "upscaled_from": [800, 600]}))
    assert "Ampliada desde 800×600" in upscaled and "4096×3072" in upscaled


def test_the_caption_says_the_time_limit_stopped_it_and_the_png_was_too_big():
    text = print_caption("en", meta(), done({"size": [4096, 4096], "time_limit_s": 1800.0},
                                            png=b"p" * (51 * MB), partial=True))
    assert "time limit (1800 s)" in text
    assert "would be 51 MB, over the 50 MB a bot may send" in text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_longest_caption_fits_telegrams_1024_characters(lang):
    label = "x" * PLACEHOLDER_LIMITS["style"]
    text = print_caption(lang, meta(lang, label), done(
        {"size": [8192, 8192], "upscaled_from": [99999, 99999], "time_limit_s": 99999.0},
        png=b"p" * (64 * MB), partial=True))
    assert visible_length(text) <= CAPTION_LIMIT


def test_a_png_too_big_to_carry_is_named_by_its_size():
    text = print_caption("en", meta(), done({"size": [8192, 6144], "print": True,
                                              "png_bytes": 150 * MB}, png=None))
    assert "would be 150 MB, over the 50 MB a bot may send" in text
