"""What every request to the studio goes through (``bot.studio``): the person, checked
(``bot.studio.init_data``), a per-person rate limit, the security headers, and no
stack trace ever in an answer.

``middleware`` is the studio app's one aiohttp middleware.  A route that names a
person (every ``/app/api/`` route but ``texts``) gets them as ``person(request)``
only after Telegram's signature is checked; otherwise 401 with
``{"error": "unauthorized"}`` and nothing else.  Each person may make
``RATE_PER_MINUTE`` calls a minute (aiolimiter's leaky bucket: a burst of that
many, then one a second); more get 429 with ``Retry-After``.  Every answer
carries a Content-Security-Policy that lets the page run only its own files and
Telegram's script, talk only to this server, and be framed only by Telegram's
web clients; and ``Referrer-Policy: no-referrer`` so a picture's signed link never
leaves in a header.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiolimiter import AsyncLimiter

from bot.studio.init_data import NotSigned, WebAppUser, from_header

log = logging.getLogger("lienzo.studio")

RATE_PER_MINUTE = 120
KEPT_LIMITERS = 10_000  # people whose buckets are remembered (the oldest go first)
PUBLIC_API = ("/app/api/texts",)  # API routes that name nobody
CSP = ("default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; "
       "img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors https://web.telegram.org https://*.telegram.org")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


PERSON = web.RequestKey("person", WebAppUser)  # the checked person, kept on the request


def person(request: web.Request) -> WebAppUser:
    """The checked person of an API request."""
    return request[PERSON]


def json_error(status: int, code: str, message: str | None = None,
               headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": code} | ({"message": message} if message else {})
    return web.json_response(body, status=status, headers=headers)


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


def guard(token: str, max_age_s: float, limiter: PeopleLimiter, too_many: Callable[[str], str]
          ) -> Middleware:
    """The middleware; ``too_many(language_code)``: the 429's message."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/app/api/") and request.path not in PUBLIC_API:
            try:
                checked = from_header(request.headers.get("Authorization"), token, max_age_s)
            except NotSigned as exc:
                log.info("studio: refused %s %s (%s)", request.method, request.path, exc)
                return json_error(401, "unauthorized")
            if not await limiter.allow(checked.id):
                return json_error(429, "rate_limited", too_many(checked.language_code or ""),
                                  headers={"Retry-After": "1"})
            request[PERSON] = checked
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("studio: %s %s", request.method, request.path)
            return json_error(500, "internal")

    return middleware


async def secure_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer's security headers."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
