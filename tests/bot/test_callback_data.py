"""The button codec (bot/callback_data.py): what is built is read back by its own
verb's pattern only, and always fits Telegram's 64 bytes."""

from __future__ import annotations

import re
import uuid

import pytest

from bot import callback_data as data
from engine.catalogue.styles import ID_RE
from tests.support.settings import catalogue

PATTERNS = {name: value for name, value in vars(data).items() if isinstance(value, re.Pattern)}
BIG_USER = 2**52  # Telegram user ids fit in 52 bits
LONGEST_STYLE = "s" * 40
JOB = uuid.uuid4().hex


def matching(text: str) -> list[str]:
    return sorted(name for name, pattern in PATTERNS.items() if pattern.match(text))


@pytest.mark.parametrize(("built", "verb"), [
    (data.pick(BIG_USER, LONGEST_STYLE), "PICK"),
    (data.picker_page(BIG_USER, 12), "PICKER_PAGE"),
    (data.own(BIG_USER), "OWN"),
    (data.cancel(JOB), "CANCEL"),
    (data.result("other", JOB), "RESULT_OTHER"),
    (data.result("more", JOB), "RESULT_STRENGTH"),
    (data.result("orig", JOB), "RESULT_COLORS"),
    (data.result("full", JOB), "RESULT_FULL"),
    (data.result("print", JOB), "RESULT_PRINT"),
    (data.settings_field("quality"), "SETTINGS_OPEN"),
    (data.settings_field("quality", "best"), "SETTINGS_SET"),
    (data.SETTINGS_BACK_DATA, "SETTINGS_BACK"),
    (data.SETTINGS_CLOSE_DATA, "SETTINGS_CLOSE"),
    (data.forget(BIG_USER, True), "FORGET_YES"),
    (data.forget(BIG_USER, False), "FORGET_NO"),
])
def test_each_button_is_read_by_its_own_verb_only(built, verb):
    assert len(built.encode()) <= data.MAX_BYTES
    assert matching(built) == [verb]


def test_buttons_already_sent_keep_their_data():
    """Renaming a verb in the code never changes its data: buttons in chats still work."""
    assert (data.pick(7, "starry_night"), data.picker_page(7, 3)) == \
        ("g:7:starry_night", "gp:7:3")
    assert matching("gp:7:3") == ["PICKER_PAGE"]


def test_the_page_number_matches_no_verb():
    assert matching(data.NOOP_DATA) == []  # the catch-all handler answers it


def test_what_is_built_reads_back():
    pick = data.Pick.read(data.PICK.match(data.pick(BIG_USER, "starry_night")))
    assert pick == data.Pick(BIG_USER, "starry_night")
    assert data.PickerPage.read(data.PICKER_PAGE.match(data.picker_page(7, 3))) == \
        data.PickerPage(7, 3)
    assert data.read_owner(data.OWN.match(data.own(7))) == 7
    assert data.read_owner(data.FORGET_YES.match(data.forget(7, True))) == 7
    assert data.read_owner(data.FORGET_NO.match(data.forget(7, False))) == 7
    assert data.read_job(data.RESULT_FULL.match(data.result("full", JOB))) == JOB
    setting = data.Setting.read(data.SETTINGS_SET.match(data.settings_field("size", "512")))
    assert setting == data.Setting("size", "512")


def test_every_settings_choice_is_a_button_read_back():
    """Each field of the /settings panel (faces and brush included) and each of its
    values: built, within 64 bytes, read back by its own verb only."""
    from bot import keyboards

    assert {"faces", "brush"} <= set(keyboards.SETTING_CHOICES)
    for field, values in keyboards.SETTING_CHOICES.items():
        opened = data.settings_field(field)
        assert matching(opened) == ["SETTINGS_OPEN"]
        assert data.Setting.read(data.SETTINGS_OPEN.match(opened)) == data.Setting(field, None)
        for value in values:
            built = data.settings_field(field, value)
            assert len(built.encode()) <= data.MAX_BYTES and matching(built) == ["SETTINGS_SET"]
            assert data.Setting.read(data.SETTINGS_SET.match(built)) == data.Setting(field, value)


def test_data_over_64_bytes_is_refused_and_style_ids_cannot_make_it():
    with pytest.raises(ValueError):
        data.pick(BIG_USER, "s" * 60)
    assert not ID_RE.fullmatch("s" * 41)
    for style_id in catalogue():
        data.pick(BIG_USER, style_id)  # every catalogue style's button fits


@pytest.mark.parametrize(("built", "verb"), [
    (data.result("seed", JOB), "RESULT_SEED"),
    (data.artworks_page(999), "ARTWORKS_PAGE"),
    (data.artworks_delete(JOB, 999), "ARTWORKS_DELETE"),
])
def test_gallery_buttons_are_read_by_their_own_verb_only(built, verb):
    assert len(built.encode()) <= data.MAX_BYTES
    assert sorted(n for n, p in PATTERNS.items() if p.match(built)) == [verb]
    match = PATTERNS[verb].match(built)
    if verb != "ARTWORKS_PAGE":
        assert data.read_job(match) == JOB
    if verb != "RESULT_SEED":
        assert data.read_page(match) == 999
