"""Parsing what the user asked (bot/request/): table-driven valid and invalid requests."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from bot import texts
from bot.request import (
    MAX_STYLES,
    BadBlend,
    BadOption,
    BadSplit,
    BadValue,
    BadWeight,
    EmptyRequest,
    RequestError,
    StyleNotFound,
    StyleRequest,
    TooManyStyles,
    command_target,
    deep_link_payload,
    deep_link_request,
    deep_link_styles,
    normalise,
    parse_option,
    parse_style_request,
    split_command,
    to_params,
)
from engine.catalogue.styles import Style
from engine.errors import LienzoError, UnknownStyle
from engine.params import BRUSHES, STRENGTHS, StyleParams
from tests.support.settings import catalogue

MAX_SIDE = 1024


@pytest.fixture(scope="module")
def catalog():
    """The packaged catalogue plus one local style (no LIENZO_STYLES_DIR involved)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LIENZO_STYLES_DIR", raising=False)
        styles = dict(catalogue())
    styles["mi_gato"] = Style(id="mi_gato", title="Mi gato", artist="", year="", source_url="",
                              licence="local file")
    return styles


def parse(text, catalog, max_side=MAX_SIDE):
    return parse_style_request(text, catalog, max_side)


# --------------------------------------------------------------------------- valid requests

VALID = [
    # text, styles, options
    ("starry_night", (("starry_night", 1.0),), {}),
    ("/style starry_night", (("starry_night", 1.0),), {}),
    ("/style@LienzoBot starry_night", (("starry_night", 1.0),), {}),
    ("/STYLE@lienzobot   STARRY_NIGHT  ", (("starry_night", 1.0),), {}),
    ("/style\nstarry_night", (("starry_night", 1.0),), {}),
    ("Starry Night", (("starry_night", 1.0),), {}),
    ("starry-night", (("starry_night", 1.0),), {}),
    ("The Starry Night", (("starry_night", 1.0),), {}),  # the painting's title
    ("Starry Night Over the Rhône", (("starry_night_rhone", 1.0),), {}),
    ("the great wave off kanagawa", (("great_wave", 1.0),), {}),
    ("mi gato", (("mi_gato", 1.0),), {}),
    ("starry_night+the_scream:0.3", (("starry_night", 1.0), ("the_scream", 0.3)), {}),
    ("starry_night + the_scream : 0.3", (("starry_night", 1.0), ("the_scream", 0.3)), {}),
    ("starry night:2+the scream", (("starry_night", 2.0), ("the_scream", 1.0)), {}),
    ("starry_night:0,5+the_scream", (("starry_night", 0.5), ("the_scream", 1.0)), {}),
    ("starry_night:.5", (("starry_night", 0.5),), {}),
    ("the_scream:30%", (("the_scream", 0.3),), {}),
    ("starry_night+starry_night:0.5", (("starry_night", 1.5),), {}),
    ("+".join(["starry_night", "the_scream", "great_wave", "the_kiss", "metzinger"]),
     tuple((s, 1.0) for s in ["starry_night", "the_scream", "great_wave", "the_kiss",
                              "metzinger"]), {}),
    ("/style starry_night+the_scream:0.3 strength=high colors=keep size=1024",
     (("starry_night", 1.0), ("the_scream", 0.3)),
     {"strength": "high", "colors": "keep", "size": 1024}),
    ("great_wave strength=low", (("great_wave", 1.0),), {"strength": "low"}),
    ("great_wave strength=MEDIUM", (("great_wave", 1.0),), {"strength": "medium"}),
    ("great_wave strength=max", (("great_wave", 1.0),), {"strength": "max"}),
    ("great_wave strength=2.5", (("great_wave", 1.0),), {"strength": 2.5}),
    ("great_wave strength=x2", (("great_wave", 1.0),), {"strength": 2.0}),
    ("great_wave strength = high", (("great_wave", 1.0),), {"strength": "high"}),
    ("great_wave strength:high", (("great_wave", 1.0),), {"strength": "high"}),
    ("great_wave fuerza=alta", (("great_wave", 1.0),), {"strength": "high"}),
    ("great_wave Fuerza=Máxima", (("great_wave", 1.0),), {"strength": "max"}),
    ("great_wave intensidad=suave", (("great_wave", 1.0),), {"strength": "low"}),
    ("great_wave colors=style", (("great_wave", 1.0),), {"colors": "style"}),
    ("great_wave colours=keep", (("great_wave", 1.0),), {"colors": "keep"}),
    ("great_wave colors=match", (("great_wave", 1.0),), {"colors": "match"}),
    ("great_wave colores=mantener", (("great_wave", 1.0),), {"colors": "keep"}),
    ("great_wave colores=estilo", (("great_wave", 1.0),), {"colors": "style"}),
    ("great_wave color=igualar", (("great_wave", 1.0),), {"colors": "match"}),
    ("great_wave size=512", (("great_wave", 1.0),), {"size": 512}),
    ("great_wave size=512px", (("great_wave", 1.0),), {"size": 512}),
    ("great_wave tamaño=256", (("great_wave", 1.0),), {"size": 256}),
    ("great_wave tamano=256", (("great_wave", 1.0),), {"size": 256}),
    ("great_wave size=max", (("great_wave", 1.0),), {"size": MAX_SIDE}),
    ("great_wave size=32", (("great_wave", 1.0),), {"size": 32}),
    ("great_wave quality=fast", (("great_wave", 1.0),), {"quality": "fast"}),
    ("great_wave quality=Balanced", (("great_wave", 1.0),), {"quality": "balanced"}),
    ("great_wave quality=best", (("great_wave", 1.0),), {"quality": "best"}),
    ("great_wave calidad=rápida", (("great_wave", 1.0),), {"quality": "fast"}),
    ("great_wave calidad=normal", (("great_wave", 1.0),), {"quality": "balanced"}),
    ("great_wave calidad=mejor", (("great_wave", 1.0),), {"quality": "best"}),
    ("great_wave seed=42", (("great_wave", 1.0),), {"seed": 42}),
    ("great_wave semilla=0", (("great_wave", 1.0),), {"seed": 0}),
    ("great_wave strength=low strength=high", (("great_wave", 1.0),), {"strength": "high"}),
    ("size=512 great_wave colors=keep", (("great_wave", 1.0),), {"colors": "keep", "size": 512}),
    ("strength=high", (), {"strength": "high"}),  # options only: own painting or gallery
    ("/style colors=keep", (), {"colors": "keep"}),
    # faces and brush (issue 12), English and Spanish names and values
    ("/style starry_night faces=keep brush=large", (("starry_night", 1.0),),
     {"faces": "keep", "brush": "large"}),
    ("starry_night faces=soft", (("starry_night", 1.0),), {"faces": "soft"}),
    ("starry_night faces=paint", (("starry_night", 1.0),), {"faces": "paint"}),
    ("starry_night face=Keep", (("starry_night", 1.0),), {"faces": "keep"}),
    ("starry_night protect=yes", (("starry_night", 1.0),), {"faces": "keep"}),
    ("starry_night protect=no", (("starry_night", 1.0),), {"faces": "paint"}),
    ("starry_night faces:gentle", (("starry_night", 1.0),), {"faces": "soft"}),
    ("starry_night caras=conservar", (("starry_night", 1.0),), {"faces": "keep"}),
    ("starry_night caras = suave", (("starry_night", 1.0),), {"faces": "soft"}),
    ("starry_night rostros=pintar", (("starry_night", 1.0),), {"faces": "paint"}),
    ("starry_night brush=small", (("starry_night", 1.0),), {"brush": "small"}),
    ("starry_night brush=MEDIUM", (("starry_night", 1.0),), {"brush": "medium"}),
    ("starry_night brush=fine", (("starry_night", 1.0),), {"brush": "small"}),
    ("starry_night strokes=thin", (("starry_night", 1.0),), {"brush": "small"}),
    ("starry_night brush=big", (("starry_night", 1.0),), {"brush": "large"}),
    ("starry_night stroke=broad", (("starry_night", 1.0),), {"brush": "large"}),
    ("starry_night pincel=pequeño", (("starry_night", 1.0),), {"brush": "small"}),
    ("starry_night Pincel=Mediano", (("starry_night", 1.0),), {"brush": "medium"}),
    ("starry_night pincel=grande", (("starry_night", 1.0),), {"brush": "large"}),
    ("/style starry night caras=conservar pincel=grande fuerza=alta",
     (("starry_night", 1.0),), {"strength": "high", "faces": "keep", "brush": "large"}),
    ("brush=large", (), {"brush": "large"}),  # options only, like strength= alone
]


@pytest.mark.parametrize("text, styles, options", VALID)
def test_valid(catalog, text, styles, options):
    request = parse(text, catalog)
    assert request.styles == styles
    assert request.options == options
    assert not request.size_capped and request.requested_size is None
    assert request.split == "none" and "split" not in request.overrides
    reparsed = parse(request.text(), catalog)  # the canonical text round-trips
    assert reparsed == request
    assert hash(reparsed) == hash(request)


def test_overrides_are_style_params_fields(catalog):
    request = parse("starry_night strength=high colors=keep size=768 quality=best seed=7",
                    catalog)
    assert request.overrides == {"strength": STRENGTHS["high"], "color_mode": "keep",
                                 "size": 768, "quality": "best", "seed": 7}
    StyleParams().replace(**request.overrides)  # all valid
    assert request.text() == \
        "starry_night strength=high colors=keep size=768 quality=best seed=7"
    assert parse("starry_night strength=2.5", catalog).overrides == {"strength": 2.5}
    assert request.style_ids == ("starry_night",)


@pytest.mark.parametrize("brush", list(BRUSHES))
@pytest.mark.parametrize("faces", ["soft", "keep", "paint"])
def test_faces_and_brush_become_style_params(catalog, faces, brush):
    request = parse(f"starry_night faces={faces} brush={brush}", catalog)
    assert request.overrides == {"faces": faces, "style_scale": BRUSHES[brush]}
    params = StyleParams().replace(**request.overrides)  # valid StyleParams fields
    assert (params.faces, params.style_scale) == (faces, BRUSHES[brush])
    assert request.text() == f"starry_night faces={faces} brush={brush}"


# --------------------------------------------------------------------------- invalid requests

INVALID = [
    # text, exception, code, data (subset)
    ("", EmptyRequest, "empty_request", {}),
    ("   ", EmptyRequest, "empty_request", {}),
    ("/style", EmptyRequest, "empty_request", {}),
    ("/style@LienzoBot", EmptyRequest, "empty_request", {}),
    (None, EmptyRequest, "empty_request", {}),
    ("starry", StyleNotFound, "unknown_style", {"style": "starry"}),
    ("mona_lisa", StyleNotFound, "unknown_style", {"style": "mona_lisa"}),
    ("starry_night+nope", StyleNotFound, "unknown_style", {"style": "nope"}),
    ("!!!", StyleNotFound, "unknown_style", {"style": "!!!"}),
    ("great_wave brightness=high", BadOption, "bad_option", {"option": "brightness"}),
    ("great_wave =high", BadOption, "bad_option", {"option": "="}),
    ("great_wave fuerza = ", BadValue, "bad_value", {"value": ""}),
    ("great_wave strength=huge", BadValue, "bad_value", {"value": "huge"}),
    ("great_wave strength=0", BadValue, "bad_value", {"value": "0"}),
    ("great_wave strength=-1", BadValue, "bad_value", {"value": "-1"}),
    ("great_wave strength=1000", BadValue, "bad_value", {"value": "1000"}),
    ("great_wave strength=nan", BadValue, "bad_value", {"value": "nan"}),
    ("great_wave strength=", BadValue, "bad_value", {"value": ""}),
    ("great_wave colors=purple", BadValue, "bad_value", {"value": "purple"}),
    ("great_wave size=big", BadValue, "bad_value", {"value": "big", "min": 32, "max": 1024}),
    ("great_wave size=10", BadValue, "bad_value", {"value": "10"}),
    ("great_wave size=-512", BadValue, "bad_value", {"value": "-512"}),
    ("great_wave size=51.2", BadValue, "bad_value", {"value": "51.2"}),
    ("great_wave quality=ultra", BadValue, "bad_value", {"value": "ultra"}),
    ("great_wave seed=abc", BadValue, "bad_value", {"value": "abc"}),
    ("great_wave seed=-1", BadValue, "bad_value", {"value": "-1"}),
    ("great_wave seed=99999999999", BadValue, "bad_value", {"value": "99999999999"}),
    ("a+b+c+d+e+f", TooManyStyles, "too_many_styles", {"max": MAX_STYLES}),
    ("starry_night:0", BadWeight, "bad_weight", {"style": "starry_night", "value": "0"}),
    ("starry_night:-1", BadWeight, "bad_weight", {"value": "-1"}),
    ("starry_night:lots", BadWeight, "bad_weight", {"value": "lots"}),
    ("starry_night:", BadWeight, "bad_weight", {"value": ""}),
    ("starry_night:1000", BadWeight, "bad_weight", {"value": "1000"}),
    ("starry_night:0.001", BadWeight, "bad_weight", {"value": "0.001"}),
    ("starry_night++the_scream", BadBlend, "bad_blend", {}),
    ("+starry_night", BadBlend, "bad_blend", {}),
    ("starry_night+", BadBlend, "bad_blend", {}),
    (":0.3", BadBlend, "bad_blend", {}),
    ("starry_night faces=hidden", BadValue, "bad_value", {"value": "hidden"}),
    ("starry_night caras=", BadValue, "bad_value", {"value": ""}),
    ("starry_night brush=huge", BadValue, "bad_value", {"value": "huge"}),
    ("starry_night pincel=1.5", BadValue, "bad_value", {"value": "1.5"}),
    # a split: exactly one style on each side of the bar, two different ones
    ("starry_night |", BadSplit, "bad_split", {}),
    ("| the_scream", BadSplit, "bad_split", {}),
    ("starry_night || the_scream", BadSplit, "bad_split", {}),
    ("/style | faces=keep", BadSplit, "bad_split", {}),
    ("starry_night | the_scream | great_wave", BadSplit, "bad_split", {}),
    ("starry_night+great_wave | the_scream", BadSplit, "bad_split", {}),
    ("starry_night | the_scream+great_wave:0.3", BadSplit, "bad_split", {}),
    ("starry_night | Starry Night", BadSplit, "bad_split", {}),
    ("starry_night | nope", StyleNotFound, "unknown_style", {"style": "nope"}),
    ("starry_night:0 | the_scream", BadWeight, "bad_weight", {"value": "0"}),
]


@pytest.mark.parametrize("text, exc, code, data", INVALID)
def test_invalid(catalog, text, exc, code, data):
    with pytest.raises(exc) as info:
        parse(text, catalog)
    error = info.value
    assert isinstance(error, RequestError) and isinstance(error, LienzoError)
    assert error.code == code
    assert data.items() <= error.values.items()
    assert error.key in texts.CATALOGUES["en"]
    assert str(error)  # a sentence for the logs


@pytest.mark.parametrize("lang", texts.LANGUAGES)
@pytest.mark.parametrize("text, exc, code, data", INVALID)
def test_every_parse_error_has_a_message(catalog, lang, text, exc, code, data, caplog):
    with pytest.raises(RequestError) as info:
        parse(text, catalog)
    with caplog.at_level(logging.ERROR, logger="lienzo.texts"):
        message = texts.error_text(lang, info.value)
    assert not caplog.records, caplog.text  # every placeholder filled
    assert message != texts.t(lang, "error.engine_error")


def test_bad_value_says_what_is_allowed(catalog):
    with pytest.raises(BadValue) as info:
        parse("great_wave strength=huge", catalog)
    assert info.value.option == "strength"
    assert set(STRENGTHS) <= set(info.value.allowed)
    assert info.value.key == "error.bad_value.strength"
    message = texts.error_text("en", info.value)
    assert "huge" in message and "high" in message
    with pytest.raises(BadValue) as info:
        parse("great_wave colores=morado", catalog)
    assert info.value.option == "colors" and info.value.allowed == ("keep", "style", "match")
    assert "morado" in texts.error_text("es", info.value)
    with pytest.raises(BadValue) as info:
        parse("great_wave size=5", catalog, max_side=384)
    assert "32" in texts.error_text("en", info.value) and "384" in texts.error_text(
        "en", info.value)


@pytest.mark.parametrize("text, reason, key", [
    ("starry_night |", "empty", "error.bad_split"),
    ("starry_night | the_scream | great_wave", "parts", "error.bad_split.parts"),
    ("starry_night+great_wave | the_scream", "blend", "error.bad_split.blend"),
    ("the_scream|the scream", "same", "error.bad_split.same"),
])
def test_each_bad_split_says_what_to_change(catalog, text, reason, key):
    with pytest.raises(BadSplit) as info:
        parse(text, catalog)
    assert (info.value.reason, info.value.key) == (reason, key)
    english, spanish = texts.error_text("en", info.value), texts.error_text("es", info.value)
    assert english != spanish
    assert "|" in english or reason == "same"  # how to write it, except "write it once"
    assert {texts.error_text("en", BadSplit(r)) for r in BadSplit.REASONS} == \
        {texts.t("en", k) for k in texts.CATALOGUES["en"] if k.startswith("error.bad_split")}


def test_bad_faces_and_brush_values_say_what_is_allowed(catalog):
    with pytest.raises(BadValue) as info:
        parse("starry_night faces=hidden", catalog)
    assert info.value.allowed == ("soft", "keep", "paint")
    assert info.value.key == "error.bad_value.faces"
    assert "hidden" in texts.error_text("en", info.value)
    with pytest.raises(BadValue) as info:
        parse("starry_night pincel=enorme", catalog)
    assert info.value.allowed == tuple(BRUSHES) and info.value.key == "error.bad_value.brush"
    message = texts.error_text("es", info.value)
    assert "enorme" in message and "pequeño" in message and "grande" in message


def test_bad_option_lists_faces_and_brush(catalog):
    with pytest.raises(BadOption) as info:
        parse("starry_night brillo=alto", catalog)
    assert {"faces", "brush"} <= set(info.value.allowed)
    assert "caras=" in texts.error_text("es", info.value)
    assert "brush=" in texts.error_text("en", info.value)


# --------------------------------------------------------------------------- two styles, split

SPLITS = [
    # text, styles (background, person), options
    ("starry_night | the_scream", (("starry_night", 1.0), ("the_scream", 1.0)), {}),
    ("/style starry_night|the_scream", (("starry_night", 1.0), ("the_scream", 1.0)), {}),
    ("/style@LienzoBot  Starry Night  |  The Scream ",
     (("starry_night", 1.0), ("the_scream", 1.0)), {}),
    ("the_scream | starry_night", (("the_scream", 1.0), ("starry_night", 1.0)), {}),
    ("starry_night:0.5 | the_scream", (("starry_night", 0.5), ("the_scream", 1.0)), {}),
    ("starry_night|the_scream faces=keep brush=large",
     (("starry_night", 1.0), ("the_scream", 1.0)), {"faces": "keep", "brush": "large"}),
    ("caras=suave starry night | the scream pincel=pequeño",
     (("starry_night", 1.0), ("the_scream", 1.0)), {"faces": "soft", "brush": "small"}),
    ("starry_night|faces=paint the_scream", (("starry_night", 1.0), ("the_scream", 1.0)),
     {"faces": "paint"}),
]


@pytest.mark.parametrize("text, styles, options", SPLITS)
def test_split(catalog, text, styles, options):
    request = parse(text, catalog)
    assert request.split == "person" and request.overrides["split"] == "person"
    assert request.styles == styles and request.options == options
    assert StyleParams().replace(**request.overrides).split == "person"
    assert " | " in request.text()
    reparsed = parse(request.text(), catalog)  # the canonical text round-trips, split and all
    assert reparsed == request and hash(reparsed) == hash(request)
    assert parse("+".join(request.style_ids), catalog) != request  # a blend is not a split


def test_split_text_is_canonical(catalog):
    request = parse("/style Starry Night|The Scream:0.50 brush=big caras=conservar", catalog)
    assert request.text() == "starry_night | the_scream:0.5 faces=keep brush=large"


def test_bad_option_names_it(catalog):
    with pytest.raises(BadOption) as info:
        parse("great_wave brillo=alto", catalog)
    assert info.value.option == "brillo"
    assert "brillo" in texts.error_text("es", info.value)
    assert "strength" in info.value.allowed


def test_suggestions_for_starry(catalog):
    with pytest.raises(StyleNotFound) as info:
        parse("/style starry", catalog)
    error = info.value
    assert isinstance(error, UnknownStyle)  # handlers catching the engine's error get it too
    assert error.style_id == "starry"
    assert error.suggestions[0] == "starry_night"
    assert "starry_night_rhone" in error.suggestions
    assert error.key == "error.unknown_style"
    assert "starry" in texts.error_text("en", error)


def test_suggestions_for_typos_and_titles(catalog):
    with pytest.raises(StyleNotFound) as info:
        parse("stary_nigth", catalog)
    assert "starry_night" in info.value.suggestions
    with pytest.raises(StyleNotFound) as info:
        parse("kanagawa", catalog)
    assert info.value.suggestions == ["great_wave"]
    with pytest.raises(StyleNotFound) as info:
        parse("qqqqqqqq", catalog)
    assert info.value.suggestions == []
    assert info.value.key == "error.unknown_style_none"


def test_long_unknown_name_is_shortened(catalog):
    with pytest.raises(StyleNotFound) as info:
        parse("x" * 500, catalog)
    assert len(info.value.values["style"]) <= 64


def test_too_many_styles_before_lookup(catalog):
    with pytest.raises(TooManyStyles) as info:
        parse("+".join(["starry_night"] * (MAX_STYLES + 1)), catalog)
    assert info.value.values == {"max": MAX_STYLES}


# --------------------------------------------------------------------------- size cap


@pytest.mark.parametrize("text, max_side, size, capped, requested", [
    ("great_wave size=2048", 1024, 1024, True, 2048),
    ("great_wave size=1024", 1024, 1024, False, None),
    ("great_wave size=1025", 1024, 1024, True, 1025),
    ("great_wave size=512", 384, 384, True, 512),
    ("great_wave size=9999999", None, 8192, True, 9999999),
    ("great_wave size=max", 384, 384, False, None),
])
def test_size_is_capped_and_flagged(catalog, text, max_side, size, capped, requested):
    request = parse(text, catalog, max_side=max_side)
    assert request.options["size"] == size == request.overrides["size"]
    assert request.size_capped is capped
    assert request.requested_size == requested
    if capped:
        note = texts.t("en", "note.size_capped", max_side=max_side or 8192, requested=requested)
        assert str(requested) in note


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize("text, bot, expected", [
    ("/style starry_night", "LienzoBot", True),
    ("/style@LienzoBot starry_night", "LienzoBot", True),
    ("/style@lienzobot starry_night", "LienzoBot", True),
    ("/style@LienzoBot starry_night", "@LienzoBot", True),
    ("/style@LienzoBot", "LienzoBot", True),
    ("  /style@LienzoBot\ngreat_wave", "LienzoBot", True),
    ("/style@OtherBot starry_night", "LienzoBot", False),
    ("/style@OtherBot", "LienzoBot", False),
    ("/style@LienzoBotX starry_night", "LienzoBot", False),
    ("/style@LienzoBot starry_night", None, False),
    ("starry_night", "LienzoBot", False),
    ("", "LienzoBot", False),
    (None, "LienzoBot", False),
    ("/", "LienzoBot", False),
    ("hello /style@LienzoBot", "LienzoBot", False),
])
def test_command_target(text, bot, expected):
    assert command_target(text, bot) is expected


@pytest.mark.parametrize("text, expected", [
    ("/style@LienzoBot  a b ", ("style", "LienzoBot", "a b")),
    ("/Styles", ("styles", None, "")),
    ("/start style_great_wave", ("start", None, "style_great_wave")),
    ("/style\tx", ("style", None, "x")),
    ("/style-x", None),
    ("style", None),
    (None, None),
])
def test_split_command(text, expected):
    assert split_command(text) == expected


def test_command_for_other_bot_still_parses_but_is_not_ours(catalog):
    """The bot checks command_target first; parsing itself ignores the target."""
    text = "/style@OtherBot great_wave"
    assert not command_target(text, "LienzoBot")
    assert parse(text, catalog).styles == (("great_wave", 1.0),)


def test_deep_links_for_a_split(catalog):
    payload = deep_link_payload(["starry_night", "the_scream"], split=True)
    assert payload == "s_starry_night--the_scream"
    assert deep_link_request(payload, catalog) == "starry_night | the_scream"
    assert parse(deep_link_request(payload, catalog), catalog).split == "person"
    assert deep_link_styles(payload, catalog) == ["starry_night", "the_scream"]
    assert deep_link_request("s_starry_night-the_scream", catalog) == "starry_night+the_scream"
    assert deep_link_request("s_great_wave", catalog) == "great_wave"
    for bad in ("s_great_wave--nope", "s_a--b--c", "s_great_wave--great_wave", "s_--great_wave"):
        assert deep_link_request(bad, catalog) is None, bad
    long_ids = sorted(catalog, key=len, reverse=True)[:2]
    if len("s_" + "--".join(long_ids)) > 64:  # too long for Telegram: the background alone
        assert deep_link_payload(long_ids, split=True) == "s_" + long_ids[0]


def test_deep_links(catalog):
    assert deep_link_payload(["great_wave"]) == "s_great_wave"
    assert deep_link_payload(["starry_night", "the_scream"]) == "s_starry_night-the_scream"
    assert deep_link_styles("s_great_wave", catalog) == ["great_wave"]
    assert deep_link_styles("s_starry_night-the_scream", catalog) == ["starry_night",
                                                                    "the_scream"]
    assert deep_link_styles("style_great_wave", catalog) == ["great_wave"]  # older links
    assert deep_link_styles("s_great_wave-nope", catalog) == []
    assert deep_link_styles("style_nope", catalog) == []
    assert deep_link_styles("other", catalog) == []
    assert deep_link_styles(None, catalog) == []
    every = sorted(catalog, key=len, reverse=True)
    assert len(deep_link_payload(every)) <= 64  # Telegram's payload limit: what fits
    assert deep_link_styles(deep_link_payload(every), catalog) == \
        every[:len(deep_link_payload(every).split("-"))]


def test_normalise():
    assert normalise("Starry Night Over the Rhône") == "starry_night_over_the_rhone"
    assert normalise("  --Great   Wave!! ") == "great_wave"
    assert normalise("Tamaño") == "tamano"


# --------------------------------------------------------------------------- to_params


def test_to_params_merges_base_settings_request(catalog):
    base = StyleParams(quality="fast", time_budget_s=300.0)
    settings = {"strength": "high", "color_mode": "keep", "size": 768, "quality": None,
                "language": "es"}
    params = to_params(parse("starry_night strength=low", catalog), settings, 1024, base=base)
    assert params.strength == STRENGTHS["low"]  # the request beats the settings
    assert params.color_mode == "keep"  # from the settings
    assert params.size == 768
    assert params.quality == "fast"  # None in settings: the deployment's default
    assert params.time_budget_s == 300.0


def test_to_params_accepts_a_settings_object(catalog):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class UserSettings:  # the shape of bot.stores.user_settings.UserSettings
        language: str | None = None
        strength: str = "medium"
        color_mode: str = "style"
        quality: str | None = None
        size: int | None = None
        faces: str | None = None
        brush: str | None = None

    params = to_params(parse("great_wave", catalog), UserSettings(strength="max", size=2000),
                       max_side=1024)
    assert params.strength == STRENGTHS["max"] and params.size == 1024
    assert params.color_mode == "style"
    assert (params.faces, params.style_scale) == (StyleParams().faces, StyleParams().style_scale)
    params = to_params(parse("great_wave", catalog), UserSettings(faces="keep", brush="small"))
    assert (params.faces, params.style_scale) == ("keep", BRUSHES["small"])


def test_to_params_applies_faces_and_brush_settings(catalog):
    settings = {"faces": "keep", "brush": "large", "language": "es"}
    params = to_params(parse("great_wave", catalog), settings, 1024)
    assert (params.faces, params.style_scale, params.split) == ("keep", BRUSHES["large"], "none")
    params = to_params(parse("great_wave faces=paint pincel=pequeño", catalog), settings, 1024)
    assert (params.faces, params.style_scale) == ("paint", BRUSHES["small"])  # request wins
    unset = to_params(parse("great_wave", catalog), {"faces": None, "brush": None}, 1024)
    assert (unset.faces, unset.style_scale) == (StyleParams().faces, StyleParams().style_scale)
    split = to_params(parse("great_wave | the_scream", catalog), settings, 1024)
    assert split.split == "person" and split.faces == "keep"


def test_to_params_caps_size_always(catalog):
    assert to_params(parse("great_wave size=4000", catalog, None), {}, 384).size == 384
    assert to_params(parse("great_wave", catalog), {"size": 5000}, 384).size == 384
    assert to_params(parse("great_wave", catalog), None, 384).size == 384  # default 512 > cap
    assert to_params(parse("great_wave", catalog), None, 1024).size == StyleParams().size
    assert to_params(None, None, None).size == StyleParams().size


def test_to_params_skips_bad_stored_settings(catalog, caplog):
    with caplog.at_level(logging.WARNING, logger="lienzo.request"):
        params = to_params(parse("great_wave colors=match", catalog),
                           {"quality": "ultra", "strength": 3.5, "seed": 9}, 1024)
    assert params.quality == StyleParams().quality and "ultra" in caplog.text
    assert params.strength == 3.5 and params.seed == 9 and params.color_mode == "match"


def test_parse_option_direct():
    assert parse_option("Colours", "Keep") == ("colors", "keep", None)
    assert parse_option("size", 2048, 1024) == ("size", 1024, 2048)
    assert parse_option("strength", 2) == ("strength", 2.0, None)
    with pytest.raises(BadOption):
        parse_option("nope", "x")
    with pytest.raises(BadValue):
        parse_option("seed", True)


def test_request_is_a_value(catalog):
    a = parse("starry_night+the_scream:0.3 strength=high", catalog)
    b = parse("/style Starry Night + The Scream:0.30 fuerza=alta", catalog)
    assert a == b and hash(a) == hash(b)
    wave = dataclasses.replace(a, styles=(("great_wave", 1.0),))
    assert wave.text() == "great_wave strength=high"
    assert isinstance(a, StyleRequest)
