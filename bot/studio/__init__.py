"""The studio: a Telegram Mini App served by the bot (docs/architecture.md, "The
studio").

A web page inside Telegram to pick a painting by sight, change the /settings
with sliders and switches, and compare each artwork with its photo.  On when
``LIENZO_PUBLIC_URL`` is set: ``studio_app`` is mounted at ``/app`` on the bot's
web server (``bot.web``), and the bot's menu button opens it (``bot.app``).

- ``init_data``: who opened it, by Telegram's signature only;
- ``guard``: that check on every API call, a rate limit per person, the
  security headers;
- ``api``: the JSON routes (``/app/api/``); ``actions``: what they do in the chat;
- ``files``: the page, the thumbnails, a person's pictures behind ``links``
  (short-lived signed links); ``pictures``: making those pictures;
- ``static/``: the page (HTML, CSS, JavaScript; no build step).
"""

from __future__ import annotations

from aiohttp import web

from bot.handlers.common import Services
from bot.state import LienzoApp
from bot.studio.actions import Actions
from bot.studio.api import Api
from bot.studio.files import Files
from bot.studio.guard import PeopleLimiter, guard, secure_headers
from bot.studio.links import PictureLinks
from bot.studio.pictures import ArtworkPictures, Thumbnails
from bot.texts import t

PATH = "/app"


def studio_app(services: Services, application: LienzoApp) -> web.Application:
    """The studio as an aiohttp application, to mount at ``PATH``."""
    config = services.config
    links = PictureLinks(config.token)
    thumbnails = Thumbnails(services.catalogue.styles)
    pictures = ArtworkPictures(application.bot, services.artworks, services.jobs)
    app = web.Application(middlewares=[guard(
        config.token, config.webapp_max_age_s, PeopleLimiter(),
        lambda code: t(code, "page.error.busy"))])
    app.on_response_prepare.append(secure_headers)
    Api(services, application, links, thumbnails, pictures,
        Actions(services, application, pictures)).add_routes(app.router)
    Files(services.artworks, links, thumbnails, pictures).add_routes(app.router)
    return app
