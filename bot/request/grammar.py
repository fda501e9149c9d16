"""Parsing a request (the grammar in ``bot.request``'s docstring): pure functions, no
Telegram, no keras."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.request.errors import (
    BadBlend,
    BadOption,
    BadValue,
    BadWeight,
    EmptyRequest,
    RequestError,
    StyleNotFound,
    TooManyStyles,
)
from bot.request.vocabulary import (
    MAX_SEED,
    MAX_STRENGTH,
    MAX_WEIGHT,
    MIN_STRENGTH,
    MIN_WEIGHT,
    OPTION_ALIASES,
    OPTIONS,
    SUGGESTIONS,
    VALUE_ALIASES,
)
from engine.params import MAX_SIZE, MAX_STYLES, MIN_SIZE, QUALITIES, STRENGTHS, StyleParams
from engine.styles import normalise, suggest

log = logging.getLogger("lienzo.request")

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)")
_OPTION_SPACES_RE = re.compile(r"([^\W\d]\w*)\s*=\s*")
_WORD_OPTION_RE = re.compile(r"^([^\W\d][\w]*)[=:](.*)$", re.UNICODE)


# --------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class StyleRequest:
    """A parsed, validated request.

    ``styles``: ((id, weight), …) in the order given; empty when only options were
    given (the bot then uses the user's own painting, or shows the gallery).
    ``options``: canonical name → canonical value (``{"strength": "high",
    "colors": "keep", "size": 1024}``; a numeric strength is a float).
    ``overrides``: the same as ``StyleParams`` fields (``{"strength": 3.0,
    "color_mode": "keep", "size": 1024}``).  ``size_capped``: the user asked for
    ``requested_size`` > ``max_side``, and ``options["size"]`` is ``max_side``.
    """

    styles: tuple[tuple[str, float], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    size_capped: bool = False
    requested_size: int | None = None

    def __hash__(self) -> int:
        return hash(self.text())

    @property
    def style_ids(self) -> tuple[str, ...]:
        return tuple(s for s, _ in self.styles)

    def text(self) -> str:
        """Canonical form, e.g. ``starry_night+the_scream:0.3 strength=high``; parses back equal."""
        blend = "+".join(s if w == 1 else f"{s}:{_num(w)}" for s, w in self.styles)
        opts = [f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in self.options.items()]
        return " ".join([blend, *opts] if blend else opts)


def _num(value: float) -> str:
    """2.0 → '2', 0.3 → '0.3' (never an exponent, so it parses back)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- helpers


def split_command(text: str | None) -> tuple[str, str | None, str] | None:
    """``"/Style@LienzoBot  a b"`` → ``("style", "LienzoBot", "a b")``; None if not a command."""
    if not text:
        return None
    stripped = text.lstrip()
    m = _COMMAND_RE.match(stripped)
    if not m:
        return None
    return m.group(1).lower(), m.group(2), stripped[m.end():].strip()


def command_target(text: str | None, bot_username: str | None) -> bool:
    """Whether a command (a message text or a caption) is for this bot.

    ``/style x`` is for every bot in the chat; ``/style@LienzoBot x`` only for
    ``LienzoBot`` (case-insensitive, with or without the leading ``@``).  Text
    that is not a command returns False.
    """
    parts = split_command(text)
    if parts is None:
        return False
    target = parts[1]
    if target is None:
        return True
    me = (bot_username or "").lstrip("@")
    return bool(me) and target.lower() == me.lower()


START_PAYLOAD_MAX = 64  # Telegram's limit on a /start parameter (A-Z a-z 0-9 _ -)


def deep_link_payload(style_ids: Sequence[str]) -> str:
    """The ``/start`` payload that preselects a style or a blend: ``s_<id>[-<id>…]``.

    Style ids are ``[a-z0-9_]``, so ``-`` (allowed in a payload, unlike ``+``)
    separates a blend's styles; a blend too long for Telegram's 64 characters
    keeps the styles that fit, first ones first."""
    payload = "s_" + style_ids[0]
    for style_id in style_ids[1:]:
        if len(payload) + 1 + len(style_id) > START_PAYLOAD_MAX:
            break
        payload += "-" + style_id
    return payload


def style_link(bot_username: str, style_ids: Sequence[str]) -> str:
    """``https://t.me/<bot>?start=s_<ids>``: opens the bot with these styles chosen."""
    return f"https://t.me/{bot_username}?start={deep_link_payload(style_ids)}"


def deep_link_styles(payload: str | None, catalog: Mapping[str, Any]) -> list[str]:
    """``s_great_wave`` or ``s_starry_night-the_scream`` (also the older
    ``style_great_wave``) → the style ids, if every one exists; else []."""
    if not payload:
        return []
    lower = payload.lower()
    if lower.startswith("style_"):
        names = [payload[6:]]
    elif lower.startswith("s_"):
        names = payload[2:].split("-")
    else:
        return []
    try:
        ids = [resolve_style(name, catalog) for name in names]
    except StyleNotFound:
        return []
    return ids if 0 < len(ids) <= MAX_STYLES else []


def resolve_style(name: str, catalog: Mapping[str, Any]) -> str:
    """The id for a typed style name (id, spaced/accented id, or exact title); else
    ``StyleNotFound`` with ``engine.styles.suggest``'s best guesses."""
    raw = name.strip()
    if raw in catalog:
        return raw
    key = normalise(raw)
    if key in catalog:
        return key
    if key:
        by_title = [i for i, s in catalog.items() if normalise(getattr(s, "title", "")) == key]
        if len(by_title) == 1:
            return by_title[0]
    shown = raw if len(raw) <= 64 else raw[:63] + "…"
    raise StyleNotFound(shown, suggest(raw, catalog, SUGGESTIONS) if key else [])


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

    allowed = {"colors": ("keep", "style", "match"), "quality": tuple(QUALITIES)}[option]
    raise BadValue(option, shown, allowed)


def _override(option: str, value: Any) -> tuple[str, Any]:
    """Canonical option → (StyleParams field, value)."""
    if option == "strength":
        return "strength", STRENGTHS[value] if isinstance(value, str) else float(value)
    if option == "colors":
        return "color_mode", value
    return option, value


# --------------------------------------------------------------------------- parsing


def parse_style_request(text: str | None, catalog: Mapping[str, Any],
                        max_side: int | None = None) -> StyleRequest:
    """Parse what follows ``/style`` (or a whole caption; a leading ``/command[@bot]``
    is stripped — whether it is addressed to us is ``command_target``'s job).

    ``max_side`` (LIENZO_MAX_SIDE): a larger ``size=`` is capped and flagged.
    Raises EmptyRequest, StyleNotFound, BadOption, BadValue, TooManyStyles,
    BadWeight or BadBlend.
    """
    body = (text or "").strip()
    parts = split_command(body)
    if parts is not None:
        body = parts[2]
    if not body:
        raise EmptyRequest()

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

    styles = _parse_blend(" ".join(style_words), catalog)
    if not styles and not options:
        raise EmptyRequest()
    ordered = {k: options[k] for k in OPTIONS if k in options}
    overrides = dict(_override(k, v) for k, v in ordered.items())
    return StyleRequest(styles=styles, options=ordered, overrides=overrides,
                        size_capped=requested_size is not None, requested_size=requested_size)


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

    ``user_defaults``: a mapping or a settings object (``bot.store.UserSettings``)
    with option names or aliases (``strength``, ``color_mode``/``colors``,
    ``size``, ``quality``, ``seed``); ``None`` values mean "not set", other keys
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
