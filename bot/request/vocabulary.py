"""What people may type in a request, in English and Spanish: option names, their
values and the limits (keys are ``engine.catalogue.styles.normalise``d: lower case, no accents)."""

from __future__ import annotations

MIN_WEIGHT, MAX_WEIGHT = 0.01, 100.0
MIN_STRENGTH, MAX_STRENGTH = 0.1, 100.0
MAX_SEED = 2**32 - 1
SUGGESTIONS = 3
# Canonical names, in text order.
OPTIONS = ("strength", "colors", "size", "quality", "seed", "faces", "brush")

# Option names people type → canonical name (keys are normalised: lower case, no accents).
OPTION_ALIASES: dict[str, str] = {
    "strength": "strength", "strong": "strength", "fuerza": "strength",
    "intensity": "strength", "intensidad": "strength",
    "colors": "colors", "colours": "colors", "color": "colors", "colour": "colors",
    "colores": "colors", "color_mode": "colors",
    "size": "size", "tamano": "size", "tam": "size", "side": "size", "lado": "size",
    "quality": "quality", "calidad": "quality",
    "seed": "seed", "semilla": "seed",
    # faces (engine.params.FACES): what happens to the faces found in the photo
    "faces": "faces", "face": "faces", "protect": "faces", "protection": "faces",
    "caras": "faces", "cara": "faces", "rostros": "faces", "rostro": "faces",
    "proteger": "faces", "proteccion": "faces",
    # brush (engine.params.BRUSHES): the size of the strokes, as StyleParams.style_scale
    "brush": "brush", "brushes": "brush", "stroke": "brush", "strokes": "brush",
    "brush_size": "brush", "pincel": "brush", "pinceles": "brush", "pincelada": "brush",
    "pinceladas": "brush", "trazo": "brush", "trazos": "brush",
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
        "instant": "instant", "instantanea": "instant", "instantaneo": "instant",
        "sketch": "instant", "boceto": "instant",
        "fast": "fast", "quick": "fast", "rapida": "fast", "rapido": "fast",
        "balanced": "balanced", "normal": "balanced", "medium": "balanced",
        "equilibrada": "balanced", "equilibrado": "balanced", "media": "balanced",
        "best": "best", "high": "best", "mejor": "best", "alta": "best", "maxima": "best",
    },
    "faces": {  # "protect=yes" reads as keep, "protect=no" as paint
        "keep": "keep", "protect": "keep", "protected": "keep", "untouched": "keep",
        "yes": "keep", "on": "keep",
        "conservar": "keep", "mantener": "keep", "proteger": "keep", "intactas": "keep",
        "intacta": "keep", "si": "keep",
        "soft": "soft", "light": "soft", "gentle": "soft", "default": "soft", "auto": "soft",
        "suave": "soft", "suaves": "soft", "leve": "soft", "ligera": "soft",
        "paint": "paint", "painted": "paint", "off": "paint", "no": "paint", "none": "paint",
        "pintar": "paint", "pintadas": "paint", "pintada": "paint", "nada": "paint",
    },
    "brush": {
        "small": "small", "fine": "small", "thin": "small", "little": "small", "s": "small",
        "pequeno": "small", "pequena": "small", "fino": "small", "fina": "small",
        "chico": "small", "chica": "small",
        "medium": "medium", "normal": "medium", "default": "medium", "mid": "medium",
        "m": "medium", "mediano": "medium", "mediana": "medium", "medio": "medium",
        "media": "medium",
        "large": "large", "big": "large", "broad": "large", "thick": "large", "wide": "large",
        "bold": "large", "l": "large", "grande": "large", "gruesa": "large", "grueso": "large",
        "ancho": "large", "ancha": "large", "gordo": "large",
    },
}
