"""The text catalogues (bot/texts): complete, consistent, safe and within Telegram's limits."""

from __future__ import annotations

import inspect
import logging
import math
import re
import string
import subprocess
import sys
from html.parser import HTMLParser

import pytest

import engine.errors
from bot import texts
from bot.jobs import UserLimitReached
from bot.texts import (
    ALERT_LIMIT,
    CAPTION_LIMIT,
    CATALOGUES,
    COMMAND_DESCRIPTION_LIMIT,
    COMMANDS,
    LANGUAGES,
    PLACEHOLDER_LIMITS,
    bot_commands,
    done_caption,
    error_text,
    eta_text,
    is_plain,
    language_for,
    placeholders,
    progress_bar,
    progress_text,
    queued_text,
    style_label,
    t,
    tn,
    value_label,
    visible_length,
)
from engine.catalogue.styles import Style
from tests.support.settings import catalogue

EN = CATALOGUES["en"]
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != "en"]
ALL_KEYS = sorted(EN)
ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a"}

# The codes the engine, the job service and the bot report (issue 4, engine/errors.py).
ENGINE_CODES = ["bad_image", "empty_image", "not_an_image", "image_too_large", "image_too_small",
                "corrupt_image", "unknown_style", "style_unavailable", "weights_unavailable",
                "invalid_params", "cancelled", "out_of_memory", "engine_error"]
BOT_CODES = ["file_too_big", "user_limit", "queue_full", "chat_not_allowed", "not_your_job",
             "unknown_job", "worker_lost", "bad_result", "queue_unavailable", "photo_gone",
             "empty_request", "bad_option", "too_many_styles", "bad_weight", "bad_blend",
             "bad_split"]


def worst_values(template: str, char: str = "W", factor: int = 1) -> dict[str, str]:
    """Every placeholder of ``template`` at its longest (``factor`` > 1: longer, to be clipped)."""
    return {name: char * (PLACEHOLDER_LIMITS[name] * factor) for name in placeholders(template)}


class _TagChecker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not allowed by Telegram")
        if tag == "a" and not dict(attrs).get("href"):
            self.problems.append("<a> without href")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")


def html_problems(text: str) -> list[str]:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    return checker.problems + [f"unclosed <{tag}>" for tag in checker.stack]


# --------------------------------------------------------------------------- catalogues


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_same_keys_as_english(lang):
    assert sorted(CATALOGUES[lang]) == ALL_KEYS
    assert texts.missing_keys(lang) == []


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_same_placeholders_as_english(lang):
    for key in ALL_KEYS:
        assert placeholders(CATALOGUES[lang][key]) == placeholders(EN[key]), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_templates_are_simple_and_bounded(lang):
    """Only plain {name} fields, each with a worst-case bound; no stray braces."""
    for key, template in CATALOGUES[lang].items():
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            assert name.isidentifier(), (key, name)
            assert not spec and conversion is None, (key, name)
            assert name in PLACEHOLDER_LIMITS, (key, name)
        assert template == template.strip(), key
        assert "  " not in template.replace("\n", ""), f"double space in {key}"


def test_every_placeholder_limit_is_used():
    used = set().union(*(placeholders(v) for v in EN.values()))
    assert set(PLACEHOLDER_LIMITS) == used


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_translated_not_copied(lang):
    """Real translations: only language-neutral texts may equal the English ones."""
    neutral = {"button.page", "value.size", "value.strength.custom", "eta.in_minutes",
               "eta.in_hours"}
    same = {k for k in ALL_KEYS if CATALOGUES[lang][k] == EN[k]}
    assert same <= neutral


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_key_formats(lang, key, caplog):
    values = {name: "x" for name in placeholders(EN[key])}
    with caplog.at_level(logging.ERROR, logger="lienzo.texts"):
        text = t(lang, key, **values)
    assert text and "{" not in text and "}" not in text
    assert not caplog.records, caplog.text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_worst_case_length_and_markup(lang, key):
    template = CATALOGUES[lang][key]
    for char, factor in (("W", 1), ("&", 1), ("W", 10), ("<", 3)):
        text = t(lang, key, **worst_values(template, char, factor))
        assert visible_length(text) <= CAPTION_LIMIT, (key, char, factor)
        if char == "W":
            assert len(text) <= CAPTION_LIMIT, (key, factor)  # even counting the markup
        if is_plain(key):
            assert "<b>" not in text and "<code>" not in text, key
        else:
            assert html_problems(text) == [], (key, char)
    if key.startswith("alert."):
        assert len(t(lang, key, **worst_values(template))) <= ALERT_LIMIT, key
    if key.startswith("button."):
        assert len(t(lang, key, **worst_values(template))) <= 64, key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_composed_captions_worst_case(lang):
    style = "W" * 1000
    text = done_caption(lang, style, 99999.9, requester="R" * 500, user_id=2**52,
                        time_limit_s=99999)
    assert visible_length(text) <= CAPTION_LIMIT and len(text) <= CAPTION_LIMIT
    assert html_problems(text) == []
    assert len(progress_text(lang, 0.999, 10**9)) <= 80


@pytest.mark.parametrize("lang", LANGUAGES)
def test_commands(lang):
    commands = bot_commands(lang)
    assert [c for c, _ in commands] == list(COMMANDS)
    for command, description in commands:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command)
        assert 3 <= len(description) <= COMMAND_DESCRIPTION_LIMIT
    assert set(COMMANDS) == {"start", "style", "styles", "gallery", "status", "cancel", "settings",
                             "help", "privacy", "forget"}


def test_commands_differ_between_languages():
    assert dict(bot_commands("en"))["help"] != dict(bot_commands("es"))["help"]


# --------------------------------------------------------------------------- t()


@pytest.mark.parametrize("code, expected", [
    ("en", "en"), ("en-US", "en"), ("en_GB", "en"), ("es", "es"), ("es-419", "es"),
    ("es-ES", "es"), ("ES_es", "es"), (" es-MX ", "es"), ("pt", "en"), ("pt-br", "en"),
    ("zh-hans", "en"), ("", "en"), (None, "en"), ("e", "en"), ("espanol", "en"),
])
def test_language_for(code, expected):
    assert language_for(code) == expected


def test_fallback_to_english_for_unsupported_language():
    assert t("pt-br", "help.text", max_side=1024, bot_username="LienzoBot") == \
        t("en", "help.text", max_side=1024, bot_username="LienzoBot")
    assert t("es-419", "picker.prompt") == CATALOGUES["es"]["picker.prompt"]


def test_fallback_to_english_for_missing_key(monkeypatch):
    monkeypatch.delitem(CATALOGUES["es"], "picker.prompt")
    assert t("es", "picker.prompt") == EN["picker.prompt"]
    assert texts.missing_keys("es") == ["picker.prompt"]


def test_unknown_key_is_a_bug():
    with pytest.raises(KeyError):
        t("en", "no.such.key")


def test_forgotten_placeholder_does_not_raise(caplog):
    with caplog.at_level(logging.ERROR, logger="lienzo.texts"):
        text = t("en", "error.user_limit")
    assert "(…)" in text
    assert "limit" in caplog.text


def test_values_are_escaped_in_html_texts_only():
    text = t("en", "picker.chosen", style="<b>Tom & Jerry</b>")
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in text
    assert html_problems(text) == []
    assert t("en", "button.page", page="<1>", pages=2) == "<1>/2"
    mention = done_caption("en", "X", 5, requester='"><script>', user_id='1" onclick="x')
    assert html_problems(mention) == [] and "<script>" not in mention
    assert 'onclick="' not in mention


def test_long_values_are_clipped():
    text = t("en", "picker.chosen", style="S" * 5000)
    assert "S" * PLACEHOLDER_LIMITS["style"] not in text
    assert "S" * (PLACEHOLDER_LIMITS["style"] - 1) + "…" in text


@pytest.mark.parametrize("lang, value, expected", [
    ("en", 3, "3"), ("en", 3.0, "3"), ("en", 2.5, "2.5"), ("es", 2.5, "2,5"),
    ("en", 37.44, "37.4"), ("es", 37.44, "37,4"), ("en", 123.6, "124"), ("en", 0.25, "0.25"),
    ("en", math.inf, "…"),
])
def test_numbers(lang, value, expected):
    assert texts.number(value, lang) == expected


def test_plurals():
    assert tn("en", "cancel.count", 1) == "✖️ Cancelled 1 picture."
    assert tn("en", "cancel.count", 3) == "✖️ Cancelled 3 pictures."
    assert tn("es", "cancel.count", 1) == "✖️ 1 foto cancelada."
    assert tn("es", "cancel.count", 2) == "✖️ 2 fotos canceladas."
    assert queued_text("en", 2) == "⏳ Queued — 2 ahead of you."
    assert queued_text("es", 1) == "⏳ En cola: hay 1 foto antes que la tuya."
    assert queued_text("en", 0) == t("en", "queued.first")
    assert "first in line" in queued_text("en", 0)


# --------------------------------------------------------------------------- progress


PROGRESS_RE = {
    "en": re.compile(r"^🎨 Painting… (?P<bar>[▓░]{10}) (?P<pct>\d{1,3})%(?: · (?P<eta>.+))?$"),
    "es": re.compile(r"^🎨 Pintando… (?P<bar>[▓░]{10}) (?P<pct>\d{1,3}) %(?: · (?P<eta>.+))?$"),
}


def test_progress_text_example():
    assert progress_text("en", 0.52, 70) == "🎨 Painting… ▓▓▓▓▓░░░░░ 52% · about 1 min left"
    assert progress_text("es", 0.52, 70) == "🎨 Pintando… ▓▓▓▓▓░░░░░ 52 % · queda 1 min aprox."


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fraction, eta, pct, filled", [
    (0.0, None, 0, 0), (0.05, 300, 5, 0), (0.1, 200, 10, 1), (0.52, 70, 52, 5),
    (0.999, 1, 99, 9), (1.0, 0, 100, 10), (-0.3, 10, 0, 0), (7, 5, 100, 10),
    (float("nan"), None, 0, 0), (None, None, 0, 0), (0.5, float("inf"), 50, 5),
    (0.5, -3, 50, 5),
])
def test_progress_text_shape(lang, fraction, eta, pct, filled):
    text = progress_text(lang, fraction, eta)
    m = PROGRESS_RE[lang].match(text)
    assert m, text
    assert int(m["pct"]) == pct
    assert m["bar"].count("▓") == filled
    has_eta = eta is not None and math.isfinite(eta) and eta >= 0
    assert (m["eta"] is not None) == has_eta
    if has_eta:
        assert m["eta"] == eta_text(lang, eta)


def test_progress_bar():
    assert progress_bar(0.52) == "▓▓▓▓▓░░░░░"
    assert progress_bar(0.99) == "▓▓▓▓▓▓▓▓▓░"
    assert progress_bar(1) == "▓" * 10
    assert progress_bar(0.5, cells=4) == "▓▓░░"


@pytest.mark.parametrize("seconds, en, es", [
    (0, "almost done", "casi listo"),
    (9.9, "almost done", "casi listo"),
    (12, "about 15 s left", "quedan unos 15 s"),
    (30, "about 30 s left", "quedan unos 30 s"),
    (52, "about 55 s left", "quedan unos 55 s"),
    (60, "about 1 min left", "queda 1 min aprox."),
    (89, "about 1 min left", "queda 1 min aprox."),
    (100, "about 2 min left", "quedan unos 2 min"),
    (185, "about 3 min left", "quedan unos 3 min"),
    (3000, "about 50 min left", "quedan unos 50 min"),
    (3600, "about 1 h left", "quedan unas 1 h"),
    (9000, "about 2 h left", "quedan unas 2 h"),
    (None, None, None), (-1, None, None), (float("nan"), None, None),
])
def test_eta_text(seconds, en, es):
    assert eta_text("en", seconds) == en
    assert eta_text("es", seconds) == es


# --------------------------------------------------------------------------- errors


def _engine_error_classes():
    for _, cls in inspect.getmembers(engine.errors, inspect.isclass):
        if issubclass(cls, engine.errors.LienzoError):
            yield cls


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", ENGINE_CODES + BOT_CODES)
def test_every_error_code_has_its_own_text(lang, code, caplog):
    assert f"error.{code}" in EN
    needed = placeholders(EN[f"error.{code}"])
    with caplog.at_level(logging.ERROR, logger="lienzo.texts"):
        text = error_text(lang, code, **{name: "x" for name in needed})
    assert not caplog.records, caplog.text
    if code != "engine_error":
        assert text != t(lang, "error.engine_error")


def test_every_engine_error_class_has_a_text():
    codes = {cls.code for cls in _engine_error_classes()}
    assert set(ENGINE_CODES) <= codes
    for code in codes:
        assert f"error.{code}" in EN, code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_text_from_exceptions(lang):
    unknown = engine.errors.UnknownStyle("strary", ["starry_night"])
    text = error_text(lang, unknown)
    assert "strary" in text and text == t(lang, "error.unknown_style", style="strary")
    hopeless = engine.errors.UnknownStyle("zzz", [])
    assert error_text(lang, hopeless) == t(lang, "error.unknown_style_none", style="zzz")

    assert "(3)" in error_text(lang, UserLimitReached(3))
    assert error_text(lang, engine.errors.OutOfMemory("oom")) == t(lang, "error.out_of_memory")
    assert error_text(lang, RuntimeError("boom")) == t(lang, "error.engine_error")
    assert error_text(lang, "no_such_code") == t(lang, "error.engine_error")
    # A failed job's code alone: no style name to show, still a clear message.
    assert error_text(lang, "unknown_style") == t(lang, "error.style_unavailable")


def test_error_texts_differ_by_language():
    for code in ENGINE_CODES:
        if code != "cancelled":
            assert error_text("en", code, style="x") != error_text("es", code, style="x")


# --------------------------------------------------------------------------- labels


STARRY = Style(id="starry_night", title="The Starry Night", artist="Vincent van Gogh",
               year="1889", source_url="", licence="public domain",
               title_es="La noche estrellada")
SCREAM = Style(id="the_scream", title="The Scream", artist="Edvard Munch", year="1893",
               source_url="", licence="public domain", title_es="El grito")
LOCAL = Style(id="my_cat", title="My cat", artist="", year="", source_url="",
              licence="local file")


def test_style_label():
    assert style_label("en", STARRY) == "The Starry Night — Vincent van Gogh"
    assert style_label("en", LOCAL) == "My cat"
    assert style_label("en", [STARRY, SCREAM]) == "The Starry Night + The Scream"
    assert style_label("es", None) == "tu propio cuadro"
    assert style_label("en", [STARRY, None]) == "The Starry Night + your own painting"


def test_style_label_in_spanish(monkeypatch):
    assert style_label("es", STARRY) == "La noche estrellada — Vincent van Gogh"
    assert style_label("es-419", STARRY) == "La noche estrellada — Vincent van Gogh"
    assert style_label("es", [STARRY, SCREAM]) == "La noche estrellada + El grito"
    assert style_label("es", [SCREAM, None]) == "El grito + tu propio cuadro"
    assert style_label("es", LOCAL) == "My cat"  # no Spanish title: the title
    assert style_label("pt-br", STARRY) == "The Starry Night — Vincent van Gogh"
    assert style_label(None, SCREAM) == "The Scream — Edvard Munch"
    # The catalogue's own entries read the same way.
    monkeypatch.delenv("LIENZO_STYLES_DIR", raising=False)
    catalog = catalogue()
    assert style_label("es", catalog["great_wave"]) == \
        "La gran ola de Kanagawa — Katsushika Hokusai"


def test_style_label_other_objects():
    class Plain:  # no title_in: its title, else its id
        def __init__(self, title="", id=""):
            self.title, self.id, self.artist = title, id, ""

    assert style_label("es", Plain(title="Cuadro")) == "Cuadro"
    assert style_label("es", Plain(id="x_1")) == "x_1"
    assert style_label("en", "starry_night") == "starry_night"
    assert style_label("es", ["a", "b"]) == "a + b"


@pytest.mark.parametrize("lang, option, value, expected", [
    ("en", "strength", "high", "Strong"), ("es", "strength", "high", "Fuerte"),
    ("en", "strength", 3.0, "Strong"), ("en", "strength", 2.5, "×2.5"),
    ("es", "strength", 2.5, "×2,5"), ("en", "colors", "keep", "My photo's"),
    ("es", "color_mode", "style", "Los del cuadro"), ("en", "quality", "best", "Best"),
    ("es", "quality", "fast", "Rápida"), ("en", "size", 768, "768 px"),
    ("en", "language", "es", "Español"), ("es", "language", "en", "English"),
    ("en", "faces", "soft", "Gently painted"), ("es", "faces", "keep", "Tal cual"),
    ("en", "faces", "paint", "Painted like the rest"), ("en", "brush", "large", "Large"),
    ("es", "brush", "small", "Pequeño"), ("en", "faces", "weird", "weird"),
])
def test_value_label(lang, option, value, expected):
    assert value_label(lang, option, value) == expected


def test_settings_text_formats_with_labels():
    lang = "es"
    text = t(lang, "settings.text", strength=value_label(lang, "strength", "medium"),
             colors=value_label(lang, "colors", "keep"), size=value_label(lang, "size", 512),
             quality=value_label(lang, "quality", "balanced"),
             language=value_label(lang, "language", "es"))
    assert "Fuerza: Media" in text and "Idioma: Español" in text and "512 px" in text
    assert "Caras: …" in text  # a forgotten value shows, never raises
    text = t("en", "settings.text", strength="a", colors="b", size="c", quality="d",
             faces=value_label("en", "faces", "keep"), brush=value_label("en", "brush", "small"),
             language="e")
    assert "Faces: Left as they are" in text and "Brush: Small" in text


def test_split_label_names_background_and_person():
    assert style_label("en", [STARRY, SCREAM], split=True) == \
        "The Starry Night, the person in The Scream"
    assert style_label("es", [STARRY, SCREAM], split=True) == \
        "La noche estrellada, la persona en El grito"
    assert style_label("en", [STARRY, SCREAM]) == "The Starry Night + The Scream"  # a blend
    assert style_label("en", [STARRY], split=True) == style_label("en", STARRY)


def test_help_is_two_texts_that_say_faces_brush_and_split():
    for lang, faces, brush in (("en", "faces=", "brush="), ("es", "caras=", "pincel=")):
        first = t(lang, "help.text", max_side=1024)
        assert faces in first and brush in first and "starry_night | the_scream" in first
        assert "/gallery" in t(lang, "help.more", bot_username="LienzoBot")


def test_done_caption():
    assert done_caption("en", "The Scream — Edvard Munch", 12) == \
        "✨ The Scream — Edvard Munch\nPainted in 12 s."
    group = done_caption("es", "The Scream", 12.34, requester="Ana", user_id=42, time_limit_s=300)
    assert '<a href="tg://user?id=42">Ana</a>' in group
    assert "12,3 s" in group and "(300 s)" in group


def test_texts_import_no_keras():
    code = ("import sys, bot.texts, bot.request; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_html_helpers():
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length('<a href="tg://user?id=1">Ana</a>.') == 4
