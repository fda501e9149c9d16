"""``lienzo bot``'s start-up checks: whatever stops the bot from running is said in
one line (``lienzo bot: <reason>``, exit status 2), never a traceback.

``check`` runs before anything starts (no worker, no call to Telegram, no log
line yet), so a failure leaves nothing to clean up: the data dir must take a
file, the queue must answer, the HTTP port must be free.  The port is checked
again where the server really binds it (``start_site``), as another process
can take it in between.  A local engine worker with a configuration error
(``LocalWorkers.failure``) stops the bot the same way, whenever it happens:
restarting cannot heal a missing weights file (``stop_on_worker_failure``).
A token Telegram refuses is handled by ``bot.app.main`` (PTB's ``InvalidToken``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import BotConfig
from bot.local_workers import LocalWorkers
from engine.errors import LienzoError
from engine.queue import JobQueue, QueueUnavailable, redact

log = logging.getLogger("lienzo.startup")


class StartupError(LienzoError):
    """The bot cannot run as configured; the message is the one line to show."""

    code = "startup"


def check(config: BotConfig) -> None:
    """Everything ``lienzo bot`` needs that can be checked before starting it."""
    check_data_dir(config.data_dir)
    check_queue(config.engine.queue_url)
    check_port(config.http_port)


def check_data_dir(path: Path) -> None:
    """The data dir exists (it is created if need be) and takes a new file."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".lienzo-write-test-"):
            pass
    except OSError as exc:
        reason = "not a folder" if path.exists() and not path.is_dir() else \
            exc.strerror or str(exc)
        raise StartupError(f"cannot write to the data dir {path} ({reason}); set "
                           "LIENZO_DATA_DIR to a writable folder.") from None


def check_queue(url: str) -> None:
    """The queue store answers (Redis is up).  A malformed URL is a QueueConfigError,
    which says what is wrong with it."""
    try:
        queue = JobQueue(url)
    except LienzoError:
        raise
    except Exception as exc:  # SQLite cannot create its file, ...
        raise _unreachable(url, exc) from None
    try:
        queue.ping()
    except QueueUnavailable as exc:
        raise _unreachable(url, exc.__cause__ or exc) from None
    finally:
        queue.close()


def _unreachable(url: str, cause: BaseException) -> StartupError:
    reason = str(cause).strip().rstrip(".") or type(cause).__name__
    password = urlsplit(url).password
    if password:
        reason = reason.replace(password, "***")
    return StartupError(f"cannot reach the queue at {redact(url)} ({reason}); start it, or "
                        "set LIENZO_QUEUE_URL to where it runs.")


def check_port(port: int) -> None:
    """Nothing listens on the HTTP port: bound and released at once, as aiohttp
    will bind it (all addresses, ``SO_REUSEADDR`` as asyncio sets it)."""
    if port == 0:  # any free port
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OverflowError:
            raise StartupError(f"LIENZO_HTTP_PORT must be 0-65535, not {port}.") from None
        except OSError as exc:
            raise port_error(port, exc) from None


def port_error(port: int, exc: OSError) -> StartupError:
    if exc.errno == errno.EADDRINUSE:
        return StartupError(f"port {port} is already in use; set LIENZO_HTTP_PORT to a "
                            "free port.")
    return StartupError(f"cannot listen on port {port} ({exc.strerror or exc}); set "
                        "LIENZO_HTTP_PORT to another port.")


async def start_site(site: web.TCPSite, port: int) -> None:
    """``site.start()``, with a port taken since ``check_port`` said in one line."""
    try:
        await site.start()
    except OSError as exc:
        raise port_error(port, exc) from None


def watch_worker_failure(workers: LocalWorkers | None, stop: asyncio.Event) -> asyncio.Task | None:
    """Start ``stop_on_worker_failure`` (None without local workers); cancel it when done."""
    if workers is None:
        return None
    return asyncio.create_task(stop_on_worker_failure(workers, stop), name="worker-failure")


async def stop_on_worker_failure(workers: LocalWorkers, stop: asyncio.Event,
                                 every_s: float = 0.5) -> None:
    """Set ``stop`` once a local worker reports a configuration error; the bot then
    shuts down and ``raise_worker_failure`` turns it into its one line."""
    while not stop.is_set():
        if workers.failure:
            log.error("stopping: %s", workers.failure)
            stop.set()
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


def raise_worker_failure(workers: LocalWorkers | None) -> None:
    """After a shutdown: raise StartupError if a local worker's failure caused it."""
    failure = workers.failure if workers is not None else None
    if failure:
        raise StartupError(failure)
