"""The studio's JSON API, ``/app/api/`` (``bot.studio``; the routes and their answers
are listed in docs/architecture.md, "The studio").

Every route is for one checked person (``guard.person``), reads and changes only
their own things, and answers in their language: their /settings choice, else
Telegram's ``language_code`` (``Services.lang``).  A refusal is ``{"error": code,
"message": text}`` with a 4xx status (503 when Telegram cannot be reached); the
page shows the message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from telegram.error import TelegramError

from bot.handlers.common import Services
from bot.handlers.settings import shown, with_choice
from bot.keyboards import SETTING_CHOICES
from bot.state import LienzoApp
from bot.stores.artworks import Artwork
from bot.studio.actions import Actions, CannotWrite
from bot.studio.guard import json_error, person
from bot.studio.init_data import WebAppUser
from bot.studio.links import WHICH, PictureLinks
from bot.studio.pictures import STILL_KINDS, ArtworkPictures, PictureGone, Thumbnails
from bot.texts import LANGUAGES, error_text, plain_text, t, value_label
from engine.errors import LienzoError

ARTWORKS_LISTED = 60  # the newest this many (the studio is a look back, not an archive)
FIELDS = tuple(SETTING_CHOICES)  # /settings' fields, in its panel's order


class Api:
    def __init__(self, services: Services, application: LienzoApp, links: PictureLinks,
                 thumbnails: Thumbnails, pictures: ArtworkPictures, actions: Actions) -> None:
        self.s, self.application = services, application
        self.links, self.thumbnails, self.pictures, self.actions = \
            links, thumbnails, pictures, actions
        self._sending: set[int] = set()  # people whose "Send this version" is under way

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/me", self.me)
        router.add_put("/settings", self.change_setting)
        router.add_get("/paintings", self.paintings)
        router.add_post("/next-style", self.next_style)
        router.add_post("/paint-last", self.paint_last)
        router.add_get("/artworks", self.artworks)
        router.add_post("/artworks/{job}/send", self.send_version)
        router.add_delete("/artworks/{job}", self.delete)

    # -- the person --------------------------------------------------------------------
    async def _settings(self, who: WebAppUser, lang: str) -> dict[str, str]:
        return shown(await self.s.settings_of(who.id), self.s.workers.defaults(), lang)

    async def me(self, request: web.Request) -> web.Response:
        who = person(request)
        lang = await self.s.lang(who)
        return web.json_response({
            "id": who.id, "language": lang,
            "settings": await self._settings(who, lang),
            "fields": list(FIELDS),
            "field_labels": {field: t(lang, f"page.field.{field}") for field in FIELDS},
            "choices": {field: list(SETTING_CHOICES[field]) for field in FIELDS},
            "labels": {field: {value: value_label(lang, field, value)
                               for value in SETTING_CHOICES[field]} for field in FIELDS},
            "last_photo": self.actions.has_recent_photo(who),
            "inline": bool(self.application.bot.supports_inline_queries),  # Share works
        })

    async def change_setting(self, request: web.Request) -> web.Response:
        """``{"field", "value"}``: one setting, as the /settings panel changes it."""
        who = person(request)
        body = await _body(request)
        field, value = str(body.get("field", "")), str(body.get("value", ""))
        if field not in FIELDS or value not in SETTING_CHOICES[field]:
            return json_error(400, "bad_setting",
                              t(await self.s.lang(who), "page.error.setting"))
        await asyncio.to_thread(self.s.settings.change, who.id,
                                lambda current: with_choice(current, field, value))
        lang = await self.s.lang(who)
        return web.json_response({"settings": await self._settings(who, lang), "language": lang})

    # -- the catalogue ----------------------------------------------------------------
    async def paintings(self, request: web.Request) -> web.Response:
        lang = await self.s.lang(person(request))
        listed = []
        for style in self.s.catalogue.styles.values():
            version = self.thumbnails.version(style.id)
            listed.append({
                "id": style.id, "title": style.title_in(lang),
                "titles": sorted({style.title_in(other) for other in LANGUAGES}),
                "artist": style.artist, "year": style.year,
                "thumb": f"thumbs/{style.id}-256.jpg?v={version}",
                "image": f"thumbs/{style.id}-768.jpg?v={version}"})
        return web.json_response({"paintings": listed})

    async def _style(self, request: web.Request) -> tuple[WebAppUser, str, str | None]:
        """The person, their language and the catalogue painting the body names."""
        who = person(request)
        style_id = str((await _body(request)).get("style", ""))
        return who, await self.s.lang(who), \
            style_id if style_id in self.s.catalogue.styles else None

    async def next_style(self, request: web.Request) -> web.Response:
        who, lang, style_id = await self._style(request)
        if style_id is None:
            return json_error(404, "unknown_painting", t(lang, "page.error.painting"))
        try:
            said = await self.actions.choose(who, lang, style_id)
        except CannotWrite:
            return json_error(409, "cannot_write", t(lang, "page.error.write"))
        except TelegramError:
            return json_error(503, "telegram", t(lang, "page.error.network"))
        return web.json_response({"ok": True, "message": said})

    async def paint_last(self, request: web.Request) -> web.Response:
        who, lang, style_id = await self._style(request)
        if style_id is None:
            return json_error(404, "unknown_painting", t(lang, "page.error.painting"))
        try:
            if not await self.actions.paint_last(who, lang, style_id):
                return json_error(409, "no_recent_photo", t(lang, "page.error.no_photo"))
        except LienzoError as exc:  # UserLimitReached: as the chat would say it
            return json_error(409, exc.code, plain_text(error_text(lang, exc)))
        except CannotWrite:
            return json_error(409, "cannot_write", t(lang, "page.error.write"))
        except TelegramError:
            return json_error(503, "telegram", t(lang, "page.error.network"))
        return web.json_response({"ok": True, "message": t(lang, "page.answer.painting")})

    # -- the person's artworks --------------------------------------------------------
    def _label(self, lang: str, artwork: Artwork) -> str:
        return " + ".join(style.title_in(lang) for style in
                          self.s.catalogue.known(artwork.styles)) or t(lang, "page.own_painting")

    async def artworks(self, request: web.Request) -> web.Response:
        """The person's still artworks whose photo and size are known (newest first),
        each with signed links to the page's two pictures."""
        who = person(request)
        lang = await self.s.lang(who)

        def read() -> list[tuple[Artwork, tuple[int, int]]]:
            found = self.s.artworks.of_user(who.id, limit=ARTWORKS_LISTED, kinds=STILL_KINDS)
            jobs = (self.s.jobs.status(artwork.job_id) for artwork in found)
            return [(artwork, job.meta.size) for artwork, job in zip(found, jobs, strict=True)
                    if job is not None and job.meta is not None and job.meta.size]

        listed = [{"job": artwork.job_id, "label": self._label(lang, artwork),
                   "created_at": artwork.created_at, "width": width, "height": height,
                   **{which: self.links.url(who.id, artwork.job_id, which) for which in WHICH}}
                  for artwork, (width, height) in await asyncio.to_thread(read)]
        return web.json_response({"artworks": listed})

    async def send_version(self, request: web.Request) -> web.Response:
        """``{"mix": 0-100}``: the painting over its photo, sent into the chat; one at a
        time per person (each is a full-size picture's work)."""
        who = person(request)
        lang = await self.s.lang(who)
        artwork = await asyncio.to_thread(self.s.artworks.one, who.id, request.match_info["job"])
        if artwork is None:
            return json_error(404, "not_found", t(lang, "page.error.artwork"))
        percent = (await _body(request)).get("mix", 100)
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            return json_error(400, "bad_mix", t(lang, "page.error.mix"))
        if who.id in self._sending:
            return json_error(429, "busy", t(lang, "page.error.busy"), {"Retry-After": "1"})
        self._sending.add(who.id)
        try:
            await self.actions.send_mix(who, lang, artwork, percent, self._label(lang, artwork))
        except PictureGone:
            return json_error(410, "gone", t(lang, "page.error.gone"))
        except CannotWrite:
            return json_error(409, "cannot_write", t(lang, "page.error.write"))
        except TelegramError:
            return json_error(503, "telegram", t(lang, "page.error.network"))
        finally:
            self._sending.discard(who.id)
        return web.json_response({"ok": True, "message": t(lang, "page.answer.sent")})

    async def delete(self, request: web.Request) -> web.Response:
        who = person(request)
        job_id = request.match_info["job"]
        if not await asyncio.to_thread(self.s.artworks.delete, who.id, job_id):
            return json_error(404, "not_found",
                              t(await self.s.lang(who), "page.error.artwork"))
        self.pictures.forget(job_id)
        return web.json_response({"ok": True})


async def _body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; an empty one for anything else."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

