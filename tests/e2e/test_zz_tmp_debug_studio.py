import pytest
from tests.e2e.test_studio import PUBLIC
from tests.support.bot_harness import lienzo_bot
from tests.support.studio_browser import chromium, open_studio


@pytest.mark.asyncio
async def test_debug(telegram, tmp_path, monkeypatch, engine_worker, assets):
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_PUBLIC_URL=PUBLIC) as bot, chromium() as browser:
        ana = telegram.user(2401, "Ana")
        launch = ana.open_menu_app()
        print("URL", launch.url)
        studio = await open_studio(browser, bot.config.http_port, launch)
        await studio.page.wait_for_selector("[data-painting='the_scream']")
        print(await studio.page.evaluate("""[getComputedStyle(document.documentElement).getPropertyValue('--top-inset'),
          getComputedStyle(document.documentElement).getPropertyValue('--tg-content-safe-area-inset-top'),
          getComputedStyle(document.documentElement).getPropertyValue('--tg-safe-area-inset-top'),
          getComputedStyle(document.querySelector('.topbar')).paddingTop,
          document.documentElement.getAttribute('style'), location.href]"""))
