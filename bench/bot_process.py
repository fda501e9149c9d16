"""The bot process that bench/bot.py measures: ``bot.app.main``, plus bench-only knobs.

With none of the variables below set, this is exactly ``lienzo bot``.  Each knob
changes one thing, so that the benchmark can say where the time goes:

``LIENZO_BENCH_OVERALL_RATE``
    messages per second for ``AIORateLimiter``'s ``overall_max_rate`` (PTB's default
    is Telegram's ~30 messages/s); ``0`` removes the global limit.  Separates the
    wait the limiter imposes on purpose from the bot's own cost.
``LIENZO_BENCH_CHECK=header``
    the photo handler checks the downloaded picture the cheap way (header, pixel
    count, sides, then a JPEG decoded at 1/8 scale to catch truncated files)
    instead of ``engine.images.decode_image``'s full-size decode into a numpy array:
    the change proposed in docs/benchmarks.md ("Bot"), measured before it is made.
``LIENZO_BENCH_HANDLER=echo``
    photos get an immediate "⏳" reply and nothing else: the floor of PTB and HTTP.
"""

from __future__ import annotations

import functools
import io
import os
import sys
from pathlib import Path


def header_check(data: bytes) -> None:
    """What the bot must know before queueing a photo, without decoding it at full size."""
    from PIL import Image

    from engine import images
    from engine.errors import CorruptImage, NotAnImage

    if not data or len(data) > images.MAX_BYTES:
        return images.decode_image(data)  # raises the real check's error
    try:
        img = Image.open(io.BytesIO(data))
    except Exception:  # noqa: BLE001
        raise NotAnImage("The file is not an image in a format we can read.") from None
    with img:
        width, height = img.size
        if width * height > images.MAX_PIXELS or min(width, height) < images.MIN_SIDE:
            return images.decode_image(data)  # raises the real check's error
        if img.format == "JPEG":
            img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        try:
            img.load()
        except Exception:  # noqa: BLE001
            raise CorruptImage(f"The {img.format} file is damaged or incomplete.") from None
    return None


def apply_knobs(app) -> None:
    rate = os.environ.get("LIENZO_BENCH_OVERALL_RATE", "").strip()
    if rate:
        app.AIORateLimiter = functools.partial(app.AIORateLimiter, overall_max_rate=float(rate))
    if os.environ.get("LIENZO_BENCH_CHECK", "").strip() == "header":
        import types

        from bot import handlers

        handlers.images = types.SimpleNamespace(decode_image=header_check)
    if os.environ.get("LIENZO_BENCH_HANDLER", "").strip() == "echo":
        from bot import handlers

        async def echo(self, update, context) -> None:
            await update.effective_message.reply_text("⏳ …", do_quote=True)

        handlers.Lienzo.media = echo


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    # `python bench/bot_process.py` puts bench/ first, where bench/bot.py would hide
    # the bot package and bench/queue.py the standard library's queue.
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() != here]

    import bot.app as app

    apply_knobs(app)
    sys.exit(app.main())
