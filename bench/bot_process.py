"""The bot process that bench/bot.py measures: ``bot.app.main``, plus bench-only knobs.

With none of the variables below set, this is exactly ``lienzo bot``.  Each knob
changes one thing, so that the benchmark can say where the time goes:

``LIENZO_BENCH_OVERALL_RATE``
    messages per second for ``AIORateLimiter``'s global ``overall_max_rate`` (the bot
    ships with none, see ``bot.app.flood_control``; ``30`` is PTB's default, Telegram's
    figure for bulk notifications).  Shows what a pre-emptive global limit costs.
``LIENZO_BENCH_HANDLER=echo``
    photos get an immediate "⏳" reply and nothing else: the floor of PTB and HTTP.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path


def apply_knobs(app) -> None:
    rate = os.environ.get("LIENZO_BENCH_OVERALL_RATE", "").strip()
    if rate:
        app.flood_control = functools.partial(app.AIORateLimiter, overall_max_rate=float(rate),
                                              max_retries=3)
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
