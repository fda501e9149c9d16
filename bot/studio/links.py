"""Short-lived signed links to a person's pictures (``bot.studio``).

An ``<img>`` cannot send the ``Authorization`` header the studio's API checks, so
the API hands out links instead: ``pictures/<job>/<which>.jpg`` (relative to the
studio's page, so the studio works behind a path prefix too) with the
owner, an expiry and an HMAC of the three under a key derived from the bot's
token (no state kept, valid on any of the bot's processes, void when the token
changes).  ``owner`` gives the person a good link was made for; anything altered
or expired gives None.  Links expire ``LINK_TTL_S`` to ``LINK_TTL_S`` +
``EXPIRY_STEP_S`` after they are made: long enough for a session in the studio,
short enough that a leaked link soon opens nothing; the expiry is rounded up to a
step so the page's links stay the same address for a while and the browser's
cache serves them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Mapping

LINK_TTL_S = 3600.0
EXPIRY_STEP_S = 900
WHICH = ("photo", "painting")  # the two pictures of an artwork the page compares
_PURPOSE = b"lienzo studio picture links"


class PictureLinks:
    """Signs and checks the links; the key comes from the bot's token."""

    def __init__(self, token: str, ttl_s: float = LINK_TTL_S) -> None:
        self._key = hmac.new(token.encode(), _PURPOSE, hashlib.sha256).digest()
        self.ttl_s = ttl_s

    def _sign(self, user_id: int, job_id: str, which: str, expires: int) -> str:
        message = f"{user_id}:{job_id}:{which}:{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, user_id: int, job_id: str, which: str, now: float | None = None) -> str:
        """A link to ``which`` picture of ``user_id``'s artwork ``job_id``."""
        earliest = (time.time() if now is None else now) + self.ttl_s
        expires = int(math.ceil(earliest / EXPIRY_STEP_S) * EXPIRY_STEP_S)
        sig = self._sign(user_id, job_id, which, expires)
        return f"pictures/{job_id}/{which}.jpg?u={user_id}&e={expires}&s={sig}"

    def owner(self, job_id: str, which: str, query: Mapping[str, str],
              now: float | None = None) -> int | None:
        """Whom a link was signed for; None when it was not, or has expired."""
        try:
            user_id, expires = int(query["u"]), int(query["e"])
        except (KeyError, ValueError):
            return None
        if which not in WHICH or expires < (time.time() if now is None else now):
            return None
        good = self._sign(user_id, job_id, which, expires)
        given = query.get("s", "").encode(errors="replace")  # any text: bytes compare
        return user_id if hmac.compare_digest(good.encode(), given) else None
