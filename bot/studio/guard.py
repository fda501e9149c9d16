"""What every request to the studio goes through (``bot.studio``): the person, checked
(``bot.studio.init_data``), a per-person rate limit, the security headers, and no
stack trace ever in an answer.

- ``checked_person``: the middleware of the API's own aiohttp application, so every
  route under ``/app/api/`` gets its person (``person(request)``) only after
  Telegram's signature is checked; otherwise 401 with ``{"error": "unauthorized"}``
  (``"expired"`` for Telegram's data that is only too old, so the page can say
  "open it again") and nothing else.  Then the person's leaky bucket
  (``PeopleLimiter``, aiolimiter's: a burst of ``RATE_PER_MINUTE``, then that many a
  minute); beyond it, 429 with ``Retry-After``.  The picture links use the same
  buckets, by the link's owner.
- ``no_traces``: the studio's outer middleware: an unexpected exception is logged and
  answered with a bare JSON 500.
- ``secure_headers``: every answer's Content-Security-Policy (the page runs only its
  own files and Telegram's script, talks only to this server, and is framed only by
  Telegram's web clients), ``nosniff``, ``Referrer-Policy: no-referrer`` (a
  picture's signed link never leaves in a header) and a ``Server`` that names no
  versions.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from aiolimiter import AsyncLimiter

from bot.studio.init_data import Expired, NotSigned, WebAppUser, from_header

log = logging.getLogger("lienzo.studio")

RATE_PER_MINUTE = 120
KEPT_LIMITERS = 10_000  # people whose buckets are remembered (the oldest go first)
CSP = ("default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
       "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors https://web.telegram.org https://*.telegram.org")
PERSON = web.RequestKey("person", WebAppUser)  # the checked person, kept on the request


def person(request: web.Request) -> WebAppUser:
    """The checked person of an API request."""
    return request[PERSON]


def json_error(status: int, code: str, message: str | None = None,
               headers: dict[str, str] | None = None) -> web.Response:
    """A refusal as the page reads it: ``{"error": code, "message": text}``, never
    cached."""
    body = {"error": code} | ({"message": message} if message else {})
    return web.json_response(body, status=status,
                             headers={"Cache-Control": "no-store", **(headers or {})})


class PeopleLimiter:
    """A leaky bucket per person."""

    def __init__(self, per_minute: int = RATE_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._buckets: OrderedDict[int, AsyncLimiter] = OrderedDict()

    async def allow(self, user_id: int) -> bool:
        """Whether one more call fits the person's bucket now (and count it: with room,
        ``acquire`` does not wait)."""
        bucket = self._buckets.pop(user_id, None) or AsyncLimiter(self.per_minute, 60)
        self._buckets[user_id] = bucket
        while len(self._buckets) > KEPT_LIMITERS:
            self._buckets.popitem(last=False)
        if not bucket.has_capacity():
            return False
        await bucket.acquire()
        return True


def checked_person(token: str, max_age_s: float, limiter: PeopleLimiter,
                   too_many: Callable[[WebAppUser], Awaitable[str]]) -> Middleware:
    """The API's middleware; ``too_many(person)``: the 429's message in their language."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            checked = from_header(request.headers.get("Authorization"), token, max_age_s)
        except NotSigned as exc:
            log.info("studio: refused %s %s (%s)", request.method, request.path, exc)
            return json_error(401, "expired" if isinstance(exc, Expired) else "unauthorized")
        if not await limiter.allow(checked.id):
            return json_error(429, "rate_limited", await too_many(checked),
                              headers={"Retry-After": "1"})
        request[PERSON] = checked
        return await handler(request)

    return middleware


@web.middleware
async def no_traces(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("studio: %s %s", request.method, request.path)
        return json_error(500, "internal")


async def secure_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer's security headers."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Server"] = "Lienzo"
