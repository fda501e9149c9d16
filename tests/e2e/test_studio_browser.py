"""The studio in a real browser (issue 23): headless Chromium opens the page as
Telegram would, with initData the fake Bot API signed (tests.support.studio_browser),
against the bot with a real engine worker.  A painting picked there paints the
next photo; a setting changed there is what /settings shows; an artwork mixed there
is sent into the chat, mixed as the page shows it; tampered initData shows a plain
error.  Screenshots of the three pages, phone and desktop, are taken on the way
(LIENZO_SCREENSHOTS=docs/studio keeps them: the docs' are made so, with
LIENZO_SCREENSHOT_STYLES=<a folder of real paintings> for the bot's thumbnails; the
worker paints with the tests' tiny styles on random weights either way)."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pytest
import pytest_asyncio
from PIL import Image

from bot.texts import t
from tests.support.bot_harness import JOB_S, artwork, job_of, lienzo_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.studio_browser import (
    DESKTOP,
    PHONE,
    PUBLIC,
    chromium,
    open_studio,
    tampered,
)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)


@pytest_asyncio.fixture
async def inline_telegram():
    async with FakeTelegram(bot_username="LienzoBot", inline=True) as tg:
        yield tg


@pytest.mark.asyncio
async def test_pick_tune_and_mix_in_the_studio(
        inline_telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = inline_telegram
    thumbnails = os.environ.get("LIENZO_SCREENSHOT_STYLES") or str(assets.styles_dir)
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC, LIENZO_STYLES_DIR=thumbnails
                          ) as bot, chromium() as browser:
        port = bot.config.http_port
        ana = tg.user(2401, "Ana")
        studio = await open_studio(browser, port, ana.open_menu_app())
        page = studio.page

        # Paintings: the grid, a search in Spanish, a painting's page, "use for my next photo".
        await page.wait_for_selector("[data-painting='the_scream']")
        await studio.screenshot("paintings-phone", tmp_path)
        await page.fill("#search", "grito")
        await page.wait_for_selector("[data-painting='starry_night']", state="hidden")
        assert await page.is_visible("[data-painting='the_scream']")
        await page.click("[data-painting='the_scream']")
        await page.wait_for_selector("#painting-page", state="visible")
        assert not await page.is_visible("#paint-last")  # no photo yet
        await studio.main_button()
        chosen = await tg.wait_for_message(ana.chat, "The Scream")
        label = "The Scream — Edvard Munch"  # as the style picker says it (style_label)
        assert chosen.content == t("en", "style.chosen", style=label).replace(
            "<b>", "").replace("</b>", "")
        await studio.until("window.__tg_calls.some(c => c.method === 'showAlert')")
        assert await studio.alerts() == [t("en", "page.answer.chosen", style=label)]
        await studio.dismiss()

        sent = await ana.send_photo(ana.chat, assets.photo(31))  # no caption: the choice
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        assert "The Scream" in art.caption
        job = job_of(art)
        await bot.kept(job)

        # The painting's own "🎨 Studio" button opens the studio at "My paintings".
        beside = await open_studio(browser, port, ana.open_web_app_button(
            art, t("en", "button.studio")))
        await beside.page.wait_for_selector(f"[data-job='{job}']", state="visible")
        assert await beside.page.get_attribute("[data-tab='artworks']", "aria-selected") == "true"

        # Settings: strength up with the slider, colours with a button; the chat agrees.
        await page.click("[data-tab='settings']")
        await page.wait_for_selector("input[data-field='strength']")
        await studio.screenshot("settings-phone", tmp_path)
        await page.fill("input[data-field='strength']", "2")  # low, medium, high, max
        await page.click("button[data-field='colors'][data-value='keep']")
        await page.wait_for_selector("#saved", state="visible")
        await studio.until(
            "document.querySelector(\"button[data-field='colors'][data-value='keep']\")"
            ".getAttribute('aria-pressed') === 'true'")
        sent = await ana.send_text(ana.chat, "/settings")
        panel = await tg.wait_for_message(ana.chat, after=sent)
        assert "Strength: Strong" in panel.content and "Colours: My photo's" in panel.content

        # My paintings: the artwork, mixed at 40 %, sent into the chat as the page shows it.
        await page.click("[data-tab='artworks']")
        await page.click(f"[data-job='{job}']")
        await page.wait_for_selector("#artwork-page", state="visible")
        await page.fill("#mix", "0")  # the plain photo: nothing to send
        assert await page.is_disabled("#tg-main-button")
        await page.fill("#mix", "40")
        await page.fill("#compare", "50")
        await studio.screenshot("artwork-phone", tmp_path)
        photos_before = len(tg.calls_to("sendPhoto", ana.chat))
        await studio.main_button()
        mixed = await tg.wait_for_message(ana.chat, "40%", timeout=30)
        assert len(tg.calls_to("sendPhoto", ana.chat)) == photos_before + 1
        assert mixed.caption == t("en", "studio.mix_caption", style="The Scream", percent=40)
        painting = pixels(art.file_bytes)
        photo = Image.open(io.BytesIO(assets.photo(31))).convert("RGB").resize(
            (painting.shape[1], painting.shape[0]), Image.Resampling.LANCZOS)
        expected = np.asarray(photo, dtype=np.float64) * 0.6 + painting * 0.4
        got = pixels(mixed.file_bytes)
        assert got.shape == expected.shape
        assert np.abs(got - expected).mean() < 6  # JPEG twice, and a resize
        assert np.abs(got - painting).mean() > 2 * np.abs(got - expected).mean()
        await studio.until("window.__tg_calls.filter(c => c.method === 'showAlert').length == 2")
        assert (await studio.alerts())[-1] == t("en", "page.answer.sent")
        await studio.dismiss()

        await page.click("#share")
        calls = await page.evaluate("window.__tg_calls")
        assert {"method": "switchInlineQuery",
                "args": [job, ["users", "groups", "channels"]]} in calls

        # "Paint my last photo": the photo again, in another painting.
        await page.click("#tg-back-button")
        await page.wait_for_selector("#artwork-page", state="hidden")
        await page.click("[data-tab='paintings']")
        await page.fill("#search", "")
        await page.click("[data-painting='great_wave']")
        await page.click("#paint-last")
        await page.wait_for_selector("#paint-last", state="detached")  # one tap, one painting
        await studio.until("window.__tg_calls.filter(c => c.method === 'showAlert').length == 3")
        assert (await studio.alerts())[-1] == t("en", "page.answer.painting")
        await studio.dismiss()
        again = await tg.wait_for_message(
            ana.chat, lambda m: artwork(m) and "Great Wave" in (m.caption or ""),
            timeout=JOB_S, after=art)
        assert again.message_id > art.message_id
        assert studio.errors == []

        # The same pages at desktop width, in the dark.
        wide = await open_studio(browser, port, ana.open_menu_app(), viewport=DESKTOP,
                                 theme={"bg_color": "#17212b", "text_color": "#f5f5f5",
                                        "button_color": "#5288c1", "hint_color": "#708499",
                                        "secondary_bg_color": "#232e3c"}, scheme="dark")
        await wide.page.wait_for_selector("[data-painting='the_scream']")
        await wide.screenshot("paintings-desktop", tmp_path)
        await wide.page.click("[data-tab='settings']")
        await wide.page.wait_for_selector("input[data-field='strength']")
        await wide.screenshot("settings-desktop", tmp_path)
        await wide.page.click("[data-tab='artworks']")
        await wide.page.click(f"[data-job='{job}']")
        await wide.page.wait_for_selector("#artwork-page", state="visible")
        await wide.screenshot("artwork-desktop", tmp_path)

        # Delete, after Telegram's confirmation: gone from the page and from /gallery.
        await wide.page.click("#delete")
        await wide.page.wait_for_selector("#artwork-page", state="hidden")
        await wide.page.wait_for_selector(f"[data-job='{job}']", state="detached")
        sent = await ana.send_text(ana.chat, "/gallery")
        gallery = await tg.wait_for_message(ana.chat, after=sent)
        assert "The Scream" not in gallery.content
        assert wide.errors == []


@pytest.mark.asyncio
async def test_tampered_init_data_shows_a_plain_error(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC) as bot, chromium() as browser:
        eva = tg.user(2402, "Eva", language_code="es")
        launch = eva.open_menu_app()
        launch.init_data = tampered(launch.init_data, user='{"id":1,"first_name":"Mallory"}')
        studio = await open_studio(browser, bot.config.http_port, launch, viewport=PHONE)
        fatal = await studio.page.wait_for_selector("#fatal", state="visible")
        assert (await fatal.inner_text()).strip() == t("es", "page.error.auth")
        assert not await studio.page.is_visible("[data-painting]")

        # Telegram's own data, only older than LIENZO_WEBAPP_MAX_AGE: "open it again".
        stale = eva.open_menu_app(auth_date=int(time.time()) - 2 * 86400)
        studio = await open_studio(browser, bot.config.http_port, stale, viewport=PHONE)
        fatal = await studio.page.wait_for_selector("#fatal", state="visible")
        assert (await fatal.inner_text()).strip() == t("es", "page.error.expired")
