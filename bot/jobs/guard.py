"""Calls to the queue store that must not take the bot down.

Redis may restart or vanish from the network; the job table keeps every job
meanwhile and the watchdog catches up once the store is back.  One warning
when the store goes away, one line when it returns - not one per call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

log = logging.getLogger("lienzo.jobs")

P = ParamSpec("P")
T = TypeVar("T")


class StoreGuard:
    def __init__(self) -> None:
        self.ok = True

    def call(self, what: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
             ) -> tuple[bool, T | None]:
        """``(True, value)``, or ``(False, None)`` when the store failed (logged once)."""
        try:
            value = fn(*args, **kwargs)
        except Exception as e:
            if self.ok:
                log.warning("queue store unavailable (%s): %s: %s", what, type(e).__name__, e)
            self.ok = False
            return False, None
        if not self.ok:
            log.info("queue store reachable again")
            self.ok = True
        return True, value
