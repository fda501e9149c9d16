"""The durable inbox: every update is on disk before Telegram is told it arrived
(docs/architecture.md, "Invariants": no photo vanishes).

Telegram forgets an update once the bot's next ``getUpdates`` confirms it, and
python-telegram-bot asks for the next batch while handlers still run, so a bot
killed just after a photo arrived used to lose it.  Here:

- ``RecordingRequest`` (PTB's ``get_updates_request``) writes each batch to
  ``<data dir>/inbox.db`` before PTB even reads it (the webhook writes the one
  update before answering 200);
- ``begin``/``handled`` bracket the handlers of an update (handler groups
  before and after all others), ``keep``/``release`` hold it open while work it
  started runs on (a photo's download and submission, ``bot.intake``);
- an update is *done* when both are over; on start-up every recorded update
  that is not done is handled again (``unfinished``), and the first answer it
  got - the status message - is reused rather than sent twice (``status_of``).

A repeated update (replayed here, then re-sent by Telegram because it was
never confirmed) is handled once per process.  ``CURRENT`` names the update a
handler is working for, so that work it starts (the job) gets an id derived
from the update: a replay finds the job it already submitted.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.ext import ApplicationHandlerStop
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.stores.db import Database, Step

log = logging.getLogger("lienzo.inbox")

KEEP_DONE_S = 86400.0  # a done update is remembered this long (Telegram re-sends for 24 h)
PURGE_EVERY_S = 3600.0

MIGRATIONS: tuple[Step, ...] = (
    "create table if not exists inbox (update_id integer primary key, payload text not null, "
    "received_at real not null, status_chat_id integer, status_message_id integer, "
    "status_media integer not null default 0, done integer not null default 0)",
    "create index if not exists inbox_done on inbox (done, received_at)",
)


@dataclass(frozen=True)
class Origin:
    """The update a handler is working for: its id, and a key that is the same
    whenever the same update is handled again (for job ids)."""

    update_id: int
    key: str


@dataclass(frozen=True)
class StatusRef:
    """Where the first answer to an update went (reused when it is handled again)."""

    chat_id: int
    message_id: int
    media: bool


CURRENT: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "lienzo_update", default=None)


def origin_of(update: Update) -> Origin:
    payload = json.dumps(update.to_dict(), sort_keys=True, default=str)
    return Origin(update.update_id, hashlib.sha256(payload.encode()).hexdigest()[:32])


class Inbox:
    """The inbox file plus what this process has begun and holds open.

    The SQLite methods block briefly; the bot calls them through ``asyncio.to_thread``
    where they run per update (``afinish``)."""

    def __init__(self, path: Path) -> None:
        # synchronous=full: an update is on disk before Telegram is told, power cut or not.
        self._db = Database(path, "inbox", MIGRATIONS, synchronous="full")
        self._last_purge = 0.0
        self._purge(time.time())
        # Telegram's offsets only grow, so within one process an update can come twice
        # only if the last process left it behind: done (skip it), or unfinished (handle
        # the first copy - the replay or Telegram's re-send - and skip the other).
        rows = self._db.rows("select update_id, done from inbox")
        self._skip: set[int] = {update_id for update_id, done in rows if done}
        self._left_over: set[int] = {update_id for update_id, done in rows if not done}
        self._holds: dict[int, int] = {}
        self._handled: set[int] = set()

    def close(self) -> None:
        self._db.close()

    # -- on disk ---------------------------------------------------------------------
    def record(self, updates: list[dict[str, Any]]) -> None:
        """Keep ``updates`` (as Telegram sent them) before they are confirmed."""
        now = time.time()
        rows = [(u["update_id"], json.dumps(u), now) for u in updates if "update_id" in u]
        self._db.run_many("insert or ignore into inbox (update_id, payload, received_at) "
                          "values (?, ?, ?)", rows)
        if now - self._last_purge > PURGE_EVERY_S:
            self._purge(now)

    def unfinished(self) -> list[dict[str, Any]]:
        """Updates recorded but not done (a previous process died on them), oldest first."""
        rows = self._db.rows("select payload from inbox where done = 0 order by update_id")
        return [json.loads(payload) for (payload,) in rows]

    def remember_status(self, update_id: int, status: StatusRef) -> None:
        self._db.run("update inbox set status_chat_id = ?, status_message_id = ?, "
                     "status_media = ? where update_id = ?",
                     (status.chat_id, status.message_id, int(status.media), update_id))

    def status_of(self, update_id: int) -> StatusRef | None:
        row = self._db.row("select status_chat_id, status_message_id, status_media "
                           "from inbox where update_id = ?", (update_id,))
        if row is None or row[1] is None:
            return None
        return StatusRef(row[0], row[1], bool(row[2]))

    def forget_user(self, user_id: int) -> int:
        """Drop every recorded update that names the user (/forget): as its sender, its
        chat (a private chat's id is the user's) or any user inside it (a replied-to
        message, a mention); how many.  An unfinished one is then simply not replayed."""
        return self._db.run(
            "delete from inbox where update_id in (select distinct inbox.update_id "
            "from inbox, json_tree(inbox.payload) as node where node.key = 'id' "
            "and node.value = ? and (node.path like '%.from' or node.path like '%.chat' "
            "or node.path like '%.user'))", (user_id,))

    def _mark_done(self, update_id: int) -> None:
        self._db.run("update inbox set done = 1 where update_id = ?", (update_id,))

    def _purge(self, now: float) -> None:
        self._last_purge = now
        self._db.run("delete from inbox where done = 1 and received_at < ?",
                     (now - KEEP_DONE_S,))

    # -- in this process -------------------------------------------------------------
    def begin(self, update_id: int) -> bool:
        """False when this process has handled (or is handling) the update already."""
        if update_id in self._skip:
            return False
        if update_id in self._left_over:
            self._left_over.discard(update_id)
            self._skip.add(update_id)
        return True

    def keep(self, update_id: int) -> None:
        """Hold the update open while work it started goes on (see ``release``)."""
        self._holds[update_id] = self._holds.get(update_id, 0) + 1

    async def release(self, update_id: int) -> None:
        left = self._holds.get(update_id, 0) - 1
        if left > 0:
            self._holds[update_id] = left
            return
        self._holds.pop(update_id, None)
        if update_id in self._handled:
            await self._finish(update_id)

    async def handled(self, update_id: int) -> None:
        """Every handler has run: done now, or when the last hold is released."""
        if self._holds.get(update_id):
            self._handled.add(update_id)
            return
        await self._finish(update_id)

    async def _finish(self, update_id: int) -> None:
        self._handled.discard(update_id)
        await asyncio.to_thread(self._mark_done, update_id)

    # -- PTB handlers (groups before and after all others) ----------------------------
    async def on_arrival(self, update: object, _context: object) -> None:
        """First handler of every update: skip a repeat, else name it ``CURRENT``."""
        if not isinstance(update, Update):
            return
        if not self.begin(update.update_id):
            log.info("update %d already handled; skipped", update.update_id)
            raise ApplicationHandlerStop
        CURRENT.set(origin_of(update))

    async def on_handled(self, update: object, _context: object) -> None:
        """Last handler of every update."""
        if isinstance(update, Update):
            await self.handled(update.update_id)


class RecordingRequest(HTTPXRequest):
    """PTB's HTTP client for ``getUpdates`` that records each batch in the inbox
    before returning it (PTB confirms a batch by asking for the next one)."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__(connection_pool_size=1)  # PTB's default for getUpdates
        self.inbox = inbox

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        status, payload = await super().do_request(
            url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
            connect_timeout=connect_timeout, pool_timeout=pool_timeout)
        if status == 200 and url.endswith("/getUpdates"):
            updates = json.loads(payload).get("result")
            if isinstance(updates, list) and updates:
                await asyncio.to_thread(self.inbox.record, updates)
        return status, payload
