"""Fixtures of the fake Bot API's own tests (test_fake_telegram, test_fake_payments):
the server alone, and a real python-telegram-bot ``Bot`` talking to it."""

from __future__ import annotations

import pytest_asyncio

from tests.support.fake_telegram import FakeTelegram


@pytest_asyncio.fixture
async def tg():
    async with FakeTelegram(bot_username="LienzoBot") as server:
        yield server


@pytest_asyncio.fixture
async def bot(tg):
    async with tg.make_bot() as b:
        yield b
