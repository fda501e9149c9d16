"""The inline keyboards (bot/keyboards.py): which buttons each one has, with which
callback data, pages that wrap, and every button within Telegram's 64 bytes."""

from __future__ import annotations

import uuid

import pytest
from telegram import InlineKeyboardMarkup

from bot import callback_data as data
from bot import keyboards
from bot.texts import t
from engine.catalogue.styles import Style

USER = 987654321
JOB = uuid.uuid4().hex


def catalogue(count: int) -> dict[str, Style]:
    """``count`` styles, each with a long English title and a Spanish one."""
    return {f"style_{i:02d}": Style(f"style_{i:02d}", f"Painting number {i} " + "x" * 60,
                                    "Someone", "1900", "https://example.org", "PD",
                                    title_es=f"Cuadro {i}")
            for i in range(count)}


def callback_data_of(markup: InlineKeyboardMarkup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row
            if isinstance(b.callback_data, str)]


def texts_of(markup: InlineKeyboardMarkup) -> list[str]:
    return [b.text for row in markup.inline_keyboard for b in row]


def test_the_style_picker_pages_through_every_style_once():
    styles = catalogue(keyboards.PAGE_SIZE * 2 + 3)  # three pages, the last one short
    seen = []
    for page in range(3):
        markup = keyboards.picker("en", USER, styles, page)
        rows = markup.inline_keyboard
        seen += [b.callback_data for row in rows[:-2] for b in row]
        assert all(len(row) <= 2 for row in rows[:-2])  # styles two per row
        prev, counter, following = rows[-2]  # then the page row, then "my own painting"
        assert prev.callback_data == data.picker_page(USER, (page - 1) % 3)
        assert following.callback_data == data.picker_page(USER, (page + 1) % 3)
        assert counter.callback_data == data.NOOP_DATA
        assert rows[-1][0].callback_data == data.own(USER)
    assert seen == [data.pick(USER, i) for i in styles]


def test_a_page_past_the_end_shows_the_last_and_one_page_has_no_page_row():
    styles = catalogue(keyboards.PAGE_SIZE + 1)
    assert keyboards.picker("en", USER, styles, 99).to_dict() == \
        keyboards.picker("en", USER, styles, 1).to_dict()
    few = keyboards.picker("en", USER, catalogue(3), own=False)
    assert callback_data_of(few) == [data.pick(USER, i) for i in catalogue(3)]


def test_style_buttons_show_the_title_in_the_language_cut_short():
    styles = catalogue(1)
    [english] = texts_of(keyboards.picker("en", USER, styles, own=False))
    [spanish] = texts_of(keyboards.picker("es", USER, styles, own=False))
    assert english == styles["style_00"].title[:keyboards.TITLE_CHARS]
    assert len(english) == keyboards.TITLE_CHARS and spanish == "Cuadro 0"


def test_suggestions_leave_out_styles_not_in_the_catalogue():
    markup = keyboards.suggestions("en", USER, catalogue(3), ["style_02", "nope", "style_00"])
    assert callback_data_of(markup) == [data.pick(USER, "style_02"), data.pick(USER, "style_00")]


@pytest.mark.parametrize(("color_mode", "toggle", "label"), [
    ("keep", "orig", "button.style_colors"),
    ("style", "keep", "button.keep_colors"),
])
def test_a_results_colour_button_offers_the_other_colours(color_mode, toggle, label):
    markup = keyboards.result("en", JOB, color_mode)
    assert data.result(toggle, JOB) in callback_data_of(markup)
    assert t("en", label) in texts_of(markup)


def test_the_timelapse_button_only_when_the_worker_sent_one():
    without = callback_data_of(keyboards.result("en", JOB, "style"))
    with_it = callback_data_of(keyboards.result("en", JOB, "style", timelapse=True))
    assert data.result("tl", JOB) not in without
    assert sorted(with_it) == sorted([*without, data.result("tl", JOB)])


def test_print_is_on_a_paintings_result_and_gallery_page_not_a_sketchs_or_a_clips():
    assert data.result("print", JOB) in callback_data_of(keyboards.result("en", JOB, "style"))
    with_timelapse = keyboards.result("en", JOB, "style", timelapse=True)
    assert [b.callback_data for b in with_timelapse.inline_keyboard[-2]] == [
        data.result("tl", JOB), data.result("print", JOB)]  # side by side
    assert t("es", "button.print") in texts_of(keyboards.result("es", JOB, "style"))
    sketch = keyboards.result("en", JOB, "style", instant=True)
    assert data.result("print", JOB) not in callback_data_of(sketch)
    assert all(row for row in sketch.inline_keyboard)  # no empty row left behind
    assert data.result("print", JOB) in callback_data_of(keyboards.artworks("en", JOB, 0, 3))
    assert data.result("print", JOB) not in callback_data_of(
        keyboards.artworks("en", JOB, 0, 3, repaint=False))
    assert data.result("print", JOB) not in callback_data_of(keyboards.clip_result("en", JOB))


def test_share_types_the_artworks_id_in_a_chat_the_person_picks():
    share = keyboards.result("en", JOB, "style").inline_keyboard[-1][0]
    chosen = share.switch_inline_query_chosen_chat
    assert chosen is not None and chosen.query == JOB
    assert chosen.allow_user_chats and chosen.allow_group_chats and chosen.allow_channel_chats
    assert keyboards.clip_result("en", JOB).inline_keyboard == ((share,),)


def test_a_gallery_page_of_artworks_repaints_stills_only():
    still = callback_data_of(keyboards.artworks("en", JOB, 0, 3))
    clip = callback_data_of(keyboards.artworks("en", JOB, 0, 3, repaint=False))
    assert still[:2] == [data.artworks_page(2), data.artworks_page(1)]  # wrapping
    assert data.result("seed", JOB) in still and data.artworks_delete(JOB, 0) in still
    assert clip == [data.artworks_page(2), data.artworks_page(1), data.artworks_delete(JOB, 0)]
    alone = callback_data_of(keyboards.artworks("en", JOB, 0, 1, repaint=False))
    assert alone == [data.artworks_delete(JOB, 0)]  # one page: no page buttons


@pytest.mark.parametrize("field", sorted(keyboards.SETTING_CHOICES))
def test_a_settings_picker_offers_each_choice_then_back(field):
    markup = keyboards.settings_picker("es", field)
    choices = keyboards.SETTING_CHOICES[field]
    assert callback_data_of(markup) == [
        *(data.settings_field(field, v) for v in choices), data.SETTINGS_BACK_DATA]
    assert all(len(row) <= 2 for row in markup.inline_keyboard)
    assert data.settings_field(field) in callback_data_of(keyboards.settings_main("es"))


def test_forget_and_cancel_are_for_their_own_person_and_job():
    assert callback_data_of(keyboards.forget("en", USER)) == [
        data.forget(USER, True), data.forget(USER, False)]
    assert callback_data_of(keyboards.cancel("en", JOB)) == [data.cancel(JOB)]


def test_every_button_fits_telegrams_64_bytes():
    styles = catalogue(keyboards.PAGE_SIZE * 3)
    markups = [keyboards.picker("es", USER, styles, 2), keyboards.result("es", JOB, "keep", True),
               keyboards.artworks("es", JOB, 99_999, 100_000), keyboards.forget("es", USER),
               keyboards.cancel("es", JOB), keyboards.settings_main("es"),
               *(keyboards.settings_picker("es", f) for f in keyboards.SETTING_CHOICES)]
    found = [d for m in markups for d in callback_data_of(m)]
    assert found and all(len(d.encode()) <= data.MAX_BYTES for d in found)
