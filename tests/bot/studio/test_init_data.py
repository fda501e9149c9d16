"""The studio trusts Telegram's word only: initData checked as Telegram documents it
("Validating data received via the Mini App").  The signer here is written from the
documentation on its own, not with the module under test."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from bot.studio.init_data import Expired, NotSigned, check, from_header

TOKEN = "123456:TEST-token"
OTHER_TOKEN = "654321:another-bot"
DAY = 86400.0


def signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """The query string Telegram would give a Mini App with these fields."""
    check_string = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest}, quote_via=quote)


def launch(**overrides: str) -> dict[str, str]:
    user = {"id": 111, "first_name": "Ana", "last_name": "Gómez", "username": "ana",
            "language_code": "es", "allows_write_to_pm": True}
    return {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": json.dumps(user, ensure_ascii=False),
            "auth_date": str(int(time.time()) - 60), "signature": "c2lnbmF0dXJl-zz_Q",
            **overrides}


def test_good_data_names_its_person():
    person = check(signed(launch()), TOKEN, DAY)
    assert (person.id, person.first_name, person.language_code) == (111, "Ana", "es")


@pytest.mark.parametrize("field", ["query_id", "user", "auth_date", "signature", "hash"])
def test_each_field_changed_is_refused(field):
    fields = dict(parse_qsl(signed(launch())))
    fields[field] = fields[field][:-1] + ("0" if fields[field][-1] != "0" else "1")
    with pytest.raises(NotSigned):
        check(urlencode(fields, quote_via=quote), TOKEN, DAY)


def test_a_field_added_or_removed_is_refused():
    fields = dict(parse_qsl(signed(launch())))
    with pytest.raises(NotSigned):
        check(urlencode({**fields, "chat_type": "private"}), TOKEN, DAY)
    del fields["query_id"]
    with pytest.raises(NotSigned):
        check(urlencode(fields), TOKEN, DAY)


def test_another_bots_signature_is_refused():
    with pytest.raises(NotSigned, match="hash"):
        check(signed(launch(), token=OTHER_TOKEN), TOKEN, DAY)


def test_stale_data_is_refused_and_fresh_enough_is_not():
    old = str(int(time.time() - DAY - 5))
    with pytest.raises(Expired, match="old"):
        check(signed(launch(auth_date=old)), TOKEN, DAY)
    assert check(signed(launch(auth_date=old)), TOKEN, 2 * DAY).id == 111
    future = str(int(time.time() + 3600))  # a clock an hour ahead is no clock of Telegram's
    with pytest.raises(NotSigned):
        check(signed(launch(auth_date=future)), TOKEN, DAY)


@pytest.mark.parametrize("user", [None, "{}", '{"first_name": "Ana"}', "not json",
                                  '{"id": "abc"}', '{"id": true}', '{"id": -5}', "[1]"])
def test_data_without_a_person_is_refused(user):
    fields = launch()
    if user is None:
        del fields["user"]
    else:
        fields["user"] = user
    with pytest.raises(NotSigned, match="user"):
        check(signed(fields), TOKEN, DAY)


def test_duplicate_keys_are_refused_even_when_signed():
    """Two ``user`` fields: which one counts would be the parser's choice."""
    fields = launch()
    query = signed(fields)
    mallory = quote(json.dumps({"id": 666, "first_name": "Mallory"}))
    with pytest.raises(NotSigned, match="twice"):
        check(f"user={mallory}&{query}", TOKEN, DAY)
    with pytest.raises(NotSigned, match="twice"):
        check(f"{query}&hash=00", TOKEN, DAY)


@pytest.mark.parametrize("junk", ["", "hash", "=&=", "a=1&&b", "%ZZ=1"])
def test_junk_is_refused(junk):
    with pytest.raises(NotSigned):
        check(junk, TOKEN, DAY)


def test_the_header_is_tma_and_the_data():
    data = signed(launch())
    assert from_header(f"tma {data}", TOKEN, DAY).id == 111
    for header in (None, "", data, f"Bearer {data}", "tma ", f"tma{data}"):
        with pytest.raises(NotSigned):
            from_header(header, TOKEN, DAY)
