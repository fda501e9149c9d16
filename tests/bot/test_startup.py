"""The start-up checks (bot/startup.py) in process: a port taken after the check, a
data dir that refuses files.  ``lienzo bot`` failing to start for real, one line on
stderr and exit status 2: tests/e2e/test_startup.py."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from bot import startup
from bot.startup import StartupError, start_site


@pytest.mark.asyncio
async def test_a_port_taken_after_the_check_is_said_in_one_line_too():
    """``check_port`` runs first; ``start_site`` catches a port taken since."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runner = web.AppRunner(web.Application())
        await runner.setup()
        try:
            with pytest.raises(StartupError, match=f"^port {port} is already in use; set "
                                                   "LIENZO_HTTP_PORT to a free port.$"):
                await start_site(web.TCPSite(runner, "127.0.0.1", port), port)
        finally:
            await runner.cleanup()


def test_a_data_dir_refusing_files_names_it_and_the_variable(tmp_path, monkeypatch):
    """What the read-only case says, where the tests run as root (root writes anyway)."""
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(startup.tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(StartupError) as raised:
        startup.check_data_dir(tmp_path)
    assert str(raised.value) == (f"cannot write to the data dir {tmp_path} (Permission denied); "
                                 "set LIENZO_DATA_DIR to a writable folder.")
