"""Errors raised on purpose, each with a stable ``code``: the one convention for
errors in Lienzo, engine and bot alike.

The code is the contract: the queue stores it with a failed job and the bot
turns it into a message in the user's language.  ``str(error)`` is a plain
English sentence for logs and the command line; it never contains a traceback.
An error that needs more than its code in a message carries ``values`` (the
text's placeholders) and, where one code has several texts, a ``key``
(default ``error.<code>``); ``bot.texts.error_text`` reads exactly these.
"""

from __future__ import annotations

from typing import Any


class LienzoError(Exception):
    """Base class of every error Lienzo raises deliberately."""

    code = "engine_error"

    def __init__(self, message: str = "", *, key: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.key = key or f"error.{self.code}"
        self.values: dict[str, Any] = values


class ImageError(LienzoError):
    """The bytes we were given cannot be used as an image."""

    code = "bad_image"


class EmptyImage(ImageError):
    code = "empty_image"


class NotAnImage(ImageError):
    code = "not_an_image"


class ImageTooLarge(ImageError):
    """Too many bytes, or too many pixels (decompression bomb guard)."""

    code = "image_too_large"


class ImageTooSmall(ImageError):
    code = "image_too_small"


class CorruptImage(ImageError):
    """Recognised as an image, but truncated or damaged."""

    code = "corrupt_image"


class UnknownStyle(LienzoError):
    """A style id that is not in the catalogue; carries close matches."""

    code = "unknown_style"

    def __init__(self, style_id: str, suggestions: list[str]) -> None:
        self.style_id = style_id
        self.suggestions = list(suggestions)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown style '{style_id}'.{hint}",
                         key="error.unknown_style" if self.suggestions
                         else "error.unknown_style_none", style=style_id)


class StyleUnavailable(LienzoError):
    """A catalogue style whose image could not be downloaded or decoded."""

    code = "style_unavailable"


class WeightsUnavailable(LienzoError):
    """The VGG19 weights asked for cannot be loaded (no network, bad file)."""

    code = "weights_unavailable"


class InvalidParams(LienzoError):
    """A stylisation parameter out of range (strength, size, blend weights...)."""

    code = "invalid_params"


class Cancelled(LienzoError):
    """``should_stop`` asked the optimisation to stop; no image is produced."""

    code = "cancelled"


class OutOfMemory(LienzoError):
    """The accelerator ran out of memory, also after one retry at a smaller size."""

    code = "out_of_memory"


class ClipError(LienzoError):
    """The bytes we were given cannot be used as a clip (engine.clip.reading)."""

    code = "bad_clip"


class NotAClip(ClipError):
    """Not a GIF or a video container with a picture stream in it."""

    code = "not_a_clip"


class CorruptClip(ClipError):
    """Recognised as a video, but its frames cannot be decoded."""

    code = "corrupt_clip"


class ClipTooLarge(ClipError):
    """Too many bytes (``values``: ``mb``, ``limit_mb``), or frames too large to decode
    safely (key ``error.clip_too_large_frames``; ``side``, ``limit``)."""

    code = "clip_too_large"


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is the device running out of memory: TensorFlow's
    ResourceExhaustedError, JAX's RESOURCE_EXHAUSTED, MemoryError (by name, so that
    callers need not import either backend)."""
    if isinstance(exc, MemoryError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"ResourceExhaustedError", "OutOfMemoryError"}:
        return True
    text = str(exc)
    return "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower()
