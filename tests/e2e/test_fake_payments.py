"""Telegram Stars payments in the fake Bot API server (tests/support/fake_payments.py),
driven by the real PTB stack: a plain ``telegram.Bot`` with getUpdates, or a running
``Application``.  Nothing is mocked; waiting is on conditions, never bare sleeps.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    StarTransactions,
    Update,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import MessageHandler, PreCheckoutQueryHandler, filters

from tests.support.fake_payments import PaymentResult
from tests.support.fake_telegram import QUERY_TOO_OLD

pytestmark = pytest.mark.asyncio

STAR = [LabeledPrice("Poster", 50)]




async def invoice(bot, chat_id: int, **kwargs) -> Message:
    args = {"title": "Poster", "description": "A print of your painting",
            "payload": "order-1", "currency": "XTR", "prices": STAR, **kwargs}
    return await bot.send_invoice(chat_id, **args)


async def next_update(bot, kind: str, offset: int | None = None) -> Update:
    """Poll until an update with ``kind`` arrives (confirming what came before)."""
    for _ in range(20):
        for update in await bot.get_updates(offset=offset, timeout=5):
            offset = update.update_id + 1
            if getattr(update, kind) is not None:
                await bot.get_updates(offset=offset, timeout=0)  # confirm it
                return update
    raise AssertionError(f"no {kind} update")


# --------------------------------------------------------------------------- invoices


async def test_send_invoice_gives_an_invoice_message(tg, bot):
    ana = tg.user(1001, "Ana")
    sent = await invoice(bot, ana.id, start_parameter="poster", photo_url="https://x.org/p.jpg",
                         provider_token="")
    assert sent.invoice.title == "Poster" and sent.invoice.total_amount == 50
    assert sent.invoice.currency == "XTR" and sent.invoice.start_parameter == "poster"
    held = ana.chat.message(sent.message_id)
    assert held["invoice"] == {"title": "Poster", "description": "A print of your painting",
                               "start_parameter": "poster", "currency": "XTR",
                               "total_amount": 50}
    assert "reply_markup" not in held  # the client shows its own Pay button
    assert tg.invoices[-1].message is held and tg.invoices[-1].payload == "order-1"
    # a keyboard must start with a pay button
    pay = InlineKeyboardMarkup([[InlineKeyboardButton("Pay 50 ⭐", pay=True)],
                                [InlineKeyboardButton("Cancel", callback_data="no")]])
    keyed = await invoice(bot, ana.id, reply_markup=pay)
    assert keyed.reply_markup.inline_keyboard[0][0].pay is True
    no_pay = InlineKeyboardMarkup([[InlineKeyboardButton("Cancel", callback_data="no"),
                                    InlineKeyboardButton("Pay", pay=True)]])
    with pytest.raises(BadRequest, match="^Reply_markup_buy_empty$"):
        await invoice(bot, ana.id, reply_markup=no_pay)
    assert tg.calls[-1].error == "Bad Request: REPLY_MARKUP_BUY_EMPTY"
    # invoices go where other messages go, with the same refusals
    ana.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await invoice(bot, ana.id)
    with pytest.raises(BadRequest, match="Chat not found"):
        await invoice(bot, 424242)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"title": "T" * 33}, "MEDIA_INVALID"),
    ({"description": "D" * 256}, "MEDIA_INVALID"),
    ({"payload": "p" * 129}, "INVOICE_PAYLOAD_INVALID"),
    ({"payload": "é" * 65}, "INVOICE_PAYLOAD_INVALID"),  # 130 bytes
    ({"prices": [LabeledPrice("a", 1), LabeledPrice("b", 2)]}, "STARS_INVOICE_INVALID"),
    ({"provider_token": "284685063:TEST:abc"}, "STARS_INVOICE_INVALID"),
    ({"max_tip_amount": 10}, "STARS_INVOICE_INVALID"),
    ({"max_tip_amount": 10, "suggested_tip_amounts": [5]}, "STARS_INVOICE_INVALID"),
    ({"need_name": True}, "STARS_INVOICE_INVALID"),
    ({"need_email": True}, "STARS_INVOICE_INVALID"),
    ({"is_flexible": True}, "STARS_INVOICE_INVALID"),
    ({"send_phone_number_to_provider": True}, "STARS_INVOICE_INVALID"),
    ({"prices": [LabeledPrice("a", 10001)]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
    ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),
    ({"currency": "USD", "provider_token": "284685063:TEST:abc"}, "PAYMENT_PROVIDER_INVALID"),
    ({"currency": "XTS"}, "PAYMENT_PROVIDER_INVALID"),
    ({"prices": [LabeledPrice("a", 0)]}, "total price must be positive"),
    ({"prices": [LabeledPrice("a", -5)]}, "total price must be positive"),
    ({"prices": []}, "there must be at least one price"),
    ({"max_tip_amount": 10, "suggested_tip_amounts": [20]},
     "suggested tip amount can't be bigger than max_tip_amount"),
    ({"max_tip_amount": 10, "suggested_tip_amounts": [1, 2, 3, 4, 5]},
     "there can be at most 4 suggested tip amounts"),
    ({"title": ""}, 'parameter "title" is required'),
    ({"description": ""}, 'parameter "description" is required'),
    ({"payload": ""}, 'parameter "payload" is required'),
    ({"currency": ""}, 'parameter "currency" is required'),
])
async def test_invoice_checks_answer_like_telegram(tg, bot, kwargs, error):
    ana = tg.user(1001, "Ana")
    with pytest.raises(BadRequest):
        await invoice(bot, ana.id, **kwargs)
    assert tg.calls[-1].status == 400
    assert tg.calls[-1].error == "Bad Request: " + error
    # createInvoiceLink checks the same
    args = {"title": "Poster", "description": "A print", "payload": "order-1",
            "currency": "XTR", "prices": STAR, **kwargs}
    with pytest.raises(BadRequest):
        await bot.create_invoice_link(**args)
    assert tg.calls[-1].error == "Bad Request: " + error
    assert tg.invoices == [] and ana.chat.messages == {}


@pytest.mark.filterwarnings("ignore:Please use 'Bot.sendInvoice'")
async def test_malformed_prices_are_refused_by_the_bot_api_server(tg, bot):
    ana = tg.user(1001, "Ana")
    base = {"chat_id": ana.id, "title": "Poster", "description": "A print",
            "payload": "order-1", "currency": "XTR"}
    cases = [
        ("not json", "can't parse prices JSON object"),
        ({"label": "a", "amount": 1}, "expected an Array of labeled prices"),
        (["x"], "can't parse labeled price: LabeledPrice must be an Object"),
        ([{"amount": 1}], 'can\'t parse labeled price: Can\'t find field "label"'),
        ([{"label": "", "amount": 1}],
         "can't parse labeled price: LabeledPrice label must be non-empty"),
        ([{"label": "a"}], 'can\'t parse labeled price: Can\'t find field "amount"'),
        ([{"label": "a", "amount": 1.5}],
         'can\'t parse labeled price: Field "amount" must be a valid Number'),
        ([{"label": "a", "amount": True}],
         'can\'t parse labeled price: Field "amount" must be a Number'),
    ]
    for prices, error in cases:
        with pytest.raises(BadRequest):
            await bot.do_api_request("sendInvoice", api_kwargs={
                **base, "prices": prices if isinstance(prices, str) else json.dumps(prices)})
        assert tg.calls[-1].error == "Bad Request: " + error, prices
    with pytest.raises(BadRequest):
        await bot.do_api_request("sendInvoice", api_kwargs={**base, "prices": "[]",
                                                            "max_tip_amount": "ten"})
    assert tg.calls[-1].error == 'Bad Request: there must be at least one price'
    with pytest.raises(BadRequest):
        await bot.do_api_request("sendInvoice", api_kwargs={
            **base, "prices": '[{"label": "a", "amount": "7"}]', "max_tip_amount": "ten"})
    assert tg.calls[-1].error == 'Bad Request: can\'t parse "max_tip_amount" as Number'
    # an amount given as a string is read as the number it spells
    sent = await bot.do_api_request("sendInvoice", api_kwargs={
        **base, "prices": '[{"label": "a", "amount": "7"}]'}, return_type=Message)
    assert sent.invoice.total_amount == 7


async def test_stars_ceiling_is_the_servers_setting(tg, bot):
    ana = tg.user(1001, "Ana")
    assert (await invoice(bot, ana.id, prices=[LabeledPrice("a", 10000)])).invoice
    tg.stars_invoice_max = 2500  # Telegram's limit has changed over time
    with pytest.raises(BadRequest, match="Currency_total_amount_invalid"):
        await invoice(bot, ana.id, prices=[LabeledPrice("a", 2501)])


# --------------------------------------------------------------------------- paying


async def test_pay_an_invoice_with_a_plain_bot(tg, bot):
    ana = tg.user(1001, "Ana", username="ana")
    sent = await invoice(bot, ana.id)
    paying = asyncio.create_task(ana.pay(sent))  # a PTB Message works as a FakeMessage does
    update = await next_update(bot, "pre_checkout_query")
    query = update.pre_checkout_query
    assert query.from_user.id == ana.id and query.currency == "XTR"
    assert query.total_amount == 50 and query.invoice_payload == "order-1"
    assert await bot.answer_pre_checkout_query(query.id, ok=True)
    result = await asyncio.wait_for(paying, 5)
    assert isinstance(result, PaymentResult)
    assert result.ok and not result.timed_out and result.error_message is None
    assert result.charge_id and result.charge_id.startswith("stx")
    assert result.message is not None and result.message.user is ana
    assert result.message.chat is ana.chat
    assert tg.pre_checkout_queries[-1].answer == {"ok": True, "error_message": None}
    # the bot is told with a message update
    update = await next_update(bot, "message")
    paid = update.message.successful_payment
    assert update.message.from_user.id == ana.id and update.message.chat.id == ana.id
    assert paid.currency == "XTR" and paid.total_amount == 50
    assert paid.invoice_payload == "order-1"
    assert paid.telegram_payment_charge_id == result.charge_id
    assert paid.provider_payment_charge_id == ""
    # a second answer to the same query is refused
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_pre_checkout_query(query.id, ok=True)
    assert tg.calls[-1].error == "Bad Request: " + QUERY_TOO_OLD
    assert tg.star_payment(result.charge_id).invoice.message is ana.chat.message(
        sent.message_id)
    # paying again is another payment with another charge id
    again = asyncio.create_task(ana.pay(sent))
    query2 = (await next_update(bot, "pre_checkout_query")).pre_checkout_query
    await bot.answer_pre_checkout_query(query2.id, ok=True)
    assert (await asyncio.wait_for(again, 5)).charge_id != result.charge_id
    assert [p.charge_id for p in tg.star_payments][0] == result.charge_id
    assert tg.star_balance == 100


async def test_declined_and_unanswered_pre_checkout_queries(tg, bot):
    tg.pre_checkout_deadline = 0.5
    ana = tg.user(1001, "Ana")
    sent = await invoice(bot, ana.id)
    declining = asyncio.create_task(ana.pay(sent))
    query = (await next_update(bot, "pre_checkout_query")).pre_checkout_query
    with pytest.raises(BadRequest):
        await bot.answer_pre_checkout_query(query.id, ok=False)
    assert tg.calls[-1].error == 'Bad Request: parameter "error_message" is required'
    await bot.answer_pre_checkout_query(query.id, ok=False, error_message="Sold out")
    declined = await asyncio.wait_for(declining, 5)
    assert not declined.ok and declined.error_message == "Sold out"
    assert not declined.timed_out and declined.charge_id is None and declined.message is None
    assert tg.pre_checkout_queries[-1].answer == {"ok": False, "error_message": "Sold out"}
    # no answer within the deadline: no payment, and a late answer is refused
    result = await ana.pay(sent)
    assert result.timed_out and not result.ok and result.message is None
    late = (await next_update(bot, "pre_checkout_query")).pre_checkout_query
    assert late.id == result.query.id
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_pre_checkout_query(late.id, ok=True)
    assert tg.calls[-1].error == "Bad Request: " + QUERY_TOO_OLD
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_pre_checkout_query("12345", ok=True)
    assert tg.star_payments == [] and tg.star_transactions == []
    assert [m for m in ana.chat.messages.values() if "successful_payment" in m] == []


async def test_pay_a_link_through_a_running_application(tg):
    answered: list[str] = []
    paid: list[tuple[int, str, str]] = []

    async def pre_checkout(update: Update, context) -> None:
        answered.append(update.pre_checkout_query.invoice_payload)
        await update.pre_checkout_query.answer(ok=True)

    async def successful(update: Update, context) -> None:
        payment = update.message.successful_payment
        paid.append((update.effective_user.id, payment.invoice_payload,
                     payment.telegram_payment_charge_id))
        await update.message.reply_text("Thanks!")

    app = tg.app_builder().build()
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, successful))
    async with tg.running(app):
        link = await app.bot.create_invoice_link("Poster", "A print", "link-1", "XTR", STAR)
        assert link.startswith("https://t.me/$") and tg.invoices[-1].link == link
        ana = tg.user(1001, "Ana")
        result = await ana.pay(link)
        assert result.ok
        await tg.wait_for_message(ana.chat, "Thanks!")
    assert answered == ["link-1"] and paid == [(ana.id, "link-1", result.charge_id)]


# --------------------------------------------------------------------------- refunds


async def paid(tg, bot, user, payload: str = "order-1", amount: int = 50) -> PaymentResult:
    sent = await invoice(bot, user.id, payload=payload, prices=[LabeledPrice("a", amount)])
    paying = asyncio.create_task(user.pay(sent))
    query = await tg.wait_for(lambda _: next(
        (q for q in tg.pre_checkout_queries if q.answer is None and q.user is user), None), 5)
    await bot.answer_pre_checkout_query(query.id, ok=True)
    return await asyncio.wait_for(paying, 5)


async def test_refunds_and_their_errors(tg, bot):
    ana, bea = tg.user(1001, "Ana"), tg.user(1002, "Bea")
    first = await paid(tg, bot, ana, "order-1", 50)
    assert await bot.refund_star_payment(ana.id, first.charge_id) is True
    refund_msg = tg.star_payment(first.charge_id).refund_message
    assert refund_msg is not None and refund_msg.from_bot and refund_msg.chat is ana.chat
    assert refund_msg["refunded_payment"] == {
        "currency": "XTR", "total_amount": 50, "invoice_payload": "order-1",
        "telegram_payment_charge_id": first.charge_id}
    with pytest.raises(BadRequest, match="Charge_already_refunded"):
        await bot.refund_star_payment(ana.id, first.charge_id)
    assert tg.calls[-1].error == "Bad Request: CHARGE_ALREADY_REFUNDED"
    with pytest.raises(BadRequest, match="Charge_not_found"):
        await bot.refund_star_payment(ana.id, "stxNoSuchCharge")
    assert tg.calls[-1].error == "Bad Request: CHARGE_NOT_FOUND"
    second = await paid(tg, bot, ana, "order-2", 7)
    with pytest.raises(BadRequest, match="Charge_not_found"):  # Ana's charge, not Bea's
        await bot.refund_star_payment(bea.id, second.charge_id)
    with pytest.raises(BadRequest, match="User_id_invalid"):
        await bot.refund_star_payment(999999, second.charge_id)
    with pytest.raises(BadRequest, match="Invalid user_id specified"):
        await bot.refund_star_payment(0, second.charge_id)
    with pytest.raises(BadRequest), pytest.warns(UserWarning, match="refundStarPayment"):
        await bot.do_api_request("refundStarPayment", api_kwargs={"user_id": ana.id})
    assert tg.calls[-1].error == ('Bad Request: parameter "telegram_payment_charge_id" is '
                                  'required')
    assert not tg.star_payment(second.charge_id).refunded
    assert [t.id for t in tg.star_refunds] == [first.charge_id]
    # the bot hears of the refund as a message update, after both payments
    kinds = [("successful_payment" if "successful_payment" in u["message"] else
              "refunded_payment") for u in tg.updates if "message" in u]
    assert kinds == ["successful_payment", "refunded_payment", "successful_payment"]
    updates = await bot.get_updates(timeout=0)
    refunded = [u.message.refunded_payment for u in updates
                if u.message and u.message.refunded_payment]
    assert [(r.telegram_payment_charge_id, r.total_amount) for r in refunded] == [
        (first.charge_id, 50)]
    assert refunded[0].provider_payment_charge_id is None


async def test_star_transactions_oldest_first_with_refunds(tg, bot):
    ana, bea = tg.user(1001, "Ana"), tg.user(1002, "Bea")
    one = await paid(tg, bot, ana, "order-1", 50)
    two = await paid(tg, bot, bea, "order-2", 20)
    await bot.refund_star_payment(ana.id, one.charge_id)
    found = await bot.get_star_transactions()
    assert isinstance(found, StarTransactions)
    assert [(t.id, t.amount) for t in found.transactions] == [
        (one.charge_id, 50), (two.charge_id, 20), (one.charge_id, 50)]
    first, second, refund = found.transactions
    assert first.source.type == "user" and first.receiver is None
    assert first.source.transaction_type == "invoice_payment"
    assert first.source.user.id == ana.id and first.source.invoice_payload == "order-1"
    assert second.source.user.id == bea.id
    assert refund.receiver.user.id == ana.id and refund.source is None
    assert refund.receiver.invoice_payload == "order-1"
    # raw JSON, as the Bot API server writes it
    raw = tg.calls[-1].result["transactions"][0]
    assert list(raw) == ["id", "date", "source", "amount"]
    assert raw["source"] == {"transaction_type": "invoice_payment", "type": "user",
                             "user": ana.json, "invoice_payload": "order-1"}
    # offset and limit (clamped to 1..100, as the Bot API server does)
    assert [t.amount for t in (await bot.get_star_transactions(offset=1)).transactions] == [
        20, 50]
    assert len((await bot.get_star_transactions(offset=1, limit=1)).transactions) == 1
    assert len((await bot.get_star_transactions(limit=0)).transactions) == 1
    assert len((await bot.get_star_transactions(limit=500)).transactions) == 3
    assert (await bot.get_star_transactions(offset=5)).transactions == ()
    assert tg.star_balance == 20
    assert (await bot.get_my_star_balance()).amount == 20
    # PTB parses all of it
    assert StarTransactions.de_json({"transactions": [t.json for t in tg.star_transactions]},
                                    bot).transactions[2].receiver.user.id == ana.id


# --------------------------------------------------------------------------- started


async def test_a_user_who_has_not_started_the_bot(tg, bot):
    cai = tg.user(1003, "Cai", started=False)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(cai.id, "hello")
    assert tg.calls[-1].status == 403
    assert tg.calls[-1].error == "Forbidden: bot can't initiate conversation with a user"
    with pytest.raises(Forbidden):
        await invoice(bot, cai.id)
    await cai.send_text(cai.chat, "/start")
    assert (await bot.send_message(cai.id, "hello")).text == "hello"
    assert tg.user(1004, "Dee").started  # the default, as before
    # paying a link starts the conversation too
    eve = tg.user(1005, "Eve", started=False)
    link = await bot.create_invoice_link("Poster", "A print", "link-1", "XTR", STAR)
    paying = asyncio.create_task(eve.pay(link))
    query = await tg.wait_for(lambda _: tg.pre_checkout_queries, 5)
    await bot.answer_pre_checkout_query(query[0].id, ok=True)
    assert (await asyncio.wait_for(paying, 5)).ok
    assert (await bot.send_message(eve.id, "thanks")).text == "thanks"
