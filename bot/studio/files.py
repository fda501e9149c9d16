"""The studio's files (``bot.studio``): the page itself (``static/``: HTML, CSS,
JavaScript, no build step) and its texts, the catalogue's thumbnails, and a
person's pictures behind signed links.

- ``/app/``, ``/app/studio.css``, ``/app/studio.js``: from the package, with
  aiohttp's ETag and ``no-cache`` (a browser revalidates, so a new version shows
  at once, and an unchanged one costs a 304).
- ``/app/texts?lang=``: the page's texts (``page.*`` in ``bot.texts``, those
  without a placeholder: the others are the API's answers), public: they name
  nobody, and the page needs them to say it was not opened from Telegram.
- ``/app/thumbs/<painting>-<side>.jpg``: public-domain paintings anyone may see
  (the bot's /styles shows them to anyone): no person, cached a day, ETag.
- ``/app/pictures/<job>/<photo|painting>.jpg?u&e&s``: a person's picture, only
  through a link the API signed for them (``bot.studio.links``; anything else is
  403), within the owner's rate limit; cached privately until the link expires.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from telegram.error import TelegramError

from bot.stores.artworks import Artworks
from bot.studio.guard import PeopleLimiter, json_error
from bot.studio.links import PictureLinks
from bot.studio.pictures import THUMB_SIDES, ArtworkPictures, PictureGone, Thumbnails
from bot.texts import CATALOGUES, language_for, placeholders, t
from engine.errors import LienzoError

STATIC = Path(__file__).parent / "static"
PAGE_FILES = ("studio.css", "studio.js")  # what index.html loads, beside it
THUMB_MAX_AGE_S = 86400


class Files:
    def __init__(self, artworks: Artworks, links: PictureLinks, thumbnails: Thumbnails,
                 pictures: ArtworkPictures, limiter: PeopleLimiter) -> None:
        self.artworks, self.links, self.thumbnails, self.pictures, self.limiter = \
            artworks, links, thumbnails, pictures, limiter

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.page)
        for name in PAGE_FILES:
            router.add_get(f"/{name}", self.page_file)
        router.add_get("/texts", self.texts)
        router.add_get(r"/thumbs/{style:[a-z0-9_]+}-{side:\d+}.jpg", self.thumbnail)
        router.add_get(r"/pictures/{job:[0-9A-Za-z_-]+}/{which:photo|painting}.jpg",
                       self.picture)

    async def page(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def page_file(self, request: web.Request) -> web.FileResponse:
        name = request.path.rsplit("/", 1)[-1]
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

    async def texts(self, request: web.Request) -> web.Response:
        lang = language_for(request.query.get("lang"))
        keys = [key for key, template in CATALOGUES["en"].items()
                if key.startswith("page.") and not placeholders(template)]
        return web.json_response({"lang": lang, "texts": {key: t(lang, key) for key in keys}})

    async def thumbnail(self, request: web.Request) -> web.Response:
        style_id, side = request.match_info["style"], int(request.match_info["side"])
        if style_id not in self.thumbnails.catalog or side not in THUMB_SIDES:
            raise web.HTTPNotFound()
        try:
            thumb = await self.pictures.run(lambda: self.thumbnails.get(style_id, side))
        except LienzoError:  # the painting cannot be fetched now (StyleUnavailable)
            raise web.HTTPServiceUnavailable(headers={"Cache-Control": "no-store"}) from None
        headers = {"ETag": f'"{thumb.etag}"', "Cache-Control": f"public, max-age={THUMB_MAX_AGE_S}"}
        if request.headers.get("If-None-Match") == f'"{thumb.etag}"':
            return web.Response(status=304, headers=headers)
        return web.Response(body=thumb.jpeg, content_type="image/jpeg", headers=headers)

    async def picture(self, request: web.Request) -> web.Response:
        job_id, which = request.match_info["job"], request.match_info["which"]
        owner = self.links.owner(job_id, which, request.query)
        artwork = None if owner is None else \
            await asyncio.to_thread(self.artworks.one, owner, job_id)
        if owner is None or artwork is None:
            raise web.HTTPForbidden()
        if not await self.limiter.allow(owner):
            return json_error(429, "rate_limited", headers={"Retry-After": "1"})
        try:
            jpeg = (await self.pictures.display(artwork))[which]
        except PictureGone:
            raise web.HTTPGone(headers={"Cache-Control": "no-store"}) from None
        except TelegramError:  # Telegram unreachable, flood control: try again later
            raise web.HTTPServiceUnavailable(headers={"Cache-Control": "no-store"}) from None
        return web.Response(body=jpeg, content_type="image/jpeg",
                            headers={"Cache-Control": f"private, max-age={int(self.links.ttl_s)}"})
