"""Paintings paid in Telegram Stars (docs/architecture.md, "Fair use and Stars"):
a pack's button and its invoice, the pre-checkout query, the successful payment,
refunds, /balance, /paysupport and the admins' /refund.

Exactly once: a successful payment is credited in the ledger keyed by Telegram's
charge id (``bot.stores.ledger``) inside its handler; the durable inbox
(``bot.inbox``) handles the update again after a crash until that handler ends,
and a second credit of the same charge changes nothing.  The receipt is marked
in the ledger, then sent: at most once (a crash while sending leaves Telegram's
own payment message in the chat; a second receipt would read like a second
payment).  Then the person's held photos are painted at
once (``FairUse.release_held``).  The pre-checkout query is answered from the
payload alone (``bot.invoices``): no store is touched within Telegram's 10 s.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import CallbackQuery, Update, User
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import callback_data, invoices, keyboards
from bot.config import StarsPack
from bot.fair_use import until_tomorrow
from bot.handlers.common import Services, admin_sender, button, message_of, reply, sender
from bot.held import show_released
from bot.invoices import Order
from bot.state import Context
from bot.texts import ALERT_LIMIT, duration_text, t

log = logging.getLogger("lienzo.payments")

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"
NOT_FOUND = "CHARGE_NOT_FOUND"
START_PACK = re.compile(r"^buy-(?P<paintings>\d+)-(?P<stars>\d+)\Z")


def start_link(bot_username: str, pack: StarsPack) -> str:
    """The deep link that opens the private chat and asks for this pack's invoice."""
    return f"https://t.me/{bot_username}?start={invoices.start_parameter(pack)}"


class Payments:
    """The handlers of selling: their commands and buttons exist only while fair use is
    on (off, the bot is as it was); payments and refunds are always handled, since
    Stars that arrive must be credited whatever the settings say now."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def handlers(self, allowed: filters.BaseFilter) -> list[BaseHandler[Update, Context, None]]:
        """The commands (in allowed chats), and the payment updates from anywhere:
        money that arrived is credited whatever chat the invoice was paid in."""
        counted = self.s.answering.counted
        commands = [
            CommandHandler("balance", counted(self.balance), filters=allowed),
            CommandHandler("paysupport", counted(self.paysupport), filters=allowed),
            CommandHandler("refund", counted(self.refund), filters=allowed),
        ] if self.s.fair_use.on else []
        return [
            *commands,
            PreCheckoutQueryHandler(counted(self.pre_checkout)),
            MessageHandler(filters.SUCCESSFUL_PAYMENT, counted(self.paid)),
            MessageHandler(filters.StatusUpdate.REFUNDED_PAYMENT, counted(self.refunded)),
        ]

    def button_handlers(self) -> list[BaseHandler[Update, Context, None]]:
        if not self.s.fair_use.on:
            return []
        return [CallbackQueryHandler(button(self.s, self.buy), pattern=callback_data.BUY)]

    # -- offering ---------------------------------------------------------------------
    async def buy(self, query: CallbackQuery, user: User, lang: str, match: re.Match[str],
                  context: Context) -> None:
        """A pack's button: its invoice in the presser's private chat - or, where the
        bot may not write first (they never started it), a link that opens it."""
        pack = self.s.config.pack(*callback_data.read_pack(match))
        if pack is None:
            await query.answer(t(lang, "alert.pack_gone")[:ALERT_LIMIT], show_alert=True)
            return
        message = message_of(query)
        try:
            await invoices.send(context.bot, user.id, lang, Order(user.id, pack))
        except Forbidden:
            await query.answer(url=start_link(context.bot.username, pack))
            return
        except TelegramError as exc:
            log.warning("invoice for %s not sent: %s", user.id, exc)
            await query.answer(t(lang, "alert.invoice_failed")[:ALERT_LIMIT], show_alert=True)
            return
        private = message is not None and message.chat.id == user.id
        await query.answer(None if private else t(lang, "alert.invoice_sent")[:ALERT_LIMIT])

    async def from_link(self, update: Update, context: Context, argument: str) -> None:
        """``/start buy-<paintings>-<stars>``: the pack's invoice, here."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        found = START_PACK.match(argument)
        pack = self.s.config.pack(int(found["paintings"]), int(found["stars"])) \
            if found else None
        if pack is None:
            await reply(message, t(lang, "alert.pack_gone"))
            return
        await invoices.send(context.bot, message.chat.id, lang, Order(user.id, pack))

    # -- paying -----------------------------------------------------------------------
    async def pre_checkout(self, update: Update, context: Context) -> None:
        """Ok only for an invoice this bot issued to this person, for a pack on sale at
        its price; otherwise Telegram shows our reason and nobody pays."""
        query = update.pre_checkout_query
        if query is None:
            return
        order = invoices.read(context.bot.token, query.invoice_payload)
        good = order is not None and order.user_id == query.from_user.id \
            and query.currency == invoices.CURRENCY \
            and self.s.config.pack(order.pack.paintings, order.pack.stars) is not None \
            and query.total_amount == order.pack.stars
        if good:
            await query.answer(ok=True)
            return
        log.warning("pre-checkout refused for %s: payload %r, %s %s", query.from_user.id,
                    query.invoice_payload, query.total_amount, query.currency)
        lang = await self.s.lang(query.from_user)
        await query.answer(ok=False, error_message=t(lang, "alert.pay_refused"))

    async def paid(self, update: Update, context: Context) -> None:
        """Credit the pack (once per charge), send the receipt (at most once), paint what
        waits."""
        if (who := sender(update)) is None or (payment := who[1].successful_payment) is None:
            return
        user, message = who
        order = invoices.read(context.bot.token, payment.invoice_payload)
        if order is None:  # Telegram took Stars for an invoice we cannot read: keep it
            log.error("payment %s from %s for an unreadable payload %r: credited nothing; "
                      "/refund it", payment.telegram_payment_charge_id, user.id,
                      payment.invoice_payload)
        paintings = order.pack.paintings if order else 0
        lang = await self.s.lang(user)
        ledger, charge = self.s.fair_use.ledger, payment.telegram_payment_charge_id
        credited = await asyncio.to_thread(ledger.credit, charge, user.id, paintings,
                                           payment.total_amount, lang)
        if not credited.purchase.receipt_sent:
            # Marked before it is sent: a crash while sending leaves Telegram's own
            # payment message as the receipt, never a second receipt that reads like a
            # second payment (bench.chaos "bot-kills-payment" found that window).
            await asyncio.to_thread(ledger.receipt_sent, charge)
            self.s.metrics.stars_received.inc(payment.total_amount)
            log.info("payment %s: %d Stars from %s, %d paintings", charge,
                     payment.total_amount, user.id, paintings)
            balance = await self.s.fair_use.balance(user.id)
            try:
                await reply(message, t(lang, "pay.receipt", paintings=paintings,
                                       stars=payment.total_amount,
                                       paid=max(0, balance.paid), charge=charge))
            except TelegramError as exc:  # the credit stands; Telegram's message says it
                log.warning("receipt of %s not sent: %s", charge, exc)
        await show_released(context.bot, await self.s.fair_use.release_held(user.id))

    async def refunded(self, update: Update, context: Context) -> None:
        """Telegram's service message: a payment went back (our /refund, or Telegram's
        support).  Its paintings leave the balance, once; the person is told, once."""
        if (who := sender(update)) is None or (refund := who[1].refunded_payment) is None:
            return
        message = who[1]  # from the bot: the payer is the ledger's
        charge = refund.telegram_payment_charge_id
        ledger = self.s.fair_use.ledger
        before = await asyncio.to_thread(ledger.refunded, charge)
        if before is None:
            log.warning("refund of %s, a payment the ledger does not have", charge)
            return
        if before.refunded_at is None:  # not through /refund: Telegram's support
            self.s.metrics.refunds.inc()
        if not before.refund_noted:  # marked first, as a receipt is
            await asyncio.to_thread(ledger.refund_noted, charge)
            await reply(message, t(before.lang, "refund.user", stars=before.stars,
                                   paintings=before.paintings))

    # -- commands ---------------------------------------------------------------------
    async def balance(self, update: Update, context: Context) -> None:
        """Free paintings left today, paid ones left, and the packs."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        config = self.s.config
        balance = await self.s.fair_use.balance(user.id)
        await reply(message, t(lang, "balance.text", free_left=self.s.fair_use.free_left(balance),
                               free=config.free_per_day, paid=max(0, balance.paid),
                               wait=duration_text(lang, until_tomorrow())),
                    reply_markup=keyboards.packs(lang, config.stars_packs))

    async def paysupport(self, update: Update, context: Context) -> None:
        """Telegram's terms: a bot that sells answers /paysupport."""
        if (who := sender(update)) is None:
            return
        user, message = who
        lang = await self.s.lang(user)
        text = self.s.config.paysupport
        if not self.s.config.stars_packs:
            await reply(message, t(lang, "paysupport.nothing_sold"))
        elif text:
            await reply(message, t(lang, "paysupport.operator", text=text))
        else:
            await reply(message, t(lang, "paysupport.default"))

    async def refund(self, update: Update, context: Context) -> None:
        """Admins: ``/refund <charge id>`` gives the Stars back (``refundStarPayment``)
        and takes the pack's paintings back."""
        if (asked := await admin_sender(self.s, update)) is None:
            return
        _, message, lang = asked
        if not context.args:
            await reply(message, t(lang, "refund.usage"))
            return
        charge = context.args[0]
        ledger = self.s.fair_use.ledger
        purchase = await asyncio.to_thread(ledger.purchase, charge)
        if purchase is None:
            await reply(message, t(lang, "refund.unknown", charge=charge))
            return
        try:
            await context.bot.refund_star_payment(purchase.user_id, charge)
        except BadRequest as exc:  # PTB rewords the error's case: compare without it
            if ALREADY_REFUNDED.lower() in str(exc).lower():
                await asyncio.to_thread(ledger.refunded, charge)
                await reply(message, t(lang, "refund.already", charge=charge))
                return
            if NOT_FOUND.lower() in str(exc).lower():
                await reply(message, t(lang, "refund.not_found", charge=charge))
                return
            raise
        before = await asyncio.to_thread(ledger.refunded, charge)
        if before is not None and before.refunded_at is None:
            self.s.metrics.refunds.inc()
        await reply(message, t(lang, "refund.done", charge=charge, stars=purchase.stars,
                               paintings=purchase.paintings, user_id=purchase.user_id))
