"""The bot's HTTP side (bot/web.py) in process, over real HTTP on a free port: /healthz
says what is wrong, /metrics refreshes its figures, and the webhook takes an update
only with the secret, into the inbox before PTB's queue.  The services behind it are
stand-ins that record what they were asked; ``lienzo bot`` serving them for real:
tests/e2e/test_reliability.py (health) and tests/e2e/test_bot.py (webhook mode)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web import SECRET_HEADER, WEBHOOK_PATH, create_web_app

pytestmark = pytest.mark.asyncio

UPDATE = {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "hi",
                                      "chat": {"id": 5, "type": "private"}}}


@dataclass
class Jobs:
    queue_ok: bool = True
    workers_seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    asked_within: list[float] = field(default_factory=list)

    def queue_health(self) -> tuple[bool, int]:
        return self.queue_ok, 3

    def workers(self, fresh_within: float) -> dict[str, dict[str, Any]]:
        self.asked_within.append(fresh_within)
        return self.workers_seen

    def counts(self) -> dict[str, int]:
        return {"queued": 3}

    def oldest_queued_age(self) -> float:
        return 42.0


@dataclass
class Metrics:
    refreshed: list[tuple[Any, ...]] = field(default_factory=list)

    def refresh(self, *figures: Any) -> None:
        self.refreshed.append(figures)

    def render(self) -> bytes:
        return b"lienzo_workers_alive 1.0\n"


@dataclass
class Inbox:
    recorded: list[dict[str, Any]] = field(default_factory=list)
    queue: asyncio.Queue[Any] | None = None
    queued_before: list[int] = field(default_factory=list)

    def record(self, updates: list[dict[str, Any]]) -> None:
        assert self.queue is not None
        self.queued_before.append(self.queue.qsize())  # what PTB had when it was written
        self.recorded += updates


async def served(jobs: Jobs, metrics: Metrics, inbox: Inbox, secret: str | None) -> TestClient:
    application = SimpleNamespace(bot=None, update_queue=asyncio.Queue())
    inbox.queue = application.update_queue
    engine = SimpleNamespace(config=SimpleNamespace(worker_offline_after_s=45.0),
                             silent_for=12.4)
    app = create_web_app(application, jobs, metrics, engine, inbox, secret)  # type: ignore[arg-type]
    client = TestClient(TestServer(app))
    await client.start_server()
    client.application = application  # type: ignore[attr-defined]
    return client


async def test_healthz_is_ok_with_the_queue_and_a_worker():
    jobs = Jobs(workers_seen={"gpu-1": {"device": "GPU 0: H100", "backend": "tensorflow",
                                        "current_job": "j1", "ts": 1.0}})
    metrics = Metrics()
    client = await served(jobs, metrics, Inbox(), None)
    try:
        response = await client.get("/healthz")
        body = await response.json()
    finally:
        await client.close()
    assert response.status == 200
    assert body == {"ok": True, "reason": None, "queue": "ok", "workers": {
        "gpu-1": {"device": "GPU 0: H100", "backend": "tensorflow", "busy": True}}}
    assert jobs.asked_within == [45.0]  # fresh: within LIENZO_WORKER_OFFLINE_AFTER
    assert metrics.refreshed == [({"queued": 3}, 3, 1, 42.0)]


async def test_healthz_says_every_reason_with_503():
    client = await served(Jobs(queue_ok=False), Metrics(), Inbox(), None)
    try:
        response = await client.get("/healthz")
        body = await response.json()
    finally:
        await client.close()
    assert response.status == 503 and body["ok"] is False
    assert body["reason"] == ("the queue store is unreachable; "
                              "no engine worker heartbeat for 12 s")
    assert body["queue"] == "unreachable" and body["workers"] == {}


async def test_metrics_are_refreshed_then_rendered():
    metrics = Metrics()
    client = await served(Jobs(), metrics, Inbox(), None)
    try:
        response = await client.get("/metrics")
        text = await response.text()
    finally:
        await client.close()
    assert response.status == 200 and response.content_type == "text/plain"
    assert text == "lienzo_workers_alive 1.0\n"
    assert metrics.refreshed == [({"queued": 3}, 3, 0, 42.0)]


async def test_no_webhook_without_a_secret():
    client = await served(Jobs(), Metrics(), Inbox(), None)
    try:
        response = await client.post(WEBHOOK_PATH, json=UPDATE,
                                     headers={SECRET_HEADER: ""})
    finally:
        await client.close()
    assert response.status in (404, 405)


@pytest.mark.parametrize("given", [None, "", "wrong", "s3cre"])
async def test_the_webhook_refuses_a_wrong_secret(given):
    inbox = Inbox()
    client = await served(Jobs(), Metrics(), inbox, "s3cret")
    headers = {} if given is None else {SECRET_HEADER: given}
    try:
        response = await client.post(WEBHOOK_PATH, json=UPDATE, headers=headers)
    finally:
        await client.close()
    assert response.status == 403 and inbox.recorded == []


async def test_the_webhook_refuses_what_is_not_an_update():
    inbox = Inbox()
    client = await served(Jobs(), Metrics(), inbox, "s3cret")
    try:
        response = await client.post(WEBHOOK_PATH, data=b"{not json",
                                     headers={SECRET_HEADER: "s3cret"})
    finally:
        await client.close()
    assert response.status == 400 and inbox.recorded == []


async def test_an_update_is_in_the_inbox_before_ptb_gets_it():
    inbox = Inbox()
    client = await served(Jobs(), Metrics(), inbox, "s3cret")
    try:
        response = await client.post(WEBHOOK_PATH, json=UPDATE,
                                     headers={SECRET_HEADER: "s3cret"})
        text = await response.text()
        queue = client.application.update_queue  # type: ignore[attr-defined]
    finally:
        await client.close()
    assert response.status == 200 and text == "ok"
    assert inbox.recorded == [UPDATE] and inbox.queued_before == [0]
    update = queue.get_nowait()
    assert update.update_id == 7 and update.message.text == "hi"
