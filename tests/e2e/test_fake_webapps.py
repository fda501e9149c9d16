"""Mini Apps in the fake Bot API server (tests/support/fake_webapps.py), driven by a real
python-telegram-bot ``Bot``: the menu button, web_app inline buttons, and the initData a
user's Telegram gives the Mini App, checked with an implementation written here from
Telegram's documentation ("Validating data received via the Mini App").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, quote, unquote

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest

from tests.support.fake_webapps import WebAppLaunch, sign_init_data

pytestmark = pytest.mark.asyncio

STUDIO = "https://lienzo.example/app/"


def studio_button(url: str = STUDIO, text: str = "Studio") -> MenuButtonWebApp:
    return MenuButtonWebApp(text, WebAppInfo(url))


def app_keyboard(url: str = STUDIO, text: str = "Open studio") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, web_app=WebAppInfo(url))]])


def is_signed(init_data: str, token: str) -> bool:
    """The check a bot's backend makes, as Telegram documents it."""
    pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    fields = dict(pairs)
    assert len(fields) == len(pairs), "a field appears twice"
    received = fields.pop("hash")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received)


def with_field(init_data: str, key: str, value: str | None) -> str:
    """initData with one field replaced (None: removed), hash kept."""
    pairs = [(k, value if k == key else v)
             for k, v in parse_qsl(init_data, keep_blank_values=True)
             if not (k == key and value is None)]
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


# --------------------------------------------------------------------------- menu button


async def test_menu_button_defaults_to_commands(tg, bot):
    ana = tg.user(1001, "Ana")
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    # a chat without a button of its own reads "default" (the default applies there)
    assert await bot.get_chat_menu_button(ana.id) == MenuButtonDefault()
    assert ana.menu_button() == {"type": "commands"}
    with pytest.raises(AssertionError, match="opens no Mini App"):
        ana.open_menu_app()


async def test_default_and_per_chat_menu_buttons(tg, bot):
    ana, ben = tg.user(1001, "Ana"), tg.user(1002, "Ben")
    assert await bot.set_chat_menu_button(menu_button=studio_button("https://Lienzo.Example"))
    # Telegram stores the URL normalized: host in lower case, a path
    expected = {"type": "web_app", "text": "Studio",
                "web_app": {"url": "https://lienzo.example/"}}
    assert tg.calls[-1].result is True
    assert (await bot.get_chat_menu_button()).to_dict() == expected
    assert await bot.get_chat_menu_button(ana.id) == MenuButtonDefault()
    assert ana.menu_button() == ben.menu_button() == expected

    assert await bot.set_chat_menu_button(ana.id, MenuButtonCommands())
    assert await bot.get_chat_menu_button(ana.id) == MenuButtonCommands()
    assert ana.menu_button() == {"type": "commands"} and ben.menu_button() == expected
    assert await bot.set_chat_menu_button(ben.id, studio_button(text="Paint"))
    assert ben.menu_button()["text"] == "Paint"
    assert (await bot.get_chat_menu_button()).to_dict() == expected  # the default is kept

    # "default" for one chat drops its own button; for all chats it changes nothing
    assert await bot.set_chat_menu_button(ana.id, MenuButtonDefault())
    assert await bot.get_chat_menu_button(ana.id) == MenuButtonDefault()
    assert ana.menu_button() == expected
    assert await bot.set_chat_menu_button(menu_button=MenuButtonDefault())
    assert await bot.set_chat_menu_button()  # no menu_button at all: "default" too
    assert (await bot.get_chat_menu_button()).to_dict() == expected
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert ana.menu_button() == {"type": "commands"} and ben.menu_button()["text"] == "Paint"


async def test_menu_button_urls_must_be_https(tg, bot):
    ana = tg.user(1001, "Ana")
    cases = [("http://lienzo.example/app/", "Only HTTPS links are allowed"),
             ("lienzo.example/app/", "Only HTTPS links are allowed"),  # no scheme: http
             ("https://localhost/app/", "Wrong HTTP URL"),
             ("ftp://lienzo.example/", "Unsupported URL protocol")]
    for url, why in cases:
        for chat_id in (None, ana.id):
            with pytest.raises(BadRequest, match="(?i)^menu button web app url"):
                await bot.set_chat_menu_button(chat_id, studio_button(url))
            assert tg.calls[-1].error == (f"Bad Request: menu button Web App URL '{url}' is "
                                          f"invalid: {why}")
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert ana.menu_button() == {"type": "commands"}


async def test_menu_button_refusals(tg, bot):
    ana = tg.user(1001, "Ana")
    group = tg.group("Art club", members=[ana])
    with pytest.raises(BadRequest, match="(?i)^menu button text must be non-empty$"):
        await bot.set_chat_menu_button(ana.id, studio_button(text=""))
    assert tg.calls[-1].error == "Bad Request: menu button text must be non-empty"
    raw = [("{", "can't parse menu button JSON object"),
           ("[]", "can't parse menu button: MenuButton must be an Object"),
           ('{"type": "url"}', "can't parse menu button: MenuButton has unsupported type"),
           ('{"text": "x"}', 'can\'t parse menu button: Can\'t find field "type"'),
           ('{"type": "web_app", "text": "x"}',
            'can\'t parse menu button: Can\'t find field "web_app"'),
           ('{"type": "web_app", "text": "x", "web_app": "https://lienzo.example/"}',
            'can\'t parse menu button: Field "web_app" must be of type Object'),
           ('{"type": "web_app", "text": "x", "web_app": {}}',
            'can\'t parse menu button: Can\'t find field "url"')]
    for menu_button, description in raw:
        with pytest.raises(BadRequest):
            await bot.set_chat_menu_button(api_kwargs={"menu_button": menu_button})
        assert tg.calls[-1].error == "Bad Request: " + description
    # chat_id is read as a user id: a group's is invalid, an unknown user's not found
    for chat_id in (group.id, "@ana"):
        with pytest.raises(BadRequest, match="(?i)^invalid chat_id specified$"):
            await bot.set_chat_menu_button(chat_id, MenuButtonCommands())
        with pytest.raises(BadRequest, match="(?i)^invalid chat_id specified$"):
            await bot.get_chat_menu_button(chat_id)
    with pytest.raises(BadRequest, match="(?i)^user not found$"):
        await bot.set_chat_menu_button(424242, MenuButtonCommands())
    with pytest.raises(BadRequest, match="(?i)^user not found$"):
        await bot.get_chat_menu_button(424242)
    assert tg.calls[-1].error == "Bad Request: user not found"
    assert tg.menu_buttons == {} and tg.default_menu_button == {"type": "commands"}


# --------------------------------------------------------------------------- keyboard buttons


async def test_web_app_keyboard_buttons(tg, bot):
    ana = tg.user(1001, "Ana")
    group = tg.group("Art club", members=[ana])
    sent = await bot.send_message(ana.id, "Your studio", reply_markup=app_keyboard(
        "https://Lienzo.Example"))
    assert sent.reply_markup.inline_keyboard[0][0].web_app.url == "https://lienzo.example/"
    held = ana.chat.message(sent.message_id)
    assert held.button("Open studio")["web_app"] == {"url": "https://lienzo.example/"}
    # HTTPS only, checked before the chat type
    for chat_id in (ana.id, group.id):
        with pytest.raises(BadRequest, match="(?i)^inline keyboard button web app url "
                                             "'http://lienzo.example/app/' is invalid: only "
                                             "https links are allowed$"):
            await bot.send_message(chat_id, "x", reply_markup=app_keyboard(
                "http://lienzo.example/app/"))
        assert tg.calls[-1].error == ("Bad Request: inline keyboard button Web App URL "
                                      "'http://lienzo.example/app/' is invalid: Only HTTPS "
                                      "links are allowed")
    with pytest.raises(BadRequest, match="(?i)^inline keyboard button web app url "
                                         "'https://localhost/app/' is invalid: wrong http url$"):
        await bot.send_message(ana.id, "x", reply_markup=app_keyboard("https://localhost/app/"))
    with pytest.raises(BadRequest, match="(?i)^button_type_invalid$"):
        await bot.send_message(group.id, "x", reply_markup=app_keyboard())
    with pytest.raises(BadRequest, match="(?i)^inline keyboard button web app url"):
        await bot.edit_message_reply_markup(ana.id, sent.message_id,
                                            reply_markup=app_keyboard("http://x.org/"))
    edited = await bot.edit_message_reply_markup(ana.id, sent.message_id,
                                                 reply_markup=app_keyboard(STUDIO, "Paint"))
    assert edited.reply_markup.inline_keyboard[0][0].web_app.url == STUDIO


# --------------------------------------------------------------------------- initData


async def test_sign_init_data_matches_the_published_example():
    # Telegram Mini Apps community docs (tma.js, "init data"): token, fields and hash
    user = ('{"id":279058397,"first_name":"Vladislav","last_name":"Kibenko",'
            '"username":"vdkfrost","language_code":"ru","is_premium":true}')
    signed = sign_init_data("5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8",
                            {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": user,
                             "auth_date": "1662771648"})
    assert signed == ("query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C"
                      "%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22"
                      "%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C"
                      "%22is_premium%22%3Atrue%7D&auth_date=1662771648&hash=c501b71e775f74ce1"
                      "0e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2")
    assert is_signed(signed, "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8")
    with pytest.raises(ValueError):
        sign_init_data("1:x", {"hash": "x"})


async def test_menu_app_init_data_is_signed_with_the_documented_fields(tg, bot):
    ana = tg.user(1001, "Ana", username="ana", language_code="es")
    await bot.set_chat_menu_button(ana.id, studio_button())
    launch = ana.open_menu_app(auth_date=1750000000)
    assert isinstance(launch, WebAppLaunch) and launch.source == "menu_button"
    assert launch.url == STUDIO and tg.web_app_launches == [launch] and launch.user is ana
    assert is_signed(launch.init_data, tg.token)
    assert not is_signed(launch.init_data, tg.token[:-1] + "x")  # another bot's token
    pairs = parse_qsl(launch.init_data, keep_blank_values=True)
    assert [key for key, _ in pairs] == ["query_id", "user", "auth_date", "signature", "hash"]
    fields = dict(pairs)
    assert fields["auth_date"] == "1750000000"
    assert len(fields["query_id"]) == 24 and len(fields["hash"]) == 64
    assert len(fields["signature"]) == 86 and "=" not in fields["signature"]  # base64url
    user = json.loads(fields["user"])
    assert list(user) == ["id", "first_name", "last_name", "username", "language_code",
                          "allows_write_to_pm", "photo_url"]
    assert user["id"] == 1001 and user["first_name"] == "Ana" and user["last_name"] == ""
    assert user["username"] == "ana" and user["language_code"] == "es"
    assert user["allows_write_to_pm"] is True
    assert user["photo_url"].startswith("https://t.me/i/userpic/320/")
    # Telegram's JSON: compact, slashes escaped; the query string encodes ":" and "/" too
    assert fields["user"].startswith('{"id":1001,"first_name":"Ana","last_name":""')
    assert '"photo_url":"https:\\/\\/t.me\\/i\\/userpic\\/320\\/' in fields["user"]
    assert "%5C%2F" in launch.init_data and "/" not in launch.init_data
    # Telegram.WebApp.initDataUnsafe: strings, the user parsed
    assert launch.init_data_unsafe == {**fields, "user": user}
    assert launch.query_id == fields["query_id"]
    # the page is loaded with initData in its fragment
    assert launch.location.startswith(STUDIO + "#tgWebAppData="
                                      + quote(launch.init_data, safe="") + "&tgWebAppVersion=")
    fragment = dict(parse_qsl(launch.location.split("#", 1)[1]))
    assert fragment["tgWebAppData"] == launch.init_data
    # each launch is a new session
    again = ana.open_menu_app()
    assert again.query_id != launch.query_id and is_signed(again.init_data, tg.token)
    assert abs(int(again.fields["auth_date"]) - int(time.time())) <= 5


async def test_any_change_to_init_data_breaks_the_hash(tg, bot):
    ana = tg.user(1001, "Ana", username="ana")
    await bot.set_chat_menu_button(menu_button=studio_button())
    init_data = ana.open_menu_app().init_data
    fields = dict(parse_qsl(init_data))
    changes = {"query_id": fields["query_id"][:-1] + "A",
               "user": fields["user"].replace('"id":1001', '"id":1002'),
               "auth_date": str(int(fields["auth_date"]) + 1),
               "signature": fields["signature"][:-1] + ("A" if fields["signature"][-1] != "A"
                                                        else "B"),
               "hash": "0" * 64}
    for key, value in changes.items():
        assert not is_signed(with_field(init_data, key, value), tg.token), key
    for key in ("query_id", "user", "auth_date", "signature"):  # signature is hashed too
        assert not is_signed(with_field(init_data, key, None), tg.token), key
    assert not is_signed(init_data + "&start_param=x", tg.token)
    # the same user re-serialized (slashes unescaped) is not what Telegram signed
    plain = json.dumps(json.loads(fields["user"]), separators=(",", ":"))
    assert plain != fields["user"] and not is_signed(with_field(init_data, "user", plain),
                                                     tg.token)
    assert is_signed(with_field(init_data, "user", fields["user"]), tg.token)


async def test_user_fields_follow_the_user(tg, bot):
    await bot.set_chat_menu_button(menu_button=studio_button())
    lea = tg.user(1003, "Léa", last_name="Müller Ñ", language_code=None, is_premium=True,
                  started=False)
    lea.has_profile_photo = False
    launch = lea.open_menu_app()
    assert is_signed(launch.init_data, tg.token)
    assert launch.init_data_unsafe["user"] == {"id": 1003, "first_name": "Léa",
                                               "last_name": "Müller Ñ", "is_premium": True}
    raw = dict(parse_qsl(launch.init_data))["user"]
    assert '"first_name":"Léa"' in raw  # UTF-8 as it is, not \u escapes
    assert "L%C3%A9a" in launch.init_data and "M%C3%BCller%20%C3%91" in launch.init_data
    assert unquote(launch.init_data.split("&user=")[1].split("&")[0]) == raw
    ana = tg.user(1001, "Ana")
    ana.block_bot()
    assert "allows_write_to_pm" not in ana.open_menu_app().init_data_unsafe["user"]


async def test_web_app_inline_button_launch(tg, bot):
    ana, ben = tg.user(1001, "Ana"), tg.user(1002, "Ben")
    sent = await bot.send_message(ana.id, "Open your studio", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open studio", web_app=WebAppInfo(STUDIO + "?from=chat")),
          InlineKeyboardButton("Later", callback_data="later")]]))
    launch = ana.open_web_app_button(sent, "Open studio")
    assert launch.source == "inline_button" and launch.url == STUDIO + "?from=chat"
    assert launch.message is ana.chat.message(sent.message_id)
    assert is_signed(launch.init_data, tg.token)
    assert list(launch.fields) == ["query_id", "user", "auth_date", "signature", "hash"]
    assert launch.init_data_unsafe["user"]["id"] == ana.id
    assert tg.web_app_launches == [launch]
    with pytest.raises(AssertionError, match="opens no Mini App"):
        ana.open_web_app_button(sent, "Later")
    with pytest.raises(AssertionError, match="cannot press"):
        ana.open_web_app_button(sent, "Nope")
    with pytest.raises(AssertionError, match="cannot see"):
        ben.open_web_app_button(sent, "Open studio")
    await bot.delete_message(ana.id, sent.message_id)
    with pytest.raises(AssertionError, match="was deleted"):
        ana.open_web_app_button(sent, "Open studio")
