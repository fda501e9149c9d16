"""Who opened the studio, by Telegram's word only: a Mini App's ``initData`` checked
as Telegram documents it ("Validating data received via the Mini App").

Telegram hands the page its launch data as a query string (``initData``) signed
with a key only Telegram and the bot know.  The page sends it back with every API
call (``Authorization: tma <initData>``); ``check`` accepts it only when:

- it parses as a query string, every key at most once (two ``user`` fields would
  leave it to the parser which one counts);
- its ``hash`` is the HMAC-SHA256, under the key HMAC-SHA256("WebAppData", bot
  token), of the data-check string: every other field as ``key=value``, sorted by
  key, joined by newlines; compared in constant time;
- its ``auth_date`` is at most ``max_age_s`` old (and not from the future beyond
  a clock's slack);
- it names a person: the ``user`` field, JSON with a numeric ``id``.

Anything else raises ``NotSigned`` (``Expired`` for data that is only too old);
its reason is for the log, never for the caller (a refused request names nobody).
The person is taken only from the checked ``user`` field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

SCHEME = "tma"  # Authorization: tma <initData>, Telegram's convention for Mini Apps
CLOCK_SLACK_S = 60.0  # an auth_date this far ahead of our clock is still believed


class NotSigned(Exception):
    """The launch data is not Telegram's, or no longer good; ``str`` says why (logs)."""


class Expired(NotSigned):
    """Telegram's, but older than the studio trusts (the page asks to reopen it)."""


@dataclass(frozen=True)
class WebAppUser:
    """The person Telegram vouches for."""

    id: int
    first_name: str
    language_code: str | None


def secret_key(token: str) -> bytes:
    """HMAC-SHA256 of the bot token under the key ``WebAppData``."""
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but ``hash``, ``key=value``, sorted by key, one per line."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def signature(fields: dict[str, str], token: str) -> str:
    """The ``hash`` Telegram gives these fields for this bot (hex)."""
    return hmac.new(secret_key(token), data_check_string(fields).encode(),
                    hashlib.sha256).hexdigest()


def parse_fields(init_data: str) -> dict[str, str]:
    """The query string's fields; NotSigned when it is not one, or names a key twice."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise NotSigned("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotSigned("a field given twice")
    return fields


def check(init_data: str, token: str, max_age_s: float, now: float | None = None
          ) -> WebAppUser:
    """The person ``init_data`` was signed for, by Telegram, for this bot, lately."""
    fields = parse_fields(init_data)
    given = fields.get("hash", "")
    if not hmac.compare_digest(given.encode(), signature(fields, token).encode()):
        raise NotSigned("hash does not match")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise NotSigned("no auth_date") from None
    age = (time.time() if now is None else now) - auth_date
    if age > max_age_s:
        raise Expired(f"auth_date {age:.0f} s old")
    if age < -CLOCK_SLACK_S:
        raise NotSigned(f"auth_date {-age:.0f} s ahead")
    try:
        user = json.loads(fields["user"])
        person = WebAppUser(int(user["id"]), str(user.get("first_name", "")),
                            user.get("language_code") or None)
    except (KeyError, ValueError, TypeError):
        raise NotSigned("no user") from None
    if isinstance(user["id"], bool) or person.id <= 0:
        raise NotSigned("no user")
    return person


def from_header(header: str | None, token: str, max_age_s: float) -> WebAppUser:
    """The person an ``Authorization: tma <initData>`` header names."""
    scheme, _, init_data = (header or "").partition(" ")
    if scheme.lower() != SCHEME or not init_data:
        raise NotSigned("no tma authorization")
    return check(init_data.strip(), token, max_age_s)
