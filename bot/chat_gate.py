"""Chats the bot must leave alone: it was blocked, kicked, or the chat is gone
(docs/architecture.md, "Invariants": nothing is sent to people who left).

Every Bot API call the bot makes passes through PTB's rate limiter, so the
gate is one: ``ChatGate`` is PTB's ``AIORateLimiter`` (flood control as
before) that also

- closes a chat on the first "403 Forbidden" (blocked, kicked, deactivated)
  or "chat not found" from any call for it - a send, a progress edit - and
  then cancels that chat's jobs (``on_closed``);
- refuses every later call for a closed chat without calling Telegram (the
  caller gets the same ``Forbidden`` it would have got);
- reopens the chat when that user or chat writes to the bot again
  (``on_update``, a handler group before all others; the bot being added back
  or unblocked says so too).

Closed chats are kept (``bot.stores.gone_chats``), so a restart does not start calling
them again.  Calls without a chat (a callback answer) are closed by the error
handler (``bot.handlers.chats``), which knows the update's chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import AIORateLimiter

from bot.metrics import Metrics
from bot.stores.gone_chats import GoneChats

log = logging.getLogger("lienzo.chat_gate")

GONE_REASONS = ("chat not found", "bot was kicked", "bot was blocked", "user is deactivated",
                "bot is not a member", "bot can't initiate conversation")
LEFT = (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)


def is_chat_gone(exc: TelegramError) -> bool:
    """Telegram says the chat cannot be reached any more (until someone acts)."""
    return isinstance(exc, Forbidden) or (
        isinstance(exc, BadRequest) and any(r in str(exc).lower() for r in GONE_REASONS))


def _chat_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):  # no chat, or a channel's @username
        return None


class ChatGate(AIORateLimiter):
    """PTB's rate limiter (``overall_max_rate``, ``max_retries`` as there), gated by chat."""

    def __init__(self, gone: GoneChats, metrics: Metrics, *,
                 on_closed: Callable[[int], Awaitable[Any]] | None = None,
                 **limits: Any) -> None:
        super().__init__(**limits)
        self.gone = gone
        self.metrics = metrics
        self.on_closed = on_closed
        self._closed: set[int] = gone.all()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def process_request(
            self, callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[
                dict[str, Any]]]],
            args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
            rate_limit_args: int | None) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = _chat_id(data)
        if chat_id is not None and chat_id in self._closed:
            raise Forbidden(f"Forbidden: chat {chat_id} left the bot; {endpoint} not sent")
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data,
                                                  rate_limit_args)
        except (Forbidden, BadRequest) as exc:
            if chat_id is not None and is_chat_gone(exc):
                await self.close(chat_id, exc)
            raise

    def is_closed(self, chat_id: int) -> bool:
        """Whether the chat left: nothing is sent there, and no job of it may start."""
        return chat_id in self._closed

    async def close(self, chat_id: int, exc: TelegramError) -> None:
        """No more calls for ``chat_id``; its jobs are cancelled."""
        if chat_id in self._closed:
            return
        self._closed.add(chat_id)
        self.metrics.telegram_errors.labels(exc.__class__.__name__).inc()
        log.info("chat %s is gone (%s): no more calls, its jobs cancelled", chat_id, exc)
        await asyncio.to_thread(self.gone.mark, chat_id, True)
        if self.on_closed is not None:  # not awaited here: the caller's call fails at once
            task = asyncio.get_running_loop().create_task(self._cancel(chat_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _cancel(self, chat_id: int) -> None:
        assert self.on_closed is not None
        try:
            await self.on_closed(chat_id)
        except Exception:
            log.exception("cancelling the jobs of chat %s", chat_id)

    async def reopen(self, chat_id: int) -> None:
        if chat_id not in self._closed:
            return
        self._closed.discard(chat_id)
        log.info("chat %s is back", chat_id)
        await asyncio.to_thread(self.gone.mark, chat_id, False)

    async def on_update(self, update: object, _context: object) -> None:
        """Someone in a closed chat wrote, pressed or added the bot back: reopen it."""
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        member = update.my_chat_member
        if member is not None and member.new_chat_member.status in LEFT:
            return
        await self.reopen(update.effective_chat.id)

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await super().shutdown()
