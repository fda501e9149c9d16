"""The studio's server side (issue 23) against the fake Bot API with a real worker: on
only with LIENZO_PUBLIC_URL, the menu button, only Telegram's signed word opens the
API, each person reaches only their own things, the rate limit, the group's way in.
What the page does in a browser is tests/e2e/test_studio_browser.py."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qsl

import aiohttp
import pytest

from bot.stores.artworks import Artwork, Artworks
from bot.texts import t
from tests.support.bot_harness import JOB_S, artwork, lienzo_bot
from tests.support.fake_webapps import sign_init_data
from tests.support.studio_browser import PUBLIC, tampered


async def call(bot, method: str, path: str, init_data: str | None = None, body=None,
               headers: dict | None = None) -> tuple[int, dict | bytes, dict]:
    """One request to the bot's web server: status, JSON (or bytes), headers."""
    sent = dict(headers or {})
    if init_data is not None:
        sent["Authorization"] = f"tma {init_data}"
    async with aiohttp.ClientSession() as http:
        async with http.request(method, f"http://127.0.0.1:{bot.config.http_port}{path}",
                                json=body, headers=sent, allow_redirects=False) as r:
            data = await r.json() if r.content_type == "application/json" else await r.read()
            return r.status, data, dict(r.headers)


@pytest.mark.asyncio
async def test_the_studio_is_off_without_a_public_url(
        telegram, tmp_path, monkeypatch, engine_worker, assets, caplog):
    tg = telegram
    caplog.set_level("INFO", logger="lienzo.app")
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC):
        ana = tg.user(2301, "Ana")
        assert ana.menu_button()["type"] == "web_app"
    ours, polls = len(tg.calls_to("setChatMenuButton")), len(tg.calls_to("getUpdates"))
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL="") as bot:
        # (the harness's "started" is the first run's getUpdates: wait for this run's)
        await tg.wait_for(lambda _: len(tg.calls_to("getUpdates")) > polls, 30,
                          "the second run to poll")
        assert len(tg.calls_to("setChatMenuButton")) == ours + 1
        assert ana.menu_button() == {"type": "commands"}  # the last run's studio button goes
        for path in ("/app/", "/app/api/me", "/app/texts"):
            assert (await call(bot, "GET", path))[0] == 404
        sent = await ana.send_text(ana.chat, "/start studio")
        welcome = await tg.wait_for_message(ana.chat, after=sent)
        assert welcome.content.startswith("👋") and not welcome.buttons
    assert any("studio: off" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_only_telegrams_signed_word_opens_the_api(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC, LIENZO_WEBAPP_MAX_AGE="120") as bot:
        ana = tg.user(2302, "Ana", language_code="es")
        button = ana.menu_button()
        assert button["type"] == "web_app" and button["web_app"]["url"] == f"{PUBLIC}/app/"

        status, page, headers = await call(bot, "GET", "/app/")
        assert status == 200 and b"telegram-web-app.js" in page
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self' https://telegram.org;" in csp and "default-src 'none'" in csp
        status, _, headers = await call(bot, "GET", "/app")
        assert (status, headers["Location"]) == (301, "app/")  # relative: behind a prefix too

        good = ana.open_menu_app().init_data
        status, me, _ = await call(bot, "GET", "/app/api/me", good)
        assert status == 200 and me["id"] == ana.id and me["language"] == "es"
        assert me["settings"]["strength"] == "medium" and not me["last_photo"]

        bob_user = '{"id":2303,"first_name":"Bob"}'
        refused = {
            "no header": None,
            "junk": "hello",
            "another person": tampered(good, user=bob_user),
            "a changed date": tampered(good, auth_date=str(int(time.time()) - 10)),
            "another bot's": sign_init_data("999:another-bot", {
                k: v for k, v in parse_qsl(good) if k != "hash"}),
        }
        for why, init_data in refused.items():
            for method, path in (("GET", "/app/api/me"), ("GET", "/app/api/artworks"),
                                 ("PUT", "/app/api/settings")):
                status, body, _ = await call(bot, method, path, init_data,
                                             body={"field": "strength", "value": "high"})
                assert (status, body) == (401, {"error": "unauthorized"}), (why, path)
        stale = ana.open_menu_app(auth_date=int(time.time()) - 300).init_data
        assert (await call(bot, "GET", "/app/api/me", stale))[:2] == (401, {"error": "expired"})
        for scheme in ("Bearer", "tma:", "TMA"):
            assert (await call(bot, "GET", "/app/api/me", headers={
                "Authorization": f"{scheme} {good}"}))[0] == (200 if scheme == "TMA" else 401)
        status, me, _ = await call(bot, "GET", "/app/api/me", good)
        assert me["settings"]["strength"] == "medium"  # no refused call changed anything

        status, texts, _ = await call(bot, "GET", "/app/texts?lang=es")
        assert status == 200 and texts["texts"]["page.tab.paintings"] == t("es",
                                                                          "page.tab.paintings")
        assert "page.answer.chosen" not in texts["texts"]  # the API's, with its painting


@pytest.mark.asyncio
async def test_a_person_reaches_only_their_own_things(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC) as bot:
        ana, bob = tg.user(2304, "Ana"), tg.user(2305, "Bob")
        store = Artworks(bot.config.data_dir / "artworks.db")
        photo = tg._store_photo(assets.photo(5), source="bot")[-1].file_id
        store.add(Artwork(bob.id, "bobsjob", photo, "photo", ("great_wave",), time.time()),
                  ["great_wave"])
        store.close()
        as_ana = ana.open_menu_app().init_data

        status, body, _ = await call(bot, "DELETE", "/app/api/artworks/bobsjob", as_ana)
        assert status == 404 and body["error"] == "not_found"
        status, body, _ = await call(bot, "POST", "/app/api/artworks/bobsjob/send", as_ana,
                                     body={"mix": 50})
        assert status == 404
        assert not tg.calls_to("sendPhoto")
        forged = f"/app/pictures/bobsjob/painting.jpg?u={ana.id}&e={int(time.time()) + 60}&s=00"
        assert (await call(bot, "GET", forged))[0] == 403
        assert (await call(bot, "GET", "/app/pictures/bobsjob/painting.jpg"))[0] == 403
        status, body, _ = await call(bot, "GET", "/app/api/artworks", as_ana)
        assert body == {"artworks": []}
        as_bob = bob.open_menu_app().init_data
        assert (await call(bot, "DELETE", "/app/api/artworks/bobsjob", as_bob))[0] == 200

        # Bad input: a clear answer in the person's language, nothing changed.
        status, body, _ = await call(bot, "PUT", "/app/api/settings", as_ana,
                                     body={"field": "strength", "value": "eleven"})
        assert status == 400 and body["message"] == t("en", "page.error.setting")
        status, body, _ = await call(bot, "POST", "/app/api/next-style", as_ana,
                                     body={"style": "../etc/passwd"})
        assert status == 404 and body["message"] == t("en", "page.error.painting")
        status, body, _ = await call(bot, "POST", "/app/api/paint-last", as_ana,
                                     body={"style": "great_wave"})
        assert status == 409 and body["message"] == t("en", "page.error.no_photo")
        status, _, _ = await call(bot, "PUT", "/app/api/settings", as_ana, body=[1, 2])
        assert status == 400

        # The rate limit is per person: Ana's flood leaves Bob alone.
        results = await asyncio.gather(*(call(bot, "GET", "/app/api/me", as_ana)
                                         for _ in range(140)))
        limited = [r for r in results if r[0] == 429]
        assert limited and limited[0][2]["Retry-After"] == "1"
        assert limited[0][1]["error"] == "rate_limited"
        assert (await call(bot, "GET", "/app/api/me", as_bob))[0] == 200


@pytest.mark.asyncio
async def test_a_groups_studio_button_leads_to_the_private_chat(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC) as bot:
        ana = tg.user(2306, "Ana")
        group = tg.group("Friends", members=[ana])
        sent = await ana.send_photo(group, assets.photo(23),
                                    caption="/style@LienzoBot great_wave")
        art = await tg.wait_for_message(group, artwork, timeout=JOB_S, after=sent)
        link = art.button(t("en", "button.studio"))
        assert link["url"] == "https://t.me/LienzoBot?start=studio" and "web_app" not in link

        offer = await ana.open_deep_link(link["url"])
        opened = await tg.wait_for_message(ana.chat, after=offer)
        assert opened.content == t("en", "studio.open").replace("<b>", "").replace("</b>", "")
        launch = ana.open_web_app_button(opened, t("en", "button.studio"))
        assert launch.url == f"{PUBLIC}/app/?open=paintings"
        status, me, _ = await call(bot, "GET", "/app/api/me", launch.init_data)
        assert status == 200 and me["id"] == ana.id

        # In the private chat, a result's "🎨 Studio" opens the studio itself.
        sent = await ana.send_photo(ana.chat, assets.photo(24), caption="/style great_wave")
        mine = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        assert mine.button(t("en", "button.studio"))["web_app"]["url"] == \
            f"{PUBLIC}/app/?open=artworks"
