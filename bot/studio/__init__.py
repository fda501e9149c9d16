"""The studio: a Telegram Mini App served by the bot (docs/architecture.md, "The
studio").

A web page inside Telegram to pick a painting by sight, change the /settings
with sliders and switches, and compare each artwork with its photo.  On when
``LIENZO_PUBLIC_URL`` is set: ``studio_app`` is mounted at ``/app`` on the bot's
web server (``bot.web``), and the bot's menu button opens it (``bot.app``).

- ``init_data``: who opened it, by Telegram's signature only;
- ``guard``: that check on every API call, a rate limit per person, the
  security headers;
- ``api``: the JSON routes (``/app/api/``, an aiohttp application of their own, so
  the check covers every one of them); ``actions``: what they do in the chat;
- ``files``: the page and its texts, the thumbnails, a person's pictures behind
  ``links`` (short-lived signed links); ``pictures``: making those pictures;
- ``static/``: the page (HTML, CSS, JavaScript; no build step).
"""

from __future__ import annotations

from aiohttp import web

from bot.handlers.common import Services
from bot.state import LienzoApp
from bot.studio.actions import Actions
from bot.studio.api import Api
from bot.studio.files import Files
from bot.studio.guard import PeopleLimiter, checked_person, no_traces, secure_headers
from bot.studio.init_data import WebAppUser
from bot.studio.links import PictureLinks
from bot.studio.pictures import ArtworkPictures, Thumbnails
from bot.texts import t


def studio_app(services: Services, application: LienzoApp) -> web.Application:
    """The studio as an aiohttp application (its API a nested one, at ``/api``)."""
    config = services.config
    links = PictureLinks(config.token)
    thumbnails = Thumbnails(services.catalogue.styles)
    pictures = ArtworkPictures(application.bot, services.artworks, services.jobs)
    limiter = PeopleLimiter()

    async def too_many(who: WebAppUser) -> str:
        return t(await services.lang(who), "page.error.busy")

    api = web.Application(middlewares=[checked_person(
        config.token, config.webapp_max_age_s, limiter, too_many)])
    Api(services, application, links, thumbnails, pictures,
        Actions(services, application, pictures)).add_routes(api.router)
    app = web.Application(middlewares=[no_traces])
    app.on_response_prepare.append(secure_headers)
    Files(services.artworks, links, thumbnails, pictures, limiter).add_routes(app.router)
    app.add_subapp("/api", api)

    async def close(_app: web.Application) -> None:
        pictures.close()

    app.on_cleanup.append(close)
    return app
