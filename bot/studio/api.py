"""The studio's JSON API, ``/app/api/`` (``bot.studio``; the routes and their answers
are listed in docs/architecture.md, "The studio").

Every route but ``texts`` is for one checked person (``guard.person``), reads and
changes only their own things, and answers in their language: their /settings
choice, else Telegram's ``language_code``.  A refusal is ``{"error": code,
"message": text}`` with a 4xx status; the page shows the message.
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
from bot.studio.links import PictureLinks
from bot.studio.pictures import STILL_KINDS, ArtworkPictures, PictureGone, Thumbnails
from bot.texts import CATALOGUES, LANGUAGES, language_for, placeholders, t, value_label

ARTWORKS_LISTED = 60  # the newest this many (the studio is a look back, not an archive)
FIELDS = ("strength", "colors", "brush", "faces", "previews", "quality", "size", "language")


class Api:
    def __init__(self, services: Services, application: LienzoApp, links: PictureLinks,
                 thumbnails: Thumbnails, pictures: ArtworkPictures, actions: Actions) -> None:
        self.s, self.application = services, application
        self.links, self.thumbnails, self.pictures, self.actions = \
            links, thumbnails, pictures, actions

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/texts", self.texts)
        router.add_get("/api/me", self.me)
        router.add_put("/api/settings", self.change_setting)
        router.add_get("/api/paintings", self.paintings)
        router.add_post("/api/next-style", self.next_style)
        router.add_post("/api/paint-last", self.paint_last)
        router.add_get("/api/artworks", self.artworks)
        router.add_post("/api/artworks/{job}/send", self.send_version)
        router.add_delete("/api/artworks/{job}", self.delete)

    async def _lang(self, who: WebAppUser) -> str:
        chosen = (await self.s.settings_of(who.id)).language
        return chosen or language_for(who.language_code)

    # -- the page's words, and the person ---------------------------------------------
    async def texts(self, request: web.Request) -> web.Response:
        """The page's texts (``page.*`` without placeholders: those with one are the
        API's answers, formatted here) in a language: public, they name nobody."""
        lang = language_for(request.query.get("lang"))
        keys = [key for key, template in CATALOGUES["en"].items()
                if key.startswith("page.") and not placeholders(template)]
        return web.json_response({"lang": lang, "texts": {key: t(lang, key) for key in keys}})

    async def _settings(self, who: WebAppUser, lang: str) -> dict[str, str]:
        return shown(await self.s.settings_of(who.id), self.s.workers.defaults(), lang)

    async def me(self, request: web.Request) -> web.Response:
        who = person(request)
        lang = await self._lang(who)
        return web.json_response({
            "id": who.id, "first_name": who.first_name, "language": lang,
            "settings": await self._settings(who, lang),
            "fields": list(FIELDS),
            "field_labels": {field: t(lang, f"page.field.{field}") for field in FIELDS},
            "choices": {field: list(SETTING_CHOICES[field]) for field in FIELDS},
            "labels": {field: {value: value_label(lang, field, value)
                               for value in SETTING_CHOICES[field]} for field in FIELDS},
            "last_photo": self.actions.last_photo_at(who) is not None,
            "bot_username": self.application.bot.username,
        })

    async def change_setting(self, request: web.Request) -> web.Response:
        """``{"field", "value"}``: one setting, as the /settings panel changes it."""
        who = person(request)
        body = await _body(request)
        field, value = str(body.get("field", "")), str(body.get("value", ""))
        if field not in FIELDS or value not in SETTING_CHOICES[field]:
            return json_error(400, "bad_setting", t(await self._lang(who), "page.error.setting"))
        await asyncio.to_thread(self.s.settings.change, who.id,
                                lambda current: with_choice(current, field, value))
        lang = await self._lang(who)
        return web.json_response({"settings": await self._settings(who, lang), "language": lang})

    # -- the catalogue ----------------------------------------------------------------
    async def paintings(self, request: web.Request) -> web.Response:
        lang = await self._lang(person(request))
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
        return who, await self._lang(who), \
            style_id if style_id in self.s.catalogue.styles else None

    async def next_style(self, request: web.Request) -> web.Response:
        who, lang, style_id = await self._style(request)
        if style_id is None:
            return json_error(404, "unknown_painting", t(lang, "page.error.painting"))
        try:
            said = await self.actions.choose(who, lang, style_id)
        except CannotWrite:
            return json_error(409, "cannot_write", t(lang, "page.error.write"))
        return web.json_response({"ok": True, "message": said})

    async def paint_last(self, request: web.Request) -> web.Response:
        who, lang, style_id = await self._style(request)
        if style_id is None:
            return json_error(404, "unknown_painting", t(lang, "page.error.painting"))
        if not await self.actions.paint_last(who, lang, style_id):
            return json_error(409, "no_recent_photo", t(lang, "page.error.no_photo"))
        return web.json_response({"ok": True, "message": t(lang, "page.answer.painting")})

    # -- the person's artworks --------------------------------------------------------
    def _label(self, lang: str, artwork: Artwork) -> str:
        return " + ".join(style.title_in(lang) for style in
                          self.s.catalogue.known(artwork.styles)) or t(lang, "page.own_painting")

    async def artworks(self, request: web.Request) -> web.Response:
        """The person's still artworks whose photo is known (newest first), each with
        signed links to the page's two pictures."""
        who = person(request)
        lang = await self._lang(who)
        found = await asyncio.to_thread(self.s.artworks.of_user, who.id, "", 0, ARTWORKS_LISTED)
        listed: list[dict[str, Any]] = []
        for artwork in found:
            job = await self.s.jobs.astatus(artwork.job_id)
            if artwork.kind not in STILL_KINDS or job is None or job.meta is None:
                continue
            width, height = job.meta.size or (0, 0)
            listed.append({
                "job": artwork.job_id, "label": self._label(lang, artwork),
                "created_at": artwork.created_at, "width": width, "height": height,
                **{which: self.links.url(who.id, artwork.job_id, which)
                   for which in ("photo", "painting")}})
        return web.json_response({"artworks": listed})

    async def _artwork(self, who: WebAppUser, job_id: str) -> Artwork | None:
        return await asyncio.to_thread(self.s.artworks.one, who.id, job_id)

    async def send_version(self, request: web.Request) -> web.Response:
        """``{"mix": 0-100}``: the painting over its photo, sent into the chat."""
        who = person(request)
        lang = await self._lang(who)
        artwork = await self._artwork(who, request.match_info["job"])
        if artwork is None:
            return json_error(404, "not_found", t(lang, "page.error.artwork"))
        try:
            percent = int((await _body(request)).get("mix", 100))
        except (TypeError, ValueError):
            percent = -1
        if not 0 <= percent <= 100:
            return json_error(400, "bad_mix", t(lang, "page.error.mix"))
        try:
            await self.actions.send_mix(who, lang, artwork, percent, self._label(lang, artwork))
        except PictureGone:
            return json_error(410, "gone", t(lang, "page.error.gone"))
        except CannotWrite:
            return json_error(409, "cannot_write", t(lang, "page.error.write"))
        except TelegramError:
            return json_error(503, "telegram", t(lang, "page.error.network"))
        return web.json_response({"ok": True, "message": t(lang, "page.answer.sent")})

    async def delete(self, request: web.Request) -> web.Response:
        who = person(request)
        job_id = request.match_info["job"]
        if not await asyncio.to_thread(self.s.artworks.delete, who.id, job_id):
            return json_error(404, "not_found", t(await self._lang(who), "page.error.artwork"))
        self.pictures.forget(job_id)
        return web.json_response({"ok": True})


async def _body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; an empty one for anything else."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
