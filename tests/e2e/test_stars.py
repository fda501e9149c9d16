"""Fair use and Telegram Stars (issue 24), end to end against the fake Bot API (its
invoices, pre-checkout deadline, payments and refunds: tests/support/fake_payments.py)
with a real engine worker: over the free paintings a photo is kept and offered the
packs; paying paints it at once; a pack paints exactly its N paintings; the bot
refuses an invoice it did not issue; a painting that fails on our side, or is
cancelled while queued, is given back; an admin's refund takes the pack back; in a
group the invoice goes to the private chat; a person who blocks the bot while their
photo is fetched gets no job; and the bot SIGKILLed between a payment and its credit
credits it once after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
from telegram import LabeledPrice

from bot import invoices
from bot.config import StarsPack
from bot.jobs.table import JobState
from bot.texts import t
from tests.e2e.test_first_look import no_workers
from tests.e2e.test_reliability import bot_process, until
from tests.support.bot_harness import JOB_S, answer, artwork, lienzo_bot, metric

pytestmark = pytest.mark.asyncio

FAIR = {"LIENZO_FREE_PER_DAY": "1", "LIENZO_STARS_PACKS": "2:10,5:20"}
STYLE = "/style starry_night"
ADMIN = 42  # LIENZO_ADMIN_IDS in tests.support.bot_harness


def is_invoice(message) -> bool:
    return "invoice" in message


def packs_offered(message) -> list[str]:
    return [d for d in message.callback_data if d.startswith("buy:")]


async def held(tg, user, chat, sent):
    """The status message of a photo over the quota, once it offers the packs."""
    status = await answer(tg, chat, sent)
    await tg.wait_for(lambda _: bool(packs_offered(status)), 30, "the packs offered",
                      chat=chat)
    assert status.content.startswith(t("en", "quota.held.one").split(":")[0])
    return status


async def painted(tg, user, assets, seed: int):
    """A photo sent and painted: the artwork."""
    sent = await user.send_photo(user.chat, assets.photo(seed), caption=STYLE)
    return await tg.wait_for_message(user.chat, artwork, timeout=JOB_S, after=sent)


async def invoice_from(tg, user, message, data: str = "buy:2:10"):
    """Press a pack's button on ``message``; the invoice that arrives in private."""
    before = user.chat.last_bot_message
    press = await user.press(message, data)
    await press.answered()
    return await tg.wait_for_message(user.chat, is_invoice, timeout=15, after=before)


def ledger_rows(bot, sql: str) -> list:
    with contextlib.closing(sqlite3.connect(bot.config.data_dir / "ledger.db")) as db:
        return db.execute(sql).fetchall()


async def balance_text(tg, user) -> str:
    sent = await user.send_text(user.chat, "/balance")
    return (await tg.wait_for_message(user.chat, after=sent, timeout=15)).text


async def test_over_the_quota_a_photo_is_kept_paid_for_and_painted_then_the_pack_runs_out(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets, **FAIR) as bot:
        ana = tg.user(2601, "Ana")
        menu = [c["command"] for c in tg.commands()]
        assert "balance" in menu and "paysupport" in menu  # Telegram's terms for sellers
        await painted(tg, ana, assets, 71)  # the day's one free painting
        sent = await ana.send_photo(ana.chat, assets.photo(72), caption=STYLE)
        status = await held(tg, ana, ana.chat, sent)
        assert packs_offered(status) == ["buy:2:10", "buy:5:20"]
        labels = [b["text"] for row in status.buttons for b in row]
        assert "⭐ 2 paintings — 10 Stars" in labels
        job = bot.jobs.user_jobs(ana.id)[0]
        assert job.state == JobState.HELD  # kept, in no queue
        assert await metric(bot, "lienzo_quota_refusals_total") == 1

        invoice = await invoice_from(tg, ana, status)
        assert invoice["invoice"]["currency"] == "XTR" and invoice["invoice"]["total_amount"] == 10
        paid = await ana.pay(invoice)
        assert paid.ok, paid
        receipt = await tg.wait_for_message(ana.chat, paid.charge_id, timeout=15)
        assert "Paintings added: 2, for 10 Stars" in receipt.text
        # the kept photo is painted at once, in its own status message: not sent again
        await tg.wait_for(lambda _: artwork(status), JOB_S, "the kept photo painted",
                          chat=ana.chat)
        # Telegram delivering the payment again (a replay) credits nothing more
        tg.resend(paid.message)
        await tg.wait_until_consumed()
        assert ledger_rows(bot, "select count(*) from purchases") == [(1,)]
        # the pack's second painting, then nothing left: the next photo is held
        await painted(tg, ana, assets, 73)
        sent = await ana.send_photo(ana.chat, assets.photo(74), caption=STYLE)
        await held(tg, ana, ana.chat, sent)
        assert ledger_rows(bot, "select paintings from balances where user_id = 2601") == [(0,)]
        assert await metric(bot, "lienzo_paintings_paid_total") == 2
        assert await metric(bot, "lienzo_stars_received_total") == 10
        assert len([m for m in ana.chat.bot_messages if paid.charge_id in (m.text or "")]) == 1
        text = await balance_text(tg, ana)
        assert "0 of 1" in text and "Paid: 0" in text


async def test_an_invoice_the_bot_did_not_issue_is_refused_before_anyone_pays(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets, **FAIR) as bot:
        ana = tg.user(2602, "Ana")
        other = tg.make_bot()  # the same token: Telegram would deliver its invoices alike
        async with other:
            forged = await other.send_invoice(
                ana.id, "10 paintings", "cheap", "v1:2602:10:1:0:forged", "XTR",
                [LabeledPrice("10 paintings", 1)])
            # signed by the bot, but for a pack that is not on sale
            unsold = await other.send_invoice(
                ana.id, "99 paintings", "cheap", invoices.payload(
                    bot.config.token, invoices.Order(ana.id, StarsPack(99, 1))), "XTR",
                [LabeledPrice("99 paintings", 1)])
            for message in (forged, unsold):
                result = await ana.pay(tg.chat(ana.id).message(message.message_id))
                assert not result.ok and not result.timed_out
                assert result.error_message == t("en", "alert.pay_refused")
        assert tg.star_payments == []
        assert ledger_rows(bot, "select count(*) from purchases") == [(0,)]


async def test_a_painting_that_fails_on_our_side_or_is_cancelled_queued_is_given_back(
        telegram, tmp_path, monkeypatch, assets):
    """No worker, a 3 s queue timeout: every job fails on our side."""
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, no_workers(tmp_path), assets,
                          LIENZO_QUEUE_TIMEOUT="3", **FAIR) as bot:
        ana = tg.user(2603, "Ana")
        menu = await tg.wait_for_message(ana.chat, after=await ana.send_text(ana.chat,
                                                                             "/balance"))
        paid = await ana.pay(await invoice_from(tg, ana, menu))
        assert paid.ok
        await tg.wait_for_message(ana.chat, paid.charge_id, timeout=15)
        first = await ana.send_photo(ana.chat, assets.photo(75), caption=STYLE)  # free
        second = await ana.send_photo(ana.chat, assets.photo(76), caption=STYLE)  # paid
        failures = [await answer(tg, ana.chat, sent) for sent in (first, second)]
        given_back = t("en", "quota.given_back")
        for status in failures:
            await tg.wait_for(lambda _, s=status: given_back in s.content, 60,
                              "the failure, with the painting given back", chat=ana.chat)
        text = await balance_text(tg, ana)
        assert "1 of 1" in text and "Paid: 2" in text
        # cancelled while queued: given back too
        third = await ana.send_photo(ana.chat, assets.photo(77), caption=STYLE)
        status = await answer(tg, ana.chat, third)
        press = await ana.press(status, next(d for d in status.callback_data
                                             if d.startswith("c:")))
        await press.answered()
        await tg.wait_for(lambda _: given_back in status.content, 30, "cancelled, given back",
                          chat=ana.chat)
        assert "1 of 1" in await balance_text(tg, ana)
        assert await metric(bot, "lienzo_paintings_returned_total") == 3


async def test_an_admin_refund_gives_the_stars_back_and_takes_the_pack_back(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets, **FAIR) as bot:
        ana, admin = tg.user(2604, "Ana"), tg.user(ADMIN, "Admin")
        menu = await tg.wait_for_message(ana.chat, after=await ana.send_text(ana.chat,
                                                                             "/balance"))
        paid = await ana.pay(await invoice_from(tg, ana, menu, "buy:5:20"))
        await tg.wait_for_message(ana.chat, paid.charge_id, timeout=15)
        assert "Paid: 5" in await balance_text(tg, ana)

        async def command(user, text: str) -> str:
            sent = await user.send_text(user.chat, text)
            return (await tg.wait_for_message(user.chat, after=sent, timeout=15)).text

        assert await command(ana, f"/refund {paid.charge_id}") == t("en", "admin.only")
        done = await command(admin, f"/refund {paid.charge_id}")
        assert "20" in done and paid.charge_id in done
        assert tg.star_payment(paid.charge_id).refunded
        note = t("en", "refund.user", stars=20, paintings=5)
        await tg.wait_for_message(ana.chat, lambda m: m.text == note, timeout=15)
        assert "Paid: 0" in await balance_text(tg, ana)
        assert paid.charge_id in await command(admin, f"/refund {paid.charge_id}")  # already
        assert "already" in (admin.chat.last_bot_message.text or "")
        assert "nope" in await command(admin, "/refund nope")
        # a charge the ledger has but Telegram does not (a restored backup, say)
        with contextlib.closing(sqlite3.connect(bot.config.data_dir / "ledger.db")) as db:
            db.execute("insert into purchases (charge_id, user_id, paintings, stars, paid_at) "
                       "values ('stxGhost', 2604, 2, 10, 0)")
            db.commit()
        assert await command(admin, "/refund stxGhost") == \
            "🤔 Telegram has no payment stxGhost to refund."
        assert await metric(bot, "lienzo_star_refunds_total") == 1
        assert len([m for m in ana.chat.bot_messages if m.text == note]) == 1


async def test_in_a_group_the_invoice_goes_to_the_private_chat_or_a_link_opens_it(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets, **FAIR) as bot:
        ana = tg.user(2605, "Ana")
        bob = tg.user(2606, "Bob", started=False)  # has never opened the bot's chat
        group = tg.group("Painters", members=[ana, bob])
        art = await tg.wait_for_message(group, artwork, timeout=JOB_S, after=await ana.send_photo(
            group, assets.photo(78), caption=f"/style@{tg.bot_username} starry_night"))
        sent = await ana.send_photo(group, assets.photo(79),
                                    caption=f"/style@{tg.bot_username} starry_night")
        status = await held(tg, ana, group, sent)
        assert art.message_id != status.message_id
        # Ana: the invoice in her private chat, and a word in the group's alert
        press = await ana.press(status, "buy:2:10")
        assert (await press.answered())["text"] == t("en", "alert.invoice_sent")
        invoice = await tg.wait_for_message(ana.chat, is_invoice, timeout=15)
        assert not [m for m in group.bot_messages if is_invoice(m)]
        # Bob cannot be written to first: the button opens the bot with the pack asked for
        press = await bob.press(status, "buy:5:20")
        url = (await press.answered())["url"]
        assert url == f"https://t.me/{tg.bot_username}?start=buy-5-20"
        await bob.open_deep_link(url)
        bobs = await tg.wait_for_message(bob.chat, is_invoice, timeout=15)
        assert bobs["invoice"]["total_amount"] == 20
        # Ana pays: her photo in the group is painted
        assert (await ana.pay(invoice)).ok
        await tg.wait_for(lambda _: artwork(status), JOB_S, "the group's kept photo painted",
                          chat=group)
        assert bot.jobs.user_jobs(bob.id) == []


async def test_a_person_who_blocks_the_bot_while_the_photo_is_fetched_gets_no_job(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """The download is held up (Telegram's flood control: retry after 2 s); Ana blocks the
    bot meanwhile.  Before, the job was submitted after the chat had closed, and
    painted to the end for nobody."""
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(2607, "Ana")
        tg.fail_next("getFile", retry_after=2)
        sent = await ana.send_photo(ana.chat, assets.photo(80), caption=STYLE)
        await tg.wait_for_message(ana.chat, after=sent, timeout=15)  # "⏳ Got it"
        ana.block_bot()
        await tg.wait_for(lambda calls: len([c for c in calls if c.method == "getFile"]) >= 2,
                          15, "the download retried")
        await asyncio.sleep(3)  # a job submitted now would have started by then
        assert bot.jobs.user_jobs(ana.id, active_only=False) == []


async def test_with_fair_use_off_nothing_is_counted_or_sold(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets,
                          LIENZO_STARS_PACKS="2:10") as bot:
        ana = tg.user(2608, "Ana")
        for seed in (81, 82):
            await painted(tg, ana, assets, seed)
        for text in ("/balance", "/paysupport", "/start buy-2-10", "/privacy"):
            await ana.send_text(ana.chat, text)
        await tg.wait_until_consumed()
        await asyncio.sleep(1)
        said = [m.text for m in ana.chat.bot_messages if m.text]
        # /balance and /paysupport are not commands here; the pack's link is a welcome;
        # /privacy says nothing of payments
        assert len(said) == 2 and said[0].startswith("👋 Hi, Ana!"), said
        assert said[1].startswith("🔒 What I keep") and "payment" not in said[1]
        assert "balance" not in [c["command"] for c in tg.commands()]
        assert ledger_rows(bot, "select count(*) from spends") == [(0,)]


async def test_the_bot_killed_between_a_payment_and_its_credit_credits_it_once(
        telegram, tmp_path, engine_worker, assets):
    """``lienzo bot`` as a process.  The ledger is held locked (a disk that stalls) as
    Ana pays, so the bot has the successful_payment on disk in its inbox but cannot
    credit it; SIGKILL then.  Started again: credited once, one receipt."""
    tg = telegram
    data = tmp_path / "bot-data"
    async with bot_process(tg, tmp_path, engine_worker, assets) as bot:
        bot.env.update(FAIR)
        bot.start()
        await tg.wait_for_call("getUpdates", timeout=60)
        ana = tg.user(2609, "Ana")
        menu = await tg.wait_for_message(ana.chat, after=await ana.send_text(ana.chat,
                                                                             "/balance"),
                                         timeout=30)
        invoice = await invoice_from(tg, ana, menu)
        lock = sqlite3.connect(data / "ledger.db", isolation_level=None, timeout=5)
        lock.execute("begin exclusive")
        try:
            paid = await ana.pay(invoice)  # the pre-checkout answer needs no store
            assert paid.ok, paid

            def recorded() -> bool:
                with contextlib.closing(sqlite3.connect(
                        f"file:{data / 'inbox.db'}?mode=ro", uri=True, timeout=2)) as db:
                    return any(paid.charge_id in payload for (payload,) in
                               db.execute("select payload from inbox where done = 0"))

            await until(recorded, 30, "the payment on disk in the bot's inbox")
            await asyncio.sleep(0.5)  # the handler is waiting for the ledger now
            bot.kill()
        finally:
            lock.execute("rollback")
            lock.close()
        with contextlib.closing(sqlite3.connect(data / "ledger.db")) as db:
            assert db.execute("select count(*) from purchases").fetchone() == (0,)
        bot.start()
        await tg.wait_for_message(ana.chat, paid.charge_id, timeout=60)
        await asyncio.sleep(2)  # anything doubled would have come by now
        with contextlib.closing(sqlite3.connect(data / "ledger.db")) as db:
            assert db.execute("select count(*) from purchases").fetchone() == (1,)
            assert db.execute("select paintings from balances where user_id = ?",
                              (ana.id,)).fetchone() == (2,)
        receipts = [m for m in ana.chat.bot_messages if paid.charge_id in (m.text or "")]
        assert len(receipts) == 1, tg.report("one receipt", ana.chat)
