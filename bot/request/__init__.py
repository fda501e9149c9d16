"""What the user asked for: ``/style starry_night+the_scream:0.3 strength=high colors=keep``,
or ``/style starry_night | the_scream faces=keep brush=large``.

Pure parsing and validation (no Telegram, no keras), so it is cheap and fully
table-tested.  The grammar, case-insensitive, accents ignored::

    request  := [command] (blend | split)? option*   (words in any order)
    command  := "/" name ["@" botname]            (stripped; see command_target)
    blend    := style ("+" style)*                (at most MAX_STYLES styles)
    split    := style "|" style                   (background | person; spaces optional)
    style    := name [":" weight]                 (0.01-100, default 1; "0,3", "30%")
    option   := key "=" value | key ":" value     (key a known option name)

- Style names are resolved like ``engine.catalogue.styles.resolve``: "Starry Night",
  "starry-night" and "STARRY_NIGHT" are all ``starry_night``; a painting's full
  title ("The Great Wave off Kanagawa") works too.  The same style twice adds
  its weights.
- A split (``StyleParams.split = "person"``) paints the background in the first
  style and the person (found by their face) in the second: exactly one style on
  each side, two different ones; anything else is ``BadSplit``, whose ``reason``
  picks the text that says what to change.
- Options (English and Spanish names and values)::

    strength|fuerza|intensidad = low|medium|high|max|<0.1-100>   (baja, media, alta, máxima…)
    colors|colours|color|colores = keep|style|match               (mantener, estilo, igualar…)
    size|tamaño = <pixels>|max                                    (capped at max_side, flagged)
    quality|calidad = fast|balanced|best                          (rápida, normal, mejor…)
    seed|semilla = <0-4294967295>
    faces|face|protect|caras = soft|keep|paint                    (suave, conservar, pintar…)
    brush|stroke|pincel = small|medium|large  → style_scale       (pequeño, mediano, grande…)

  A repeated option: the last one wins.
- Errors are ``RequestError`` subclasses with a stable ``code``, and ``key`` +
  ``values`` for ``bot.texts.error_text`` (``error_text(lang, exc)`` just works).
"""

from bot.request.errors import (
    BadBlend,
    BadOption,
    BadSplit,
    BadValue,
    BadWeight,
    EmptyRequest,
    RequestError,
    StyleNotFound,
    TooManyStyles,
)
from bot.request.grammar import StyleRequest, parse_option, parse_style_request, to_params
from bot.request.links import (
    command_target,
    deep_link_payload,
    deep_link_request,
    deep_link_styles,
    resolve_style,
    split_command,
    style_link,
)
from bot.request.vocabulary import OPTIONS
from engine.catalogue.styles import normalise
from engine.params import MAX_STYLES

__all__ = [
    "MAX_STYLES", "OPTIONS", "BadBlend", "BadOption", "BadSplit", "BadValue", "BadWeight",
    "EmptyRequest", "RequestError", "StyleNotFound", "StyleRequest", "TooManyStyles",
    "command_target", "deep_link_payload", "deep_link_request", "deep_link_styles", "normalise",
    "parse_option", "parse_style_request", "resolve_style", "split_command", "style_link",
    "to_params",
]
