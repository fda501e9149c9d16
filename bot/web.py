"""The bot's HTTP side (aiohttp): health, metrics and the Telegram webhook.

One small server on ``LIENZO_HTTP_PORT``:
- ``GET /healthz`` — 200 when the queue store answers and an engine worker is
  alive, else 503, with the details as JSON (for load balancers and humans);
- ``GET /metrics`` — Prometheus text format;
- ``POST /telegram`` (webhook mode only) — updates from Telegram, accepted only
  with the right ``X-Telegram-Bot-Api-Secret-Token`` header, handed to PTB's
  update queue (PTB's "custom webhook" pattern).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.jobs import JobService
from bot.metrics import Metrics
from engine.queue import Heartbeat

log = logging.getLogger("lienzo.web")

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_web_app(application: Application[Any, Any, Any, Any, Any, Any], jobs: JobService,
                   metrics: Metrics, webhook_secret: str | None) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        def check() -> tuple[bool, dict[str, Heartbeat]]:
            queue_ok, queued = jobs.queue_health()  # the store down: said, not a crash
            workers = jobs.workers()
            metrics.refresh(jobs.counts(), queued, len(workers))
            return queue_ok, workers

        queue_ok, workers = await asyncio.to_thread(check)
        body = {
            "ok": queue_ok and bool(workers),
            "queue": "ok" if queue_ok else "unreachable",
            "workers": {name: {"device": w.get("device"), "backend": w.get("backend"),
                               "busy": bool(w.get("current_job"))}
                        for name, w in workers.items()},
        }
        return web.json_response(body, status=200 if body["ok"] else 503)

    async def metrics_view(_request: web.Request) -> web.Response:
        def collect() -> bytes:
            _, queued = jobs.queue_health()
            metrics.refresh(jobs.counts(), queued, len(jobs.workers()))
            return metrics.render()

        data = await asyncio.to_thread(collect)
        return web.Response(body=data, content_type="text/plain", charset="utf-8")

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not webhook_secret or not hmac.compare_digest(given, webhook_secret):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:
            return web.Response(status=400, text="bad update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    if webhook_secret:
        app.router.add_post(WEBHOOK_PATH, webhook)
    return app
