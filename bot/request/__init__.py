"""What the user asked for: ``/style starry_night+the_scream:0.3 strength=high colors=keep``.

Pure parsing and validation (no Telegram, no keras), so it is cheap and fully
table-tested.  The grammar, case-insensitive, accents ignored::

    request  := [command] blend? option*          (words in any order)
    command  := "/" name ["@" botname]            (stripped; see command_target)
    blend    := style ("+" style)*                (at most MAX_STYLES styles)
    style    := name [":" weight]                 (0.01-100, default 1; "0,3", "30%")
    option   := key "=" value | key ":" value     (key a known option name)

- Style names are resolved like ``engine.styles.resolve``: "Starry Night",
  "starry-night" and "STARRY_NIGHT" are all ``starry_night``; a painting's full
  title ("The Great Wave off Kanagawa") works too.  The same style twice adds
  its weights.
- Options (English and Spanish names and values)::

    strength|fuerza|intensidad = low|medium|high|max|<0.1-100>   (baja, media, alta, máxima…)
    colors|colours|color|colores = keep|style|match               (mantener, estilo, igualar…)
    size|tamaño = <pixels>|max                                    (capped at max_side, flagged)
    quality|calidad = fast|balanced|best                          (rápida, normal, mejor…)
    seed|semilla = <0-4294967295>

  A repeated option: the last one wins.
- Errors are ``RequestError`` subclasses with a stable ``code``, and ``key`` +
  ``values`` for ``bot.texts.error_text`` (``error_text(lang, exc)`` just works).
"""

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
from bot.request.grammar import (
    StyleRequest,
    command_target,
    deep_link_payload,
    deep_link_styles,
    parse_option,
    parse_style_request,
    resolve_style,
    split_command,
    style_link,
    to_params,
)
from bot.request.vocabulary import OPTIONS
from engine.params import MAX_STYLES
from engine.styles import normalise

__all__ = [
    "MAX_STYLES", "OPTIONS", "BadBlend", "BadOption", "BadValue", "BadWeight", "EmptyRequest",
    "RequestError", "StyleNotFound", "StyleRequest", "TooManyStyles", "command_target",
    "deep_link_payload", "deep_link_styles", "normalise", "parse_option", "parse_style_request",
    "resolve_style", "split_command", "style_link", "to_params",
]
