"""Errors in what was asked: each a ``RequestError`` with a stable ``code``, and the
``key`` + ``values`` that ``bot.texts.error_text`` shows (engine/errors.py's convention)."""

from __future__ import annotations

from typing import Any

from bot.request.vocabulary import OPTIONS
from engine.errors import LienzoError, UnknownStyle
from engine.params import MAX_STYLES


class RequestError(LienzoError):
    """Something wrong with what was asked (``key`` and ``values``: the text to show)."""

    code = "bad_request"


class EmptyRequest(RequestError):
    """Nothing to paint with: no style after ``/style`` (and no painting of one's own)."""

    code = "empty_request"

    def __init__(self):
        super().__init__("No style was named.")


class StyleNotFound(RequestError, UnknownStyle):
    """A name that is not a style; ``suggestions`` are ids for buttons (maybe empty)."""

    code = "unknown_style"

    def __init__(self, style_id: str, suggestions: list[str]):
        UnknownStyle.__init__(self, style_id, suggestions)


class BadOption(RequestError):
    code = "bad_option"

    def __init__(self, option: str):
        self.option = option
        self.allowed = OPTIONS
        super().__init__(f"Unknown option {option!r}; options are {', '.join(OPTIONS)}.",
                         option=option)


class BadValue(RequestError):
    """A bad value for a known option; ``option`` is canonical, ``allowed`` a hint."""

    code = "bad_value"

    def __init__(self, option: str, value: str, allowed: tuple[str, ...], **extra: Any):
        self.option = option
        self.value = value
        self.allowed = allowed
        super().__init__(f"Bad value {value!r} for {option}; allowed: {', '.join(allowed)}.",
                         key=f"error.bad_value.{option}", value=value, **extra)


class TooManyStyles(RequestError):
    code = "too_many_styles"

    def __init__(self, count: int):
        self.count = count
        super().__init__(f"{count} styles; at most {MAX_STYLES} can be mixed.", max=MAX_STYLES)


class BadWeight(RequestError):
    code = "bad_weight"

    def __init__(self, style: str, value: str):
        super().__init__(f"Bad weight {value!r} for {style}: use a number above 0.",
                         style=style, value=value)


class BadBlend(RequestError):
    """An empty part in a blend (``a++b``, ``+a``, ``:0.3``)."""

    code = "bad_blend"

    def __init__(self, text: str):
        super().__init__(f"Cannot read the blend {text!r}.")


class BadSplit(RequestError):
    """A ``background | person`` request that is not one style on each side.

    ``reason``: ``empty`` (a side with no style: ``a |``), ``parts`` (more than two
    sides: ``a | b | c``), ``blend`` (a mix on a side: ``a+b | c``), ``same`` (one
    style on both sides: that is just the style) or ``painting`` (two styles and
    the user's own painting as well: three for two regions).  Each has its own
    text (``error.bad_split.<reason>``; an empty side gets the plain how-to,
    ``error.bad_split``), so the user reads what to change."""

    code = "bad_split"
    REASONS = ("empty", "parts", "blend", "same", "painting")

    def __init__(self, reason: str):
        if reason not in self.REASONS:
            raise ValueError(f"unknown split problem {reason!r}")
        self.reason = reason
        super().__init__(f"Cannot split the picture between these styles ({reason}); "
                         "write one style for the background, '|', one for the person.",
                         key="error.bad_split" if reason == "empty"
                         else f"error.bad_split.{reason}")
