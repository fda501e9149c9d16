"""Everything the bot says, in every language it speaks.

One catalogue per language (``en.py``, ``es.py``: a dict key → template); no
user-facing sentence lives in a handler.  English is the reference: a key
missing from another catalogue, or an unsupported language, falls back to it.

- ``t(lang, key, **values)``: the text.  ``lang`` may be anything Telegram sends
  (``"es-419"``, ``"es_ES"``, ``"pt-br"``, ``None``): it goes through
  ``language_for``.  An unknown key is a bug and raises ``KeyError``.
- Texts are Telegram **HTML** (send with ``parse_mode=PARSE_MODE``), except keys
  under ``PLAIN_PREFIXES`` (buttons, callback alerts, the command menu, value
  labels, ETA and state fragments), which are plain text.  ``t`` escapes every
  value for HTML keys, so user names and typed style names are always safe.
- Every value is clipped to ``PLACEHOLDER_LIMITS[name]`` characters, so each
  text stays within Telegram's 1024-character caption limit whatever it is given
  (the tests format every text at those worst cases).  A placeholder the caller
  forgot becomes "…" and is logged, never an exception in a handler.
- Numbers are written the language's way (``2.5`` / ``2,5``).
"""

from __future__ import annotations

import html
import logging
import math
import re
import string
from typing import Any

from bot.texts import en, es
from bot.texts.limits import PLACEHOLDER_LIMITS
from engine.errors import LienzoError
from engine.params import STRENGTHS

log = logging.getLogger("lienzo.texts")

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # each in its own language
CATALOGUES: dict[str, dict[str, str]] = {"en": en.TEXTS, "es": es.TEXTS}

PARSE_MODE = "HTML"
PLAIN_PREFIXES = ("button.", "alert.", "command.", "value.", "eta.", "state.", "invoice.",
                  "page.")  # page.: the studio's web page (bot.studio), set as text

# Telegram's limits (Bot API): captions, callback-query alerts, command descriptions.
CAPTION_LIMIT = 1024
ALERT_LIMIT = 200
COMMAND_DESCRIPTION_LIMIT = 256

# The commands registered with setMyCommands, in menu order.
COMMANDS = ("start", "style", "styles", "gallery", "status", "cancel", "settings", "help",
            "privacy", "forget")
PAYMENT_COMMANDS = ("balance", "paysupport")  # in the menu while packs are sold

BAR_CELLS = 10
BAR_FULL, BAR_EMPTY = "▓", "░"
MISSING = "…"

_LANG_SPLIT = re.compile(r"[-_]")


# --------------------------------------------------------------------------- languages


def language_for(code: str | None) -> str:
    """Telegram's ``language_code`` (IETF tag) → a catalogue we have.

    ``"es"``, ``"es-419"``, ``"ES_es"`` → ``"es"``; ``"pt-br"``, ``""``, ``None`` → ``"en"``.
    """
    if not code or not isinstance(code, str):
        return DEFAULT_LANGUAGE
    primary = _LANG_SPLIT.split(code.strip().lower(), maxsplit=1)[0]
    return primary if primary in CATALOGUES else DEFAULT_LANGUAGE


def is_plain(key: str) -> bool:
    """Plain-text keys (buttons, alerts, menu, fragments); every other key is HTML."""
    return key.startswith(PLAIN_PREFIXES)


def keys() -> list[str]:
    """Every text key (the English catalogue's)."""
    return list(CATALOGUES[DEFAULT_LANGUAGE])


# --------------------------------------------------------------------------- formatting


def number(value: float | int, lang: str) -> str:
    """A number the language's way: 3 → "3", 2.5 → "2.5" / "2,5", 37.44 → "37.4"."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return MISSING
    if float(value).is_integer():
        return str(int(value))
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if language_for(lang) == "es" else text


def _render(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, lang)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_render(v, lang) for v in value)
    return str(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


class _Values(dict):
    """format_map's mapping: a forgotten placeholder is logged and shown as "…"."""

    def __init__(self, key: str, *args):
        super().__init__(*args)
        self.key = key

    def __missing__(self, name: str) -> str:
        log.error("text %r formatted without a value for {%s}", self.key, name)
        return MISSING


def t(lang: str | None, key: str, **values: Any) -> str:
    """The text ``key`` in ``lang`` (falling back to English), with ``values`` filled in."""
    code = language_for(lang)
    template = CATALOGUES[code].get(key)
    if template is None:
        template = CATALOGUES[DEFAULT_LANGUAGE].get(key)
        if template is None:
            raise KeyError(f"no text {key!r}")
    plain = is_plain(key)
    filled = {}
    for name, value in values.items():
        text = _clip(_render(value, code), PLACEHOLDER_LIMITS.get(name, 64))
        filled[name] = text if plain else html.escape(text, quote=True)
    return template.format_map(_Values(key, filled))


def plural_form(lang: str | None, count: int) -> str:
    """CLDR plural category of ``count``: English and Spanish have 'one' and 'other'."""
    return "one" if count == 1 else "other"


def tn(lang: str | None, key: str, count: int, **values: Any) -> str:
    """A text with plural forms: ``key.one`` / ``key.other``, with ``{count}`` filled in."""
    return t(lang, f"{key}.{plural_form(lang, count)}", count=count, **values)


# --------------------------------------------------------------------------- composed texts


def bot_commands(lang: str | None, payments: bool = False) -> list[tuple[str, str]]:
    """(command, description) pairs for ``setMyCommands`` in ``lang`` (``payments``:
    with /balance and /paysupport, which Telegram's terms ask of a bot that sells)."""
    names = COMMANDS + (PAYMENT_COMMANDS if payments else ())
    return [(c, t(lang, f"command.{c}")) for c in names]


def queued_text(lang: str | None, ahead: int) -> str:
    """"⏳ Queued — 2 ahead of you." / "⏳ You're first in line…"."""
    if ahead <= 0:
        return t(lang, "queued.first")
    return tn(lang, "queued.ahead", ahead)


def duration_text(lang: str | None, seconds: float) -> str:
    """"5 h 12 min" / "12 min": a wait of hours at most (until the next UTC day)."""
    minutes = max(1, int(math.ceil(seconds / 60)))
    if minutes < 60:
        return t(lang, "eta.in_minutes", minutes=minutes)
    return t(lang, "eta.in_hours", hours=minutes // 60, minutes=minutes % 60)


def eta_text(lang: str | None, seconds: float | None) -> str | None:
    """A humane remaining time ("about 1 min left"); None when there is no estimate."""
    if seconds is None or not isinstance(seconds, int | float) or not math.isfinite(seconds) \
            or seconds < 0:
        return None
    if seconds < 10:
        return t(lang, "eta.almost")
    if seconds < 55:
        return t(lang, "eta.seconds", count=int(math.ceil(seconds / 5) * 5))
    if seconds < 90:
        return t(lang, "eta.minute")
    if seconds < 3570:
        return t(lang, "eta.minutes", count=max(2, round(seconds / 60)))
    return t(lang, "eta.hours", count=max(1, round(seconds / 3600)))


def progress_bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """``▓▓▓▓▓░░░░░`` for 0.52; never full before the end."""
    filled = min(cells, int(_fraction(fraction) * cells))
    return BAR_FULL * filled + BAR_EMPTY * (cells - filled)


def _fraction(value: Any) -> float:
    """A progress fraction as a number in [0, 1] (None, junk and NaN are 0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number)) if math.isfinite(number) else 0.0


def progress_text(lang: str | None, fraction: float, eta_s: float | None = None) -> str:
    """"🎨 Painting… ▓▓▓▓▓░░░░░ 52% · about 1 min left" (no ETA part when unknown)."""
    f = _fraction(fraction)
    percent = min(100, int(f * 100 + 1e-9))
    eta = eta_text(lang, eta_s)
    if eta is None:
        return t(lang, "progress.line_no_eta", bar=progress_bar(f), percent=percent)
    return t(lang, "progress.line", bar=progress_bar(f), percent=percent, eta=eta)


def style_label(lang: str | None, styles: Any, split: bool = False) -> str:
    """A plain label for one style or a blend, to pass as ``style=``.

    ``styles``: a ``engine.catalogue.styles.Style`` (→ "The Starry Night — Vincent van Gogh",
    in Spanish "La noche estrellada — Vincent van Gogh": ``Style.title_in``),
    ``None`` (the user's own painting), or an iterable of those (→ titles joined
    by " + ").  Anything else with no ``title`` is shown with ``str``.  ``split``
    with two styles: background and person ("The Starry Night, the person in
    The Scream"), so a caption says which style went where.
    """
    if styles is None or hasattr(styles, "title") or isinstance(styles, str):
        items = [styles]
    else:
        items = list(styles)
    code = language_for(lang)

    def title(style) -> str:
        if style is None:
            return t(lang, "style.own")
        title_in = getattr(style, "title_in", None)
        named = title_in(code) if callable(title_in) else getattr(style, "title", "")
        if not isinstance(named, str):  # str.title is a method: a plain string is its own name
            named = ""
        return str(named or getattr(style, "id", "") or style)

    if split and len(items) == 2:
        return t(lang, "value.split", background=title(items[0]), person=title(items[1]))
    if len(items) == 1:
        style = items[0]
        artist = getattr(style, "artist", "") if style is not None else ""
        return f"{title(style)} — {artist}" if artist else title(style)
    return " + ".join(title(s) for s in items)


def value_label(lang: str | None, option: str, value: Any) -> str:
    """How a setting's value is shown: ("strength", "high") → "Strong" / "Fuerte"."""
    if option == "strength":
        if isinstance(value, str) and value in STRENGTHS:
            return t(lang, f"value.strength.{value}")
        try:
            number_value = float(value)
        except (TypeError, ValueError):
            return str(value)
        for name, preset in STRENGTHS.items():
            if math.isclose(preset, number_value):
                return t(lang, f"value.strength.{name}")
        return t(lang, "value.strength.custom", value=number_value)
    if option in ("colors", "color_mode"):
        return t(lang, f"value.colors.{value}") if f"value.colors.{value}" in \
            CATALOGUES[DEFAULT_LANGUAGE] else str(value)
    if option in ("quality", "faces", "brush", "previews"):
        return t(lang, f"value.{option}.{value}") if f"value.{option}.{value}" in \
            CATALOGUES[DEFAULT_LANGUAGE] else str(value)
    if option == "size":
        return t(lang, "value.size", size=value)
    if option == "language":
        return LANGUAGE_NAMES.get(language_for(value), str(value))
    return str(value)


def done_caption(lang: str | None, style: str, seconds: float, *, requester: str | None = None,
                 user_id: int | None = None, time_limit_s: float | None = None,
                 link: str | None = None, as_file: bool = False,
                 instant: bool = False) -> str:
    """The result's caption; in groups (``requester`` given) it names who asked.

    ``time_limit_s``: the job stopped at its time budget; a note says so.
    ``as_file``: the artwork goes as a file (too big for a photo); a note says so.
    ``link``: a deep link that opens the bot with the same style(s), last.
    ``instant``: a feed-forward sketch (``quality=instant``); a note says so.
    """
    if requester is not None:
        text = t(lang, "done.caption_group", style=style, seconds=seconds,
                 requester=requester, user_id=user_id if user_id is not None else 0)
    else:
        text = t(lang, "done.caption", style=style, seconds=seconds)
    if time_limit_s is not None:
        text += "\n\n" + t(lang, "done.time_limit", limit=time_limit_s)
    if instant:
        text += "\n\n" + t(lang, "done.instant")
    if as_file:
        text += "\n" + t(lang, "done.as_file")
    if link is not None:
        text += "\n" + t(lang, "done.deep_link", url=link)
    return text


def error_text(lang: str | None, error: str | BaseException, **values: Any) -> str:
    """The message for an error: a code (``"out_of_memory"``, as a failed job carries)
    or a ``LienzoError`` (its ``key`` and ``values``; see engine/errors.py).  An
    unknown code gets the generic engine-error text."""
    if isinstance(error, LienzoError):
        key, data = error.key, dict(error.values, **values)
    else:
        code = error if isinstance(error, str) else "engine_error"
        key, data = f"error.{code}", dict(values)
        if code == "unknown_style" and "style" not in data:
            key = "error.style_unavailable"  # a failed job carries the code alone: no name

    if key not in CATALOGUES[DEFAULT_LANGUAGE]:
        key = "error.engine_error"
    return t(lang, key, **data)


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def plain_text(text: str) -> str:
    """An HTML text as Telegram shows it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def visible_length(text: str) -> int:
    """Characters Telegram counts for an HTML text."""
    return len(plain_text(text))


def missing_keys(lang: str) -> list[str]:
    """Keys English has and ``lang`` lacks (they fall back to English)."""
    return [k for k in CATALOGUES[DEFAULT_LANGUAGE] if k not in CATALOGUES.get(lang, {})]


__all__ = [
    "ALERT_LIMIT", "CAPTION_LIMIT", "CATALOGUES", "COMMANDS", "DEFAULT_LANGUAGE", "LANGUAGES",
    "LANGUAGE_NAMES", "PARSE_MODE", "PLACEHOLDER_LIMITS", "bot_commands", "done_caption",
    "error_text", "eta_text", "is_plain", "keys", "language_for", "number",
    "placeholders", "progress_bar", "progress_text", "queued_text", "style_label", "t", "tn",
    "plain_text", "value_label", "visible_length",
]
