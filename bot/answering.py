"""Handlers counted while they run, so that slow work waits for every answer
(docs/architecture.md, "The life of a job").

Handlers only answer: the slow part of a photo (download, check, submit) runs
later, in ``bot.intake``'s own task.  In a burst of photos, that task first
waits until no handler is running - every update that has arrived has its
"⏳" - so the first downloads never hold up the last acknowledgements.  Every
handler is registered through ``Answering.counted`` (``bot.handlers``), and
``bot.intake`` waits with ``all_answered``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools

from telegram import Update

from bot.state import Callback, Context


class Answering:
    """How many handlers are running now, and an event set when none is."""

    def __init__(self) -> None:
        self._running = 0
        self._none_running = asyncio.Event()
        self._none_running.set()

    def counted(self, callback: Callback) -> Callback:
        """``callback``, counted while it runs."""
        @functools.wraps(callback)
        async def counted(update: Update, context: Context) -> None:
            self._running += 1
            self._none_running.clear()
            try:
                await callback(update, context)
            finally:
                self._running -= 1
                if not self._running:
                    self._none_running.set()
        return counted

    async def all_answered(self, max_wait_s: float) -> None:
        """Until no handler runs, or ``max_wait_s`` (a steady stream cannot starve the
        one waiting)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._none_running.wait(), max_wait_s)
