"""The bot process that ``bench.bot_load`` measures: ``bot.app.main``, plus bench-only knobs.

Started as ``python -m bench.bot_process`` from the repository root (or with it on
``PYTHONPATH``), as ``bench.bot_load`` does.

With none of the variables below set, this is exactly ``lienzo bot``.  Each knob
changes one thing, so that the benchmark can say where the time goes:

``LIENZO_BENCH_OVERALL_RATE``
    messages per second for ``AIORateLimiter``'s global ``overall_max_rate`` (the bot
    ships with none, see ``bot.app.flood_control``; ``30`` is PTB's default, Telegram's
    figure for bulk notifications).  Shows what a pre-emptive global limit costs.
``LIENZO_BENCH_HANDLER=echo``
    photos get an immediate "⏳" reply and nothing else: the floor of PTB and HTTP.
    It replaces ``bot.handlers.photos.Photos.media`` (the handler of photos and image
    documents) on the class, before ``bot.app.main`` builds the handlers: they bind
    ``self.media`` when they are registered, so a later patch would not be seen.

``bench.chaos`` starts this same module (with no knob set) as the bot it SIGKILLs.
"""

from __future__ import annotations

import os
import sys


def apply_knobs(app) -> None:
    rate = os.environ.get("LIENZO_BENCH_OVERALL_RATE", "").strip()
    if rate:
        app.flood_control = lambda: {"overall_max_rate": float(rate), "max_retries": 3}
    if os.environ.get("LIENZO_BENCH_HANDLER", "").strip() == "echo":
        from bot.handlers.photos import Photos

        async def echo(self, update, context) -> None:
            await update.effective_message.reply_text("⏳ …", do_quote=True)

        # Replaces the handler method on the class (a deliberate monkeypatch, which
        # mypy forbids as a plain assignment).
        setattr(Photos, "media", echo)  # noqa: B010


if __name__ == "__main__":
    import bot.app as app

    apply_knobs(app)
    sys.exit(app.main())
