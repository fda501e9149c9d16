"""The bot's HTTP side (aiohttp): health, metrics and the Telegram webhook.

One small server on ``LIENZO_HTTP_PORT``:
- ``GET /healthz`` — 200 when the queue store answers and an engine worker is
  alive, else 503 with the reason, with the details as JSON (for load
  balancers and humans);
- ``GET /metrics`` — Prometheus text format (live workers, the oldest queued
  job's age, …);
- ``POST /telegram`` (webhook mode only) — updates from Telegram, accepted only
  with the right ``X-Telegram-Bot-Api-Secret-Token`` header, recorded in the
  inbox before Telegram gets its 200 (``bot.inbox``), then handed to PTB's
  update queue (PTB's "custom webhook" pattern);
- ``/app/…`` (with ``LIENZO_PUBLIC_URL``) — the studio, a Telegram Mini App
  (``bot.studio``), mounted as its own aiohttp application.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.engine_view import EngineView
from bot.inbox import Inbox
from bot.jobs import JobService
from bot.metrics import Metrics
from engine.queue import Heartbeat

log = logging.getLogger("lienzo.web")

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STUDIO_PATH = "/app"


def create_web_app(application: Application[Any, Any, Any, Any, Any, Any], jobs: JobService,
                   metrics: Metrics, engine: EngineView, inbox: Inbox,
                   webhook_secret: str | None, studio: web.Application | None = None
                   ) -> web.Application:
    def refresh() -> tuple[bool, dict[str, Heartbeat]]:
        """Read the figures (blocking: run in a thread); the store down is said, not raised."""
        queue_ok, queued = jobs.queue_health()
        workers = jobs.workers(fresh_within=engine.config.worker_offline_after_s)
        metrics.refresh(jobs.counts(), queued, len(workers), jobs.oldest_queued_age())
        return queue_ok, workers

    async def healthz(_request: web.Request) -> web.Response:
        queue_ok, workers = await asyncio.to_thread(refresh)
        reasons = []
        if not queue_ok:
            reasons.append("the queue store is unreachable")
        if not workers:
            reasons.append(f"no engine worker heartbeat for {engine.silent_for:.0f} s")
        body = {
            "ok": not reasons,
            "reason": "; ".join(reasons) or None,
            "queue": "ok" if queue_ok else "unreachable",
            "workers": {name: {"device": w.get("device"), "backend": w.get("backend"),
                               "busy": bool(w.get("current_job"))}
                        for name, w in workers.items()},
        }
        return web.json_response(body, status=200 if body["ok"] else 503)

    async def metrics_view(_request: web.Request) -> web.Response:
        def collect() -> bytes:
            refresh()
            return metrics.render()

        data = await asyncio.to_thread(collect)
        return web.Response(body=data, content_type="text/plain", charset="utf-8")

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not webhook_secret or not hmac.compare_digest(given, webhook_secret):
            return web.Response(status=403, text="forbidden")
        try:
            payload = await request.json()
            update = Update.de_json(payload, application.bot)
        except Exception:
            return web.Response(status=400, text="bad update")
        if update is None:
            return web.Response(status=400, text="bad update")
        await asyncio.to_thread(inbox.record, [payload])
        await application.update_queue.put(update)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    if webhook_secret:
        app.router.add_post(WEBHOOK_PATH, webhook)
    if studio is not None:
        app.router.add_get(STUDIO_PATH, _to_studio)  # before the sub-app, which would 404
        app.add_subapp(STUDIO_PATH, studio)
    return app


async def _to_studio(_request: web.Request) -> web.Response:
    """``/app`` → ``/app/``, relative, so that it holds behind a proxy's path prefix too."""
    raise web.HTTPMovedPermanently(STUDIO_PATH.rsplit("/", 1)[-1] + "/")
