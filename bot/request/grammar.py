"""Parsing a request (the grammar in ``bot.request``'s docstring): pure functions, no
Telegram, no keras."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.request.errors import (
    BadBlend,
    BadOption,
    BadSplit,
    BadValue,
    BadWeight,
    EmptyRequest,
    RequestError,
    TooManyStyles,
)
from bot.request.links import resolve_style, split_command
from bot.request.vocabulary import (
    MAX_SEED,
    MAX_STRENGTH,
    MAX_WEIGHT,
    MIN_STRENGTH,
    MIN_WEIGHT,
    OPTION_ALIASES,
    OPTIONS,
    VALUE_ALIASES,
)
from engine.catalogue.styles import normalise
from engine.params import (
    BRUSHES,
    FACES,
    MAX_SIZE,
    MAX_STYLES,
    MIN_SIZE,
    QUALITY_NAMES,
    STRENGTHS,
    StyleParams,
)

log = logging.getLogger("lienzo.request")

_OPTION_SPACES_RE = re.compile(r"([^\W\d]\w*)\s*=\s*")
_WORD_OPTION_RE = re.compile(r"^([^\W\d][\w]*)[=:](.*)$", re.UNICODE)


# --------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class StyleRequest:
    """A parsed, validated request.

    ``styles``: ((id, weight), …) in the order given; empty when only options were
    given (the bot then uses the user's own painting, or shows the style picker).
    ``options``: canonical name → canonical value (``{"strength": "high",
    "colors": "keep", "size": 1024}``; a numeric strength is a float).
    ``overrides``: the same as ``StyleParams`` fields (``{"strength": 3.0,
    "color_mode": "keep", "size": 1024}``).  ``size_capped``: the user asked for
    ``requested_size`` > ``max_side``, and ``options["size"]`` is ``max_side``.
    ``split``: ``"person"`` for ``a | b`` (exactly two styles: ``a`` paints the
    background, ``b`` the person; ``overrides["split"]`` says it too), else
    ``"none"`` (the styles are blended).
    """

    styles: tuple[tuple[str, float], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    size_capped: bool = False
    requested_size: int | None = None
    split: str = "none"

    def __hash__(self) -> int:
        return hash(self.text())

    @property
    def style_ids(self) -> tuple[str, ...]:
        return tuple(s for s, _ in self.styles)

    def text(self) -> str:
        """Canonical form, e.g. ``starry_night+the_scream:0.3 strength=high`` or
        ``starry_night | the_scream brush=large``; parses back equal."""
        sep = " | " if self.split == "person" else "+"
        blend = sep.join(s if w == 1 else f"{s}:{_num(w)}" for s, w in self.styles)
        opts = [f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in self.options.items()]
        return " ".join([blend, *opts] if blend else opts)


def _num(value: float) -> str:
    """2.0 → '2', 0.3 → '0.3' (never an exponent, so it parses back)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- helpers


def _number(text: str) -> float | None:
    """'0.3', '0,3', '.3', '30%' → float; None if not a finite number."""
    t = text.strip().replace(",", ".")
    percent = t.endswith("%")
    if percent:
        t = t[:-1].strip()
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", t):
        return None
    value = float(t)
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def _size_hint(max_side: int | None) -> tuple[str, ...]:
    return (f"{MIN_SIZE}-{max_side or MAX_SIZE}",)


def parse_option(name: str, value: Any, max_side: int | None = None) -> tuple[str, Any, int | None]:
    """Validate one option → (canonical name, canonical value, requested size if capped).

    ``name`` may be any alias (``fuerza``, ``colours``, ``color_mode``…); ``value``
    text or a number.  Raises BadOption / BadValue.
    """
    option = OPTION_ALIASES.get(normalise(str(name)))
    if option is None:
        raise BadOption(str(name)[:32])
    shown = str(value).strip()[:32]
    text = normalise(str(value)) if isinstance(value, str) else None

    if option in VALUE_ALIASES and text in VALUE_ALIASES[option]:
        return option, VALUE_ALIASES[option][text], None

    if option == "strength":
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
            else _number(str(value).lstrip("x×*"))
        if number is None or not MIN_STRENGTH <= number <= MAX_STRENGTH:
            raise BadValue(option, shown, (*STRENGTHS, f"{MIN_STRENGTH:g}-{MAX_STRENGTH:g}"))
        return option, number, None

    if option == "size":
        cap = min(max_side or MAX_SIZE, MAX_SIZE)
        hint = {"min": MIN_SIZE, "max": cap}
        if text in ("max", "maximum", "maximo", "maxima", "full", "completo", "completa"):
            return option, cap, None
        if isinstance(value, int) and not isinstance(value, bool):
            digits = str(value)
        else:
            digits = re.sub(r"\s*(px|pixels?|pixeles|pixel)$", "", str(value).strip().lower())
        if not re.fullmatch(r"\d{1,7}", digits):
            raise BadValue(option, shown, _size_hint(cap), **hint)
        size = int(digits)
        if size < MIN_SIZE:
            raise BadValue(option, shown, _size_hint(cap), **hint)
        if size > cap:
            return option, cap, size
        return option, size, None

    if option == "seed":
        digits = str(value).strip()
        if isinstance(value, bool) or not re.fullmatch(r"\d{1,10}", digits) \
                or int(digits) > MAX_SEED:
            raise BadValue(option, shown, (f"0-{MAX_SEED}",))
        return option, int(digits), None

    allowed = {"colors": ("keep", "style", "match"), "quality": QUALITY_NAMES,
               "faces": FACES, "brush": tuple(BRUSHES)}[option]
    raise BadValue(option, shown, allowed)


def _override(option: str, value: Any) -> tuple[str, Any]:
    """Canonical option → (StyleParams field, value)."""
    if option == "strength":
        return "strength", STRENGTHS[value] if isinstance(value, str) else float(value)
    if option == "colors":
        return "color_mode", value
    if option == "brush":  # a brush size is the scale the style is measured at
        return "style_scale", BRUSHES[value]
    return option, value


# --------------------------------------------------------------------------- parsing


def parse_style_request(text: str | None, catalog: Mapping[str, Any],
                        max_side: int | None = None) -> StyleRequest:
    """Parse what follows ``/style`` (or a whole caption; a leading ``/command[@bot]``
    is stripped — whether it is addressed to us is ``command_target``'s job).

    ``max_side`` (LIENZO_MAX_SIDE): a larger ``size=`` is capped and flagged.
    Raises EmptyRequest, StyleNotFound, BadOption, BadValue, TooManyStyles,
    BadWeight, BadBlend or BadSplit.
    """
    body = (text or "").strip()
    parts = split_command(body)
    if parts is not None:
        body = parts[2]
    if not body:
        raise EmptyRequest()
    body = body.replace("|", " | ")  # "a|b" and "a|faces=keep": the bar is a word of its own

    # "strength = high" → "strength=high" (only for option names: "great_wave =x" stays apart)
    body = _OPTION_SPACES_RE.sub(
        lambda m: m.group(1) + "=" if normalise(m.group(1)) in OPTION_ALIASES else m.group(0),
        body)
    options: dict[str, Any] = {}
    requested_size: int | None = None
    style_words: list[str] = []
    for word in body.split():
        m = _WORD_OPTION_RE.match(word)
        is_option = "=" in word or (m is not None and normalise(m.group(1)) in OPTION_ALIASES)
        if not is_option:
            style_words.append(word)
            continue
        name, _, value = word.partition("=") if "=" in word else word.partition(":")
        if not normalise(name):
            raise BadOption(name or "=")
        option, canonical, capped_from = parse_option(name, value, max_side)
        options[option] = canonical  # a repeated option: the last one wins
        if option == "size":
            requested_size = capped_from

    expr = " ".join(style_words)
    split = "person" if "|" in expr else "none"
    styles = _parse_split(expr, catalog) if split != "none" else _parse_blend(expr, catalog)
    if not styles and not options:
        raise EmptyRequest()
    ordered = {k: options[k] for k in OPTIONS if k in options}
    overrides = dict(_override(k, v) for k, v in ordered.items())
    if split != "none":
        overrides["split"] = split
    return StyleRequest(styles=styles, options=ordered, overrides=overrides,
                        size_capped=requested_size is not None, requested_size=requested_size,
                        split=split)


def _parse_split(expr: str, catalog: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    """``background | person``: exactly one style on each side (a weight allowed, as for
    one style alone), two different ones; else BadSplit saying which rule broke."""
    sides = [side.strip() for side in expr.split("|")]
    if any(not side for side in sides):
        raise BadSplit("empty")
    if len(sides) != 2:
        raise BadSplit("parts")
    if any("+" in side for side in sides):
        raise BadSplit("blend")
    (background,), (person,) = (_parse_blend(side, catalog) for side in sides)
    if background[0] == person[0]:
        raise BadSplit("same")
    return background, person


def _parse_blend(expr: str, catalog: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    expr = expr.strip()
    if not expr:
        return ()
    pieces = [p.strip() for p in expr.split("+")]
    if any(not p for p in pieces):
        raise BadBlend(expr)
    if len(pieces) > MAX_STYLES:
        raise TooManyStyles(len(pieces))
    weights: dict[str, float] = {}
    for piece in pieces:
        name, weight = piece, 1.0
        if ":" in piece:
            name, _, raw = piece.rpartition(":")
            name = name.strip()
            if not name:
                raise BadBlend(expr)
            number = _number(raw)
            if number is None or not MIN_WEIGHT <= number <= MAX_WEIGHT:
                raise BadWeight(name[:64], raw.strip()[:32])
            weight = number
        style_id = resolve_style(name, catalog)
        weights[style_id] = min(MAX_WEIGHT, weights.get(style_id, 0.0) + weight)
    return tuple(weights.items())


# --------------------------------------------------------------------------- to StyleParams


def _defaults_items(user_defaults: Any) -> list[tuple[str, Any]]:
    if user_defaults is None:
        return []
    if isinstance(user_defaults, Mapping):
        return list(user_defaults.items())
    if dataclasses.is_dataclass(user_defaults):
        return [(f.name, getattr(user_defaults, f.name))
                for f in dataclasses.fields(user_defaults)]
    return list(vars(user_defaults).items())


def to_params(request: StyleRequest | None, user_defaults: Any = None,
              max_side: int | None = None, base: StyleParams | None = None) -> StyleParams:
    """The ``StyleParams`` for a job: ``base`` < user settings < this request.

    ``user_defaults``: a mapping or a settings object (``bot.stores.user_settings.UserSettings``)
    with option names or aliases (``strength``, ``color_mode``/``colors``,
    ``size``, ``quality``, ``seed``, ``faces``, ``brush``); ``None`` values mean
    "not set" (the deployment's, or ``StyleParams``' default), other keys
    (``language``) are ignored, and an invalid stored value is logged and skipped
    (a stale setting must not break every job).  ``base``: the deployment's
    defaults (quality, time budget…), default ``StyleParams()``.  The size is
    always capped at ``max_side``.
    """
    params = base or StyleParams()
    changes: dict[str, Any] = {}
    for name, value in _defaults_items(user_defaults):
        if value is None or normalise(str(name)) not in OPTION_ALIASES:
            continue
        try:
            option, canonical, _ = parse_option(name, value, max_side)
        except RequestError as e:
            log.warning("ignoring the stored setting %s=%r: %s", name, value, e)
            continue
        field_name, field_value = _override(option, canonical)
        changes[field_name] = field_value
    if request is not None:
        changes.update(request.overrides)
    cap = min(max_side or MAX_SIZE, MAX_SIZE)
    changes["size"] = min(changes.get("size", params.size), cap)
    return params.replace(**changes)
