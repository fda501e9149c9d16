"""Telegram Stars payments for the fake Bot API server (tests/support/fake_telegram.py).

:class:`StarsPayments` is a mixin of ``FakeTelegram`` and :class:`StarsPayer` one of
``FakeUser``; the small dataclasses below are what the tests read.  Only payments in
Telegram Stars (currency ``XTR``, no payment provider) are modelled.

The bot's side (Bot API methods, JSON as the Bot API server writes it):

* ``sendInvoice`` — the chat gets a message with an ``invoice`` (``title``, ``description``,
  ``start_parameter``, ``currency``, ``total_amount``); an inline keyboard, if any, must
  start with a ``pay`` button.  ``createInvoiceLink`` — the same invoice as an
  ``https://t.me/$...`` link.  Both are checked in the order the Bot API server, TDLib and
  Telegram check them (see "Errors" below).
* ``answerPreCheckoutQuery`` — within ``tg.pre_checkout_deadline`` seconds (10, Telegram's;
  a test may shorten it) of the ``pre_checkout_query`` update, once.
* ``refundStarPayment`` — the user gets the Stars back; a ``refunded_payment`` service
  message from the bot appears in their private chat and reaches the bot as a ``message``
  update (the Bot API server forwards this one outgoing message kind).
* ``getStarTransactions`` (``offset``, ``limit`` clamped to 1-100) — oldest first, as the
  Bot API server asks Telegram for bots; a refund is a transaction with the payment's id,
  a ``receiver`` instead of a ``source``.  ``getMyStarBalance``.

The user's side::

    msg = await bot.send_invoice(ana.id, "Poster", "A print", "order-1", "XTR",
                                 [LabeledPrice("Poster", 50)])
    result = await ana.pay(msg)            # or a link from createInvoiceLink
    # a pre_checkout_query update is queued; pay() waits for answerPreCheckoutQuery
    # (up to tg.pre_checkout_deadline), then, if ok, Ana's private chat with the bot gets
    # a successful_payment message from Ana (a "message" update) and a transaction
    result.ok, result.charge_id, result.message, result.error_message, result.timed_out

``pay`` needs the bot to answer, so with a bare ``Bot`` run it as a task
(``asyncio.create_task(ana.pay(msg))``) while the test polls getUpdates.

Records on the server: ``tg.invoices`` (:class:`StarsInvoice`, sent or linked),
``tg.pre_checkout_queries`` (:class:`PreCheckoutQuery`, ``answer`` = the bot's
answerPreCheckoutQuery params), ``tg.star_payments`` (:class:`StarPayment`, with
``refund`` once refunded; ``tg.star_payment(charge_id)``), ``tg.star_transactions``
(:class:`StarTransaction`, oldest first; ``amount`` negative for refunds),
``tg.star_refunds`` and ``tg.star_balance``.

Errors, with Telegram's wording:

* The Bot API server reads the parameters: ``parameter "title" is required`` (also
  ``description``, ``payload``, ``currency``, ``prices``; an empty string is missing),
  ``can't parse prices JSON object``, ``expected an Array of labeled prices``, ``can't
  parse labeled price: ...`` (``LabeledPrice must be an Object``, ``Can't find field
  "label"``, ``LabeledPrice label must be non-empty``, ``Field "amount" must be a valid
  Number``), ``there must be at least one price``, ``can't parse "max_tip_amount" as
  Number``, ``can't parse suggested_tip_amounts JSON object``.
* TDLib: ``total price must be positive``, ``too big amount of the currency specified``,
  ``suggested tip amount must be positive``, ``suggested tip amount can't be bigger than
  max_tip_amount``, ``there can be at most 4 suggested tip amounts``.
* Telegram: ``PAYMENT_PROVIDER_INVALID`` (any currency but XTR: no provider is
  modelled), ``STARS_INVOICE_INVALID`` (an XTR invoice with a provider token, more than one
  price, tips or any ``need_*``/``send_*_to_provider``/``is_flexible``),
  ``CURRENCY_TOTAL_AMOUNT_INVALID`` (more than ``tg.stars_invoice_max`` Stars, 10000 by
  default), ``INVOICE_PAYLOAD_INVALID`` (over 128 bytes), ``MEDIA_INVALID`` (a title over
  32 or a description over 255 characters), ``REPLY_MARKUP_BUY_EMPTY`` (a keyboard whose
  first button is not ``pay``).
* answerPreCheckoutQuery: ``parameter "error_message" is required`` when ``ok`` is false;
  an unknown, answered or expired query is Telegram's QUERY_ID_INVALID, which the Bot API
  server words "query is too old and response timeout expired or query ID is invalid".
* refundStarPayment: ``invalid user_id specified``, ``parameter
  "telegram_payment_charge_id" is required``, ``USER_ID_INVALID`` (a user the fake does
  not know), ``CHARGE_NOT_FOUND`` (an unknown charge, or another user's),
  ``CHARGE_ALREADY_REFUNDED``.

Not modelled: payments in other currencies (shipping and pre-checkout for providers),
subscriptions (``subscription_period``), paid media, affiliate programs, the user's own
Star balance (every payment succeeds once the bot says ok), and a ``reply_to_message`` on
the successful_payment message.  A user who pays becomes one who has started the bot.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.fake_telegram import FakeChat, FakeMessage, FakeTelegram, FakeUser

__all__ = [
    "PaymentResult",
    "PreCheckoutQuery",
    "StarPayment",
    "StarTransaction",
    "StarsInvoice",
    "StarsPayer",
    "StarsPayments",
]

STARS = "XTR"
MAX_INVOICE_TITLE = 32  # characters
MAX_INVOICE_DESCRIPTION = 255  # characters
MAX_INVOICE_PAYLOAD = 128  # bytes
STARS_INVOICE_MAX = 10000  # Stars in one invoice (tg.stars_invoice_max)
PRE_CHECKOUT_DEADLINE = 10.0  # seconds the bot has to answer a pre_checkout_query
MAX_CURRENCY_AMOUNT = 9999_9999_9999  # TDLib's check_currency_amount
MAX_SUGGESTED_TIPS = 4
MAX_TRANSACTIONS = 100  # getStarTransactions' limit
INTEGER_RE = re.compile(r"^-?\d{1,19}$")
# need_* and send_*_to_provider: what only a payment provider can use
PROVIDER_FLAGS = ("need_name", "need_phone_number", "need_email", "need_shipping_address",
                  "send_phone_number_to_provider", "send_email_to_provider", "is_flexible")

# Telegram's errors ("Bad Request: " is added by _bad)
STARS_INVOICE_INVALID = "STARS_INVOICE_INVALID"
CURRENCY_TOTAL_AMOUNT_INVALID = "CURRENCY_TOTAL_AMOUNT_INVALID"
PAYMENT_PROVIDER_INVALID = "PAYMENT_PROVIDER_INVALID"
INVOICE_PAYLOAD_INVALID = "INVOICE_PAYLOAD_INVALID"
INVOICE_MEDIA_INVALID = "MEDIA_INVALID"  # title or description too long
REPLY_MARKUP_BUY_EMPTY = "REPLY_MARKUP_BUY_EMPTY"
CHARGE_NOT_FOUND = "CHARGE_NOT_FOUND"
CHARGE_ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"
USER_ID_INVALID = "USER_ID_INVALID"


# --------------------------------------------------------------------------- records


@dataclass
class StarsInvoice:
    """An invoice the bot made: sent (``message``) or as a link (``link``)."""

    title: str
    description: str
    payload: str
    currency: str
    prices: list[dict]  # [{"label", "amount"}], as the bot gave them
    start_parameter: str = ""
    photo_url: str = ""
    message: FakeMessage | None = field(default=None, repr=False)
    link: str | None = None

    @property
    def total_amount(self) -> int:
        return sum(int(p["amount"]) for p in self.prices)

    @property
    def json(self) -> dict:
        """The Bot API ``Invoice`` object."""
        return {"title": self.title, "description": self.description,
                "start_parameter": self.start_parameter, "currency": self.currency,
                "total_amount": self.total_amount}


@dataclass
class PreCheckoutQuery:
    """A pre_checkout_query: the user pressed Pay.  ``answer``: the bot's
    answerPreCheckoutQuery params (``ok``, ``error_message``) once it answered in time."""

    id: str
    user: FakeUser
    invoice: StarsInvoice
    time: float  # time.monotonic() when it was queued
    deadline: float  # time.monotonic() after which an answer is too late
    answer: dict | None = None
    server: FakeTelegram | None = field(default=None, repr=False)

    @property
    def json(self) -> dict:
        return {"id": self.id, "from": self.user.json, "currency": self.invoice.currency,
                "total_amount": self.invoice.total_amount,
                "invoice_payload": self.invoice.payload}

    async def answered(self, timeout: float = 10.0) -> dict:
        """Wait for the bot's answer; returns its params."""
        assert self.server is not None, "a query made by FakeTelegram has its server"
        await self.server.wait_for(lambda _: self.answer is not None, timeout,
                                   f"answerPreCheckoutQuery for {self.invoice.payload!r}")
        assert self.answer is not None
        return self.answer


@dataclass
class StarTransaction:
    """One line of the bot's Star account: a payment (``amount`` > 0) or a refund (< 0,
    with the payment's id, as Telegram has it)."""

    id: str
    amount: int
    date: int
    user: FakeUser
    invoice_payload: str

    @property
    def is_refund(self) -> bool:
        return self.amount < 0

    @property
    def json(self) -> dict:
        """The Bot API ``StarTransaction`` (a ``TransactionPartnerUser``)."""
        partner: dict = {"transaction_type": "invoice_payment", "type": "user",
                         "user": self.user.json}
        if self.invoice_payload:
            partner["invoice_payload"] = self.invoice_payload
        return {"id": self.id, "date": self.date,
                ("receiver" if self.is_refund else "source"): partner,
                "amount": abs(self.amount)}


@dataclass
class StarPayment:
    """A successful payment: ``charge_id`` is its telegram_payment_charge_id."""

    charge_id: str
    user: FakeUser
    invoice: StarsInvoice
    transaction: StarTransaction
    message: FakeMessage = field(repr=False)  # the successful_payment message
    refund: StarTransaction | None = None
    refund_message: FakeMessage | None = field(default=None, repr=False)

    @property
    def refunded(self) -> bool:
        return self.refund is not None


@dataclass
class PaymentResult:
    """What became of ``user.pay(...)``.

    ``ok``: paid.  ``error_message``: the bot's, when it answered ok=False.
    ``timed_out``: no answer within ``tg.pre_checkout_deadline``.  ``charge_id`` and
    ``message`` (the successful_payment message) when paid.
    """

    ok: bool
    query: PreCheckoutQuery
    error_message: str | None = None
    timed_out: bool = False
    charge_id: str | None = None
    message: FakeMessage | None = None
    payment: StarPayment | None = None


# --------------------------------------------------------------------------- the user


class StarsPayer:
    """FakeUser's payment driver."""

    if TYPE_CHECKING:
        server: FakeTelegram

    async def pay(self, invoice: Any) -> PaymentResult:
        """Press Pay on an invoice message (a FakeMessage, PTB Message or Bot API dict) or
        open an invoice link from createInvoiceLink and confirm.

        Queues a pre_checkout_query and waits for the bot's answer, at most
        ``tg.pre_checkout_deadline`` seconds.  On ok the payment is made: a
        successful_payment message from this user in their private chat with the bot.
        """
        assert isinstance(self, _ft.FakeUser)
        return await self.server._pay(self, invoice)


# --------------------------------------------------------------------------- the server


def _flag(params: dict, name: str) -> bool:
    """A Boolean parameter as the Bot API server reads it."""
    value = params.get(name)
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("true", "yes", "1")


def _integer(value: Any) -> int | None:
    """td::to_integer_safe on a JSON number or string (None when it is not an integer)."""
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, int):
        return value if abs(value) < 2**63 else None
    if isinstance(value, str) and INTEGER_RE.match(value):
        number = int(value)
        return number if abs(number) < 2**63 else None
    return None


def _json_arg(value: Any, what: str) -> Any:
    if not isinstance(value, str):
        return value  # the request was JSON: already decoded
    try:
        return json.loads(value)
    except ValueError:
        raise _ft._bad(f"can't parse {what} JSON object") from None


@dataclass
class _InvoiceParams:
    """sendInvoice/createInvoiceLink parameters as the Bot API server read them."""

    title: str
    description: str
    payload: str
    currency: str
    provider_token: str
    start_parameter: str
    photo_url: str
    prices: list[dict]
    max_tip_amount: int
    suggested_tip_amounts: list[int]
    flags: dict[str, bool]


class StarsPayments:
    """FakeTelegram's payment methods and records (see the module docstring)."""

    if TYPE_CHECKING:
        allowed_updates: list[str]
        _users: dict[int, FakeUser]

        def _chat_for(self, params: dict) -> FakeChat: ...
        def _markup(self, params: dict, chat: FakeChat | None = None) -> dict | None: ...
        def _reply_target(self, chat: FakeChat, params: dict) -> FakeMessage | None: ...
        def _bot_message(self, chat: FakeChat, fields: dict, params: dict,
                         reply_to: FakeMessage | None, markup: dict | None) -> FakeMessage: ...
        def _queue_update(self, kind: str, payload: dict) -> dict | None: ...
        def _user_message(self, user: FakeUser, chat: FakeChat, fields: dict, reply_to: Any,
                          deliver: bool) -> FakeMessage: ...
        def _find_message(self, message: Any, chat: FakeChat | None = None) -> FakeMessage: ...
        def _notify(self) -> None: ...
        async def _changed(self, timeout: float) -> None: ...
        def private_chat(self, user: FakeUser) -> FakeChat: ...

    def _init_payments(self, pre_checkout_deadline: float = PRE_CHECKOUT_DEADLINE) -> None:
        self.pre_checkout_deadline = pre_checkout_deadline
        self.stars_invoice_max = STARS_INVOICE_MAX
        self.invoices: list[StarsInvoice] = []
        self.pre_checkout_queries: list[PreCheckoutQuery] = []
        self.star_payments: list[StarPayment] = []
        self.star_transactions: list[StarTransaction] = []  # oldest first
        self._invoice_messages: dict[tuple[int, int], StarsInvoice] = {}
        self._invoice_links: dict[str, StarsInvoice] = {}
        self._pre_checkouts: dict[str, PreCheckoutQuery] = {}
        self._charges: dict[str, StarPayment] = {}

    # records
    def star_payment(self, charge_id: str) -> StarPayment:
        return self._charges[charge_id]

    @property
    def star_refunds(self) -> list[StarTransaction]:
        return [t for t in self.star_transactions if t.is_refund]

    @property
    def star_balance(self) -> int:
        return sum(t.amount for t in self.star_transactions)

    # reading and checking an invoice
    @staticmethod
    def _required_arg(params: dict, name: str) -> str:
        value = params.get(name)
        if value is None or value == "":
            raise _ft._bad(f'parameter "{name}" is required')
        return value if isinstance(value, str) else json.dumps(value)

    def _read_invoice(self, params: dict) -> _InvoiceParams:
        """What the Bot API server parses, with its errors (get_input_message_invoice)."""
        title = self._required_arg(params, "title")
        description = self._required_arg(params, "description")
        payload = self._required_arg(params, "payload")
        currency = self._required_arg(params, "currency")
        if params.get("prices") in (None, ""):
            raise _ft._bad('parameter "prices" is required')
        raw_prices = _json_arg(params["prices"], "prices")
        if not isinstance(raw_prices, list):
            raise _ft._bad("expected an Array of labeled prices")
        prices = []
        for raw in raw_prices:
            try:
                prices.append(self._read_price(raw))
            except _ft._ParseError as exc:
                raise _ft._bad(f"can't parse labeled price: {exc}") from None
        if not prices:
            raise _ft._bad("there must be at least one price")
        max_tip = params.get("max_tip_amount")
        max_tip_amount = 0
        if max_tip not in (None, ""):
            parsed = _integer(max_tip)
            if parsed is None:
                raise _ft._bad("can't parse \"max_tip_amount\" as Number")
            max_tip_amount = parsed
        tips: list[int] = []
        raw_tips = params.get("suggested_tip_amounts")
        if raw_tips not in (None, ""):
            raw_tips = _json_arg(raw_tips, "suggested_tip_amounts")
            if not isinstance(raw_tips, list):
                raise _ft._bad("expected an Array of suggested tip amounts")
            for tip in raw_tips:
                if isinstance(tip, bool) or not isinstance(tip, int | float | str):
                    raise _ft._bad("suggested tip amount must be of type Number or String")
                parsed = _integer(tip)
                if parsed is None:
                    raise _ft._bad("can't parse suggested tip amount as Number")
                tips.append(parsed)
        if params.get("subscription_period") not in (None, "", 0, "0"):
            raise _ft._bad("subscriptions are not supported by the fake server")
        return _InvoiceParams(
            title=title, description=description, payload=payload, currency=currency,
            provider_token=str(params.get("provider_token") or ""),
            start_parameter=str(params.get("start_parameter") or ""),
            photo_url=str(params.get("photo_url") or ""), prices=prices,
            max_tip_amount=max_tip_amount, suggested_tip_amounts=tips,
            flags={name: _flag(params, name) for name in PROVIDER_FLAGS})

    @staticmethod
    def _read_price(raw: Any) -> dict:
        """One LabeledPrice (get_labeled_price_part; raises _ParseError)."""
        if not isinstance(raw, dict):
            raise _ft._ParseError("LabeledPrice must be an Object")
        label = _ft._json_str(raw, "label", required=True)
        if not label:
            raise _ft._ParseError("LabeledPrice label must be non-empty")
        if "amount" not in raw:
            raise _ft._ParseError('Can\'t find field "amount"')
        value = raw["amount"]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _ft._ParseError('Field "amount" must be a Number')
        amount = _integer(value)
        if amount is None:
            raise _ft._ParseError('Field "amount" must be a valid Number')
        return {"label": label, "amount": amount}

    def _check_invoice(self, read: _InvoiceParams) -> StarsInvoice:
        """TDLib's checks, then Telegram's."""
        total = 0
        for price in read.prices:
            if abs(price["amount"]) > MAX_CURRENCY_AMOUNT:
                raise _ft._bad("too big amount of the currency specified")
            total += price["amount"]
        if total <= 0:
            raise _ft._bad("total price must be positive")
        if total > MAX_CURRENCY_AMOUNT:
            raise _ft._bad("total price is too big")
        if read.max_tip_amount < 0 or read.max_tip_amount > MAX_CURRENCY_AMOUNT:
            raise _ft._bad("invalid max_tip_amount of the currency specified")
        for tip in read.suggested_tip_amounts:
            if tip <= 0:
                raise _ft._bad("suggested tip amount must be positive")
            if tip > read.max_tip_amount:
                raise _ft._bad("suggested tip amount can't be bigger than max_tip_amount")
        if len(read.suggested_tip_amounts) > MAX_SUGGESTED_TIPS:
            raise _ft._bad("there can be at most 4 suggested tip amounts")
        # Telegram's servers
        if read.currency != STARS:
            raise _ft._bad(PAYMENT_PROVIDER_INVALID)
        if (read.provider_token or len(read.prices) != 1 or read.max_tip_amount
                or read.suggested_tip_amounts or any(read.flags.values())):
            raise _ft._bad(STARS_INVOICE_INVALID)
        if total > self.stars_invoice_max:
            raise _ft._bad(CURRENCY_TOTAL_AMOUNT_INVALID)
        if len(read.payload.encode()) > MAX_INVOICE_PAYLOAD:
            raise _ft._bad(INVOICE_PAYLOAD_INVALID)
        if (len(read.title) > MAX_INVOICE_TITLE
                or len(read.description) > MAX_INVOICE_DESCRIPTION):
            raise _ft._bad(INVOICE_MEDIA_INVALID)
        return StarsInvoice(read.title, read.description, read.payload, read.currency,
                            read.prices, read.start_parameter, read.photo_url)

    @staticmethod
    def _check_pay_button(markup: dict | None) -> None:
        """An invoice's inline keyboard must start with a Pay button (none: Telegram adds
        one)."""
        rows = (markup or {}).get("inline_keyboard")
        if rows is None:
            return
        first = next((button for row in rows for button in row), None)
        if first is None or _ft._button_kind(first) != "pay":
            raise _ft._bad(REPLY_MARKUP_BUY_EMPTY)

    # the methods
    async def _m_sendInvoice(self, params: dict, files: dict) -> dict:
        read = self._read_invoice(params)
        chat = self._chat_for(params)
        markup = self._markup(params, chat)
        reply_to = self._reply_target(chat, params)
        invoice = self._check_invoice(read)
        self._check_pay_button(markup)
        msg = self._bot_message(chat, {"invoice": invoice.json}, params, reply_to, markup)
        invoice.message = msg
        self.invoices.append(invoice)
        self._invoice_messages[(chat.id, msg.message_id)] = invoice
        return _ft._plain(msg)

    async def _m_createInvoiceLink(self, params: dict, files: dict) -> str:
        if params.get("business_connection_id"):
            raise _ft._bad("business connections are not supported by the fake server")
        invoice = self._check_invoice(self._read_invoice(params))
        invoice.link = "https://t.me/$" + secrets.token_urlsafe(18)
        self.invoices.append(invoice)
        self._invoice_links[invoice.link] = invoice
        return invoice.link

    async def _m_answerPreCheckoutQuery(self, params: dict, files: dict) -> bool:
        ok = _flag(params, "ok")
        error_message = None
        if not ok:
            error_message = self._required_arg(params, "error_message")
        query = self._pre_checkouts.get(str(params.get("pre_checkout_query_id") or ""))
        if query is None or query.answer is not None or time.monotonic() > query.deadline:
            raise _ft._bad(_ft.QUERY_TOO_OLD)  # Telegram's QUERY_ID_INVALID, as worded
        query.answer = {"ok": ok, "error_message": error_message}
        self._notify()
        return True

    async def _m_refundStarPayment(self, params: dict, files: dict) -> bool:
        user_id = params.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise _ft._bad("invalid user_id specified")
        charge_id = self._required_arg(params, "telegram_payment_charge_id")
        user = self._users.get(user_id)
        if user is None:
            raise _ft._bad(USER_ID_INVALID)
        payment = self._charges.get(charge_id)
        if payment is None or payment.user is not user:
            raise _ft._bad(CHARGE_NOT_FOUND)
        if payment.refund is not None:
            raise _ft._bad(CHARGE_ALREADY_REFUNDED)
        invoice = payment.invoice
        refund = StarTransaction(charge_id, -invoice.total_amount, int(time.time()), user,
                                 invoice.payload)
        payment.refund = refund
        self.star_transactions.append(refund)
        chat = self.private_chat(user)
        msg = self._bot_message(chat, {"refunded_payment": {
            "currency": invoice.currency, "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload, "telegram_payment_charge_id": charge_id}},
            {}, None, None)
        payment.refund_message = msg
        self._queue_update("message", msg)  # the one outgoing message the bot is told of
        return True

    async def _m_getStarTransactions(self, params: dict, files: dict) -> dict:
        offset = max(int(params.get("offset") or 0), 0)
        limit = params.get("limit")
        limit = MAX_TRANSACTIONS if limit in (None, "") else min(max(int(limit), 1),
                                                                  MAX_TRANSACTIONS)
        chosen = self.star_transactions[offset:offset + limit]
        return {"transactions": [t.json for t in chosen]}

    async def _m_getMyStarBalance(self, params: dict, files: dict) -> dict:
        return {"amount": self.star_balance}

    # the user's side
    def _invoice_for(self, invoice: Any) -> StarsInvoice:
        if isinstance(invoice, StarsInvoice):
            return invoice
        if isinstance(invoice, str):
            found = self._invoice_links.get(invoice)
            if found is None:
                raise AssertionError(f"{invoice!r} is no invoice link the bot created")
            return found
        msg = self._find_message(invoice)
        if msg.deleted:
            raise AssertionError(f"{msg!r} was deleted: nothing to pay")
        found = self._invoice_messages.get((msg.chat.id, msg.message_id))
        if found is None:
            raise AssertionError(f"{msg!r} is not an invoice")
        return found

    async def _pay(self, user: FakeUser, invoice_ref: Any) -> PaymentResult:
        invoice = self._invoice_for(invoice_ref)
        msg = invoice.message
        if msg is not None and msg.chat.type == "private" and msg.chat.user is not user:
            raise AssertionError(f"{user!r} cannot see {msg!r}")
        now = time.monotonic()
        assert isinstance(self, _ft.FakeTelegram)
        query = PreCheckoutQuery(str(secrets.randbits(63)), user, invoice, now,
                                 now + self.pre_checkout_deadline, server=self)
        self.pre_checkout_queries.append(query)
        self._pre_checkouts[query.id] = query
        self._queue_update("pre_checkout_query", query.json)
        while query.answer is None:
            remaining = query.deadline - time.monotonic()
            if remaining <= 0:
                return PaymentResult(False, query, timed_out=True)
            await self._changed(remaining)
        if not query.answer["ok"]:
            return PaymentResult(False, query, error_message=query.answer["error_message"])
        return PaymentResult(True, query, **self._paid(user, invoice))

    def _paid(self, user: FakeUser, invoice: StarsInvoice) -> dict:
        charge_id = "stx" + secrets.token_urlsafe(72)
        while charge_id in self._charges:
            charge_id = "stx" + secrets.token_urlsafe(72)
        msg = self._user_message(user, self.private_chat(user), {"successful_payment": {
            "currency": invoice.currency, "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload, "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": ""}}, None, True)
        transaction = StarTransaction(charge_id, invoice.total_amount, msg["date"], user,
                                      invoice.payload)
        payment = StarPayment(charge_id, user, invoice, transaction, msg)
        self.star_transactions.append(transaction)
        self.star_payments.append(payment)
        self._charges[charge_id] = payment
        self._notify()
        return {"charge_id": charge_id, "message": msg, "payment": payment}


# At the end: fake_telegram imports this module for its mixins, and this module needs
# fake_telegram's helpers only when its methods run.
from tests.support import fake_telegram as _ft  # noqa: E402
