"""What people may type in a request, in English and Spanish: option names, their
values and the limits (keys are ``engine.styles.normalise``d: lower case, no accents)."""

from __future__ import annotations

MIN_WEIGHT, MAX_WEIGHT = 0.01, 100.0
MIN_STRENGTH, MAX_STRENGTH = 0.1, 100.0
MAX_SEED = 2**32 - 1
SUGGESTIONS = 3
OPTIONS = ("strength", "colors", "size", "quality", "seed")  # canonical names, in text order

# Option names people type → canonical name (keys are normalised: lower case, no accents).
OPTION_ALIASES: dict[str, str] = {
    "strength": "strength", "strong": "strength", "fuerza": "strength",
    "intensity": "strength", "intensidad": "strength",
    "colors": "colors", "colours": "colors", "color": "colors", "colour": "colors",
    "colores": "colors", "color_mode": "colors",
    "size": "size", "tamano": "size", "tam": "size", "side": "size", "lado": "size",
    "quality": "quality", "calidad": "quality",
    "seed": "seed", "semilla": "seed",
}

# Values people type → canonical value, per option (keys normalised).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "strength": {
        "low": "low", "light": "low", "weak": "low", "soft": "low",
        "baja": "low", "bajo": "low", "suave": "low", "leve": "low",
        "medium": "medium", "normal": "medium", "default": "medium", "mid": "medium",
        "media": "medium", "medio": "medium",
        "high": "high", "strong": "high", "alta": "high", "alto": "high", "fuerte": "high",
        "max": "max", "maximum": "max", "maxima": "max", "maximo": "max",
    },
    "colors": {
        "keep": "keep", "original": "keep", "originals": "keep", "photo": "keep", "mine": "keep",
        "mantener": "keep", "conservar": "keep", "originales": "keep", "foto": "keep",
        "style": "style", "painting": "style", "estilo": "style", "cuadro": "style",
        "pintura": "style",
        "match": "match", "matched": "match", "igualar": "match", "ajustar": "match",
    },
    "quality": {
        "fast": "fast", "quick": "fast", "rapida": "fast", "rapido": "fast",
        "balanced": "balanced", "normal": "balanced", "medium": "balanced",
        "equilibrada": "balanced", "equilibrado": "balanced", "media": "balanced",
        "best": "best", "high": "best", "mejor": "best", "alta": "best", "maxima": "best",
    },
}
