"""Invoices for packs of paintings, in Telegram Stars (docs/architecture.md, "Fair use
and Stars").

Telegram sells digital goods only in Stars: currency ``XTR``, no payment
provider (an empty ``provider_token``), exactly one price, no tips.  The invoice's
payload is how the bot knows, at the pre-checkout query and again at the
successful payment, that it issued the invoice, for whom and for which pack:
``v1:<user>:<paintings>:<stars>:<nonce>:<signature>``, signed with an HMAC keyed
by the bot's token, so nothing needs to be stored when an invoice is sent and a
forged or altered payload is refused.  A pack no longer on sale
(``LIENZO_STARS_PACKS`` changed) is refused at the pre-checkout query, before
anyone pays.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from telegram import Bot, LabeledPrice, Message

from bot import keyboards
from bot.config import StarsPack
from bot.texts import tn

CURRENCY = "XTR"  # Telegram Stars
VERSION = "v1"
SIGNATURE_CHARS = 32  # hex characters of the HMAC-SHA256 kept in the payload
START = "buy-"  # /start buy-<paintings>-<stars>: a pack's invoice (a deep link)


@dataclass(frozen=True)
class Order:
    """What a payload says was offered: to whom, which pack."""

    user_id: int
    pack: StarsPack


def _key(token: str) -> bytes:
    return hashlib.sha256(b"lienzo invoice payload\0" + token.encode()).digest()


def _signature(token: str, body: str) -> str:
    return hmac.new(_key(token), body.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def payload(token: str, order: Order) -> str:
    """The signed payload of an invoice for ``order`` (at most 128 bytes, as the Bot
    API allows: ~80 with the largest ids)."""
    body = f"{VERSION}:{order.user_id}:{order.pack.paintings}:{order.pack.stars}:" \
           f"{secrets.token_hex(6)}"
    return f"{body}:{_signature(token, body)}"


def read(token: str, text: str) -> Order | None:
    """The order a payload this bot signed says; None for anything else."""
    body, _, signature = text.rpartition(":")
    if not hmac.compare_digest(signature.encode(), _signature(token, body).encode()):
        return None
    parts = body.split(":")
    if len(parts) != 5 or parts[0] != VERSION or not all(p.isdigit() for p in parts[1:4]):
        return None
    return Order(int(parts[1]), StarsPack(int(parts[2]), int(parts[3])))


def start_parameter(pack: StarsPack) -> str:
    """``/start buy-<paintings>-<stars>``: the deep link's parameter for a pack."""
    return f"{START}{pack.paintings}-{pack.stars}"


async def send(bot: Bot, chat_id: int, lang: str, order: Order) -> Message:
    """The invoice for ``order``, sent to ``chat_id`` (the buyer's private chat)."""
    pack = order.pack
    return await bot.send_invoice(
        chat_id, title=tn(lang, "invoice.title", pack.paintings),
        description=tn(lang, "invoice.description", pack.paintings),
        payload=payload(bot.token, order), currency=CURRENCY, provider_token="",
        prices=[LabeledPrice(tn(lang, "invoice.label", pack.paintings), pack.stars)],
        # A forwarded copy gets a link that opens the bot with this pack for whoever
        # taps it, instead of a Pay button for an invoice made for someone else.
        start_parameter=start_parameter(pack),
        reply_markup=keyboards.pay(lang, pack))
