"""Chats that are gone (issue #10, point 2): on the first 403 - or Telegram's
"chat not found" - for any call about a chat, be it a progress edit, a send or
a callback answer, the bot cancels that chat's queued and running jobs, makes
no further call to that chat, and serves it again only once that user writes.

The bot runs as in ``tests.e2e.test_reliability`` (``bot.app.serve`` against the
fake Bot API, one real engine worker for the module).  Faults are injected with
``FakeTelegram.fail_next``; "no further call" is read off the fake's record of
every request (``tg.calls``), failed ones included.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import callback_data
from bot.jobs.table import JobState
from bot.texts import LANGUAGES, t
from tests.support.bot_harness import JOB_S, RECEIVED, answer, artwork, lienzo_bot

pytestmark = pytest.mark.asyncio

CHAT_NOT_FOUND = "Bad Request: chat not found"  # as Telegram words it, status 400
BLOCKED = "Forbidden: bot was blocked by the user"  # status 403
EDITS = ("editMessageCaption", "editMessageMedia", "editMessageText")
QUIET_S = 4.0  # longer than a progress edit's interval (3 s): one would be due by then
WAITING = RECEIVED | {t(lang, "queued.first") for lang in LANGUAGES}


def calls_for(tg, chat, since: float) -> list:
    """Every request about ``chat`` that arrived after ``since`` (failed ones too)."""
    return [c for c in tg.calls if c.chat_id == chat.id and c.time > since]


def jobs_of(bot, user) -> list:
    return bot.jobs.user_jobs(user.id, active_only=False)


async def painting(tg, user, photo_seed: int, assets, caption: str):
    """A photo whose job is running (its status says 🎨), and that status message."""
    sent = await user.send_photo(user.chat, assets.photo(photo_seed), caption=caption)
    status = await answer(tg, user.chat, sent)
    await tg.wait_for(lambda _: "🎨" in status.content, timeout=JOB_S,
                      message="the job to be painting", chat=user.chat)
    return sent, status


async def all_cancelled(tg, bot, user, count: int) -> list:
    """Wait until all ``count`` jobs of ``user`` have ended cancelled; the jobs."""
    def ended():
        jobs = jobs_of(bot, user)
        return len(jobs) == count and all(j.state not in (JobState.QUEUED, JobState.RUNNING)
                                          for j in jobs)

    await tg.wait_for(lambda _: ended(), timeout=30, message=f"{user}'s jobs to end",
                      chat=user.chat)
    jobs = jobs_of(bot, user)
    assert [j.outcome for j in jobs] == [JobState.CANCELLED] * count, \
        [(j.id, j.state, j.outcome) for j in jobs]
    return jobs


def assert_quiet(tg, chat, since: float, what: str) -> None:
    after = calls_for(tg, chat, since)
    assert after == [], tg.report(f"no call to {chat!r} after {what}; got "
                                  f"{[c.describe() for c in after]}", chat)


async def writes_again_and_is_answered(tg, user) -> None:
    help_ = await user.send_text(user.chat, "/help")
    reply = await tg.wait_for_message(user.chat, after=help_, timeout=60)
    assert "/style" in reply.text


# ------------------------------------------------------------------ "chat not found"


@pytest.mark.parametrize("where", ["progress edit", "send"])
async def test_chat_not_found_cancels_the_running_job_and_goes_quiet(
        where, telegram, tmp_path, monkeypatch, engine_worker, assets):
    """400 "Bad Request: chat not found" on a progress edit of the running job, or
    on a reply sent while it runs: the job ends cancelled (not painted to the end),
    and nothing more is asked about that chat until its user writes again."""
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        bob = telegram.user(1201 if where == "send" else 1202, "Bob")
        await painting(telegram, bob, 70, assets, "/style great_wave quality=best")
        if where == "progress edit":
            telegram.fail_next("*", status=400, description=CHAT_NOT_FOUND, chat=bob.chat)
            failed = await telegram.wait_for_call(
                EDITS, lambda c: c.chat_id == bob.id and c.status == 400, timeout=30)
        else:
            telegram.fail_next("sendMessage", status=400, description=CHAT_NOT_FOUND,
                               chat=bob.chat)
            await bob.send_text(bob.chat, "/help")
            failed = await telegram.wait_for_call(
                "sendMessage", lambda c: c.chat_id == bob.id and c.status == 400, timeout=30)
        assert failed.error == CHAT_NOT_FOUND
        jobs = await all_cancelled(telegram, bot, bob, 1)
        assert jobs[0].started_at is not None  # it was running, not queued
        await asyncio.sleep(QUIET_S)
        assert_quiet(telegram, bob.chat, failed.time, f"'chat not found' on a {where}")
        assert not any(artwork(m) for m in bob.chat.bot_messages)

        await writes_again_and_is_answered(telegram, bob)


# ------------------------------------------------------------------ a callback answer


@pytest.mark.parametrize("button", ["cancel", "settings"])
async def test_blocked_on_a_callback_answer_closes_the_chat(
        button, telegram, tmp_path, monkeypatch, engine_worker, assets):
    """The user presses a button - their job's Cancel, or a /settings button - and
    answerCallbackQuery gets "403 Forbidden: bot was blocked by the user" (the call
    has no chat_id: only the update says whose chat it is).  The chat is gone: its
    running job ends cancelled, and no call about that chat follows - not even
    the status message's "cancelled" caption."""
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = telegram.user(1211 if button == "cancel" else 1212, "Ana")
        _, status = await painting(telegram, ana, 71, assets, "/style the_scream quality=best")
        job_id = jobs_of(bot, ana)[0].id
        if button == "cancel":
            target, data = status, callback_data.cancel(job_id)
        else:
            asked = await ana.send_text(ana.chat, "/settings")
            target = await telegram.wait_for_message(ana.chat, after=asked, timeout=60)
            data = callback_data.SETTINGS_CLOSE_DATA
        telegram.fail_next("answerCallbackQuery", status=403, description=BLOCKED)
        pressed_at = time.monotonic()
        await ana.press(target, data)
        failed = await telegram.wait_for_call(
            "answerCallbackQuery", lambda c: c.time >= pressed_at and c.status == 403,
            timeout=60)
        ana.blocked = True  # as she has; sends would now fail, but none may be made
        await all_cancelled(telegram, bot, ana, 1)
        await asyncio.sleep(QUIET_S)
        assert_quiet(telegram, ana.chat, failed.time, "a 403 on answerCallbackQuery")
        assert not any(artwork(m) for m in ana.chat.bot_messages)

        ana.unblock_bot()
        await writes_again_and_is_answered(telegram, ana)


# ------------------------------------------------------------------ running and queued


async def test_blocking_cancels_running_and_queued_jobs_until_the_user_writes(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """Bob has one job painting and one queued behind it, then blocks the bot: both
    end cancelled (the queued one never starts), the chat gets no call after the
    first 403 (if the bot made one before Telegram's my_chat_member arrived), and
    once Bob writes again - a new photo; Telegram's "unblocked" update never
    arrives - he is answered and painted for as before."""
    async with lienzo_bot(telegram, tmp_path, monkeypatch, engine_worker, assets) as bot:
        bob = telegram.user(1221, "Bob")
        await painting(telegram, bob, 72, assets, "/style great_wave quality=best")
        second = await bob.send_photo(bob.chat, assets.photo(73), caption="/style starry_night")
        await answer(telegram, bob.chat, second)
        states = sorted(j.state for j in jobs_of(bot, bob))
        assert states == [JobState.QUEUED, JobState.RUNNING], states

        blocked_at = time.monotonic()
        bob.block_bot()  # 403 from now on, and a my_chat_member update for the bot
        jobs = await all_cancelled(telegram, bot, bob, 2)
        queued = [j for j in jobs if j.message_id == second.message_id]
        assert len(queued) == 1 and queued[0].started_at is None, \
            "the queued job was started after Bob blocked the bot"
        await asyncio.sleep(QUIET_S)
        after = calls_for(telegram, bob.chat, blocked_at)
        first_403 = [c for c in after if c.status == 403][:1]
        assert after == first_403, telegram.report(
            f"at most the first 403 after Bob blocked the bot; got "
            f"{[c.describe() for c in after]}", bob.chat)
        assert not any(artwork(m) for m in bob.chat.bot_messages)

        bob.blocked = False  # unblocked; the my_chat_member update is not delivered
        quiet_until = time.monotonic()
        sent = await bob.send_photo(bob.chat, assets.photo(74), caption="/style starry_night")
        status = await answer(telegram, bob.chat, sent)
        assert status.reply_to_message_id == sent.message_id
        art = await telegram.wait_for_message(bob.chat, artwork, timeout=JOB_S, after=second)
        assert art.message_id == status.message_id
        assert calls_for(telegram, bob.chat, quiet_until)  # he is served again
        outcomes = sorted((j.outcome or "") for j in jobs_of(bot, bob))
        assert outcomes.count(JobState.CANCELLED) == 2 and outcomes.count(JobState.DONE) == 1, \
            outcomes
