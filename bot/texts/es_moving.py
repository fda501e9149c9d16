"""Textos en español para imágenes en movimiento (GIF, vídeos), aparte de ``es.py``
para que cada catálogo siga siendo pequeño; se unen en ``CATALOGUES["es"]``
(bot/texts/__init__.py).  Las mismas convenciones que ``en.py``."""

TEXTS: dict[str, str] = {
    "unpaintable.moving": (
        "🎞 Pinto GIF y vídeos enviados tal cual, no como archivo, sticker ni en un álbum. "
        "Envíalo de nuevo como GIF o vídeo (hasta 20 MB), o envíame una foto."
    ),
    "gallery.prompt_clip": "🎞 ¡Buen clip! ¿Con qué cuadro lo pinto?",
    "clip.estimate.seconds": "🎞 {frames} fotogramas: unos {seconds} s de pintura cuando empiece.",
    "clip.estimate.minutes": "🎞 {frames} fotogramas: unos {count} min de pintura cuando empiece.",
    "clip.cut": "✂️ Tu clip dura más de {seconds} s, así que pintaré sus primeros {seconds} s.",
    "progress.frame": "🎞 Fotograma {frame} de {frames}",
    "error.bad_clip": "😕 No pude usar ese clip. Envíame un GIF o un vídeo corto (MP4).",
    "error.not_a_clip": "🤔 Eso no parece un GIF ni un vídeo. Envíame un GIF o un MP4 corto.",
    "error.corrupt_clip": "💔 Ese clip parece dañado. ¿Me lo envías otra vez?",
    "error.clip_too_large": (
        "🐘 Ese clip ocupa {mb} MB; acepto hasta {limit_mb} MB. Envíame uno más corto."
    ),
    "error.clip_too_large_frames": (
        "🐘 Los fotogramas de ese clip miden {side} px; acepto hasta {limit} px."
    ),
    "error.clip_file_too_big": (
        "📦 Ese clip es demasiado grande: solo puedo descargar hasta {max_mb} MB. "
        "Envía uno más corto o más pequeño."
    ),
}
