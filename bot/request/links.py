"""Commands and deep links: which bot a ``/command`` is for, and the ``/start``
payloads that preselect a style, a blend or a two-style split.  Pure functions,
kept apart from the grammar (``bot.request.grammar``) so each module reads on
its own."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.request.errors import StyleNotFound
from bot.request.vocabulary import SUGGESTIONS
from engine.catalogue.styles import normalise, suggest
from engine.params import MAX_STYLES

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)")

START_PAYLOAD_MAX = 64  # Telegram's limit on a /start parameter (A-Z a-z 0-9 _ -)
BLEND_SEP = "-"  # s_<a>-<b>: a blend (style ids are [a-z0-9_], so never a "-" in one)
SPLIT_SEP = "--"  # s_<a>--<b>: a split, <a> the background and <b> the person


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


def resolve_style(name: str, catalog: Mapping[str, Any]) -> str:
    """The id for a typed style name (id, spaced/accented id, or exact title); else
    ``StyleNotFound`` with ``engine.catalogue.styles.suggest``'s best guesses."""
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


def deep_link_payload(style_ids: Sequence[str], split: bool = False) -> str:
    """The ``/start`` payload that preselects a style, a blend or a split:
    ``s_<id>[-<id>…]``, or ``s_<background>--<person>`` for a split.

    Style ids are ``[a-z0-9_]``, so ``-`` (allowed in a payload, unlike ``+`` or
    ``|``) separates a blend's styles and ``--`` a split's two.  A blend too long
    for Telegram's 64 characters keeps the styles that fit, first ones first; a
    split that does not fit keeps its background style alone (a link that opens
    the bot with one style beats a link Telegram refuses)."""
    payload = "s_" + style_ids[0]
    if split and len(style_ids) == 2:
        both = payload + SPLIT_SEP + style_ids[1]
        return both if len(both) <= START_PAYLOAD_MAX else payload
    for style_id in style_ids[1:]:
        if len(payload) + len(BLEND_SEP) + len(style_id) > START_PAYLOAD_MAX:
            break
        payload += BLEND_SEP + style_id
    return payload


def style_link(bot_username: str, style_ids: Sequence[str], split: bool = False) -> str:
    """``https://t.me/<bot>?start=s_<ids>``: opens the bot with these styles chosen."""
    return f"https://t.me/{bot_username}?start={deep_link_payload(style_ids, split)}"


def deep_link_request(payload: str | None, catalog: Mapping[str, Any]) -> str | None:
    """The request text a ``/start`` payload preselects: ``s_great_wave`` →
    ``great_wave``, ``s_a-b`` → ``a+b``, ``s_a--b`` → ``a | b`` (also the older
    ``style_great_wave``); None unless every style exists."""
    if not payload:
        return None
    lower = payload.lower()
    if lower.startswith("style_"):
        parts, sep = [payload[6:]], "+"
    elif lower.startswith("s_") and SPLIT_SEP in payload:
        parts, sep = payload[2:].split(SPLIT_SEP), " | "
        if len(parts) != 2:
            return None
    elif lower.startswith("s_"):
        parts, sep = payload[2:].split(BLEND_SEP), "+"
    else:
        return None
    try:
        ids = [resolve_style(name, catalog) for name in parts]
    except StyleNotFound:
        return None
    if not 0 < len(ids) <= MAX_STYLES or (sep == " | " and ids[0] == ids[1]):
        return None
    return sep.join(ids)


def deep_link_styles(payload: str | None, catalog: Mapping[str, Any]) -> list[str]:
    """The style ids of a ``/start`` payload (a blend's or a split's, in order); [] for
    a payload that is not a style link or names a style that does not exist."""
    text = deep_link_request(payload, catalog)
    return re.split(r"\s*[+|]\s*", text) if text else []
