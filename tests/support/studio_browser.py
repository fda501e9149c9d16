"""The studio opened in a real browser, as Telegram opens it: headless Chromium
(Debian's ``chromium``, which ``make test`` installs: Playwright's own browser
download needs the internet) driven by Playwright, with Telegram's
``telegram-web-app.js`` replaced by ``tests/support/studio/telegram-web-app.js``
(a stub that builds ``Telegram.WebApp`` from the launch the fake Bot API signed,
``tests.support.fake_webapps.WebAppLaunch``, and draws the MainButton and
BackButton as buttons a test can press).

``LIENZO_SCREENSHOTS=<folder>`` makes ``screenshot`` keep its pictures there (the
docs' are made so: docs/studio/); otherwise they go to the test's tmp folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from playwright.async_api import Browser, Page, ViewportSize, async_playwright

PUBLIC = "https://studio.example.org"  # LIENZO_PUBLIC_URL in the tests
CHROMIUM = "/usr/bin/chromium"
STUB = Path(__file__).parent / "studio" / "telegram-web-app.js"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=800)
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999",
         "link_color": "#2481cc", "button_color": "#2481cc", "button_text_color": "#ffffff",
         "secondary_bg_color": "#efeff3", "section_bg_color": "#ffffff"}


def tampered(init_data: str, **changes: str) -> str:
    """initData with fields changed and the old hash kept."""
    fields = dict(parse_qsl(init_data, keep_blank_values=True)) | changes
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


class StudioPage:
    """One studio page in the browser; ``errors``: the page's uncaught errors and
    console errors (a CSP violation is one), but not a picture the server could not
    give (the tests' catalogue has images for three paintings: the others' thumbnails
    are 503, as when Wikimedia is down)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)

    async def until(self, expression: str, timeout: float = 10.0) -> None:
        """Wait until ``expression`` is true in the page.  Playwright's
        ``wait_for_function`` builds a function from text in the page, which the
        studio's CSP (no 'unsafe-eval') rightly refuses; ``evaluate`` goes through
        the DevTools protocol instead."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await self.page.evaluate(expression):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the page never had {expression}")
            await asyncio.sleep(0.05)

    async def main_button(self) -> None:
        await self.page.click("#tg-main-button")

    async def dismiss(self) -> None:
        """Press OK on the alert Telegram shows (``showAlert``), as a person would."""
        await self.page.click("#tg-alert-ok")

    async def alerts(self) -> list[str]:
        calls = await self.page.evaluate("window.__tg_calls")
        return [c["args"][0] for c in calls if c["method"] == "showAlert"]

    async def screenshot(self, name: str, fallback: Path) -> Path:
        folder = Path(os.environ.get("LIENZO_SCREENSHOTS") or fallback)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await asyncio.sleep(0.5)  # the page's fade-ins (0.25 s) over
        await self.page.screenshot(path=str(path))
        return path


async def open_studio(browser: Browser, port: int, launch: Any, *,
                      viewport: ViewportSize | None = None, theme: dict | None = None,
                      scheme: str = "light") -> StudioPage:
    """The studio at ``launch``'s address (query included), served by the bot on
    ``port``, with ``launch``'s initData."""
    context = await browser.new_context(viewport=viewport or PHONE)
    page = await context.new_page()
    studio = StudioPage(page)
    await page.route(TELEGRAM_SCRIPT + "*", lambda route: route.fulfill(
        path=str(STUB), content_type="application/javascript"))
    given = {"initData": launch.init_data, "initDataUnsafe": launch.init_data_unsafe,
             "themeParams": theme or LIGHT, "colorScheme": scheme, "platform": "tdesktop"}
    await page.add_init_script(f"window.__TG_LAUNCH__ = {json.dumps(given)};")
    path_and_query = launch.url.split("/app/", 1)[1].split("#", 1)[0]
    await page.goto(f"http://127.0.0.1:{port}/app/{path_and_query}")
    return studio
