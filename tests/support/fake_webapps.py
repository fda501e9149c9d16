"""Telegram Mini Apps for the fake Bot API server (tests/support/fake_telegram.py).

:class:`MiniApps` is a mixin of ``FakeTelegram`` and :class:`MiniAppUser` one of
``FakeUser``; :class:`WebAppLaunch` is what a test reads when a user opens a Mini App.

The bot's side (Bot API methods, JSON as the Bot API server writes it):

* ``setChatMenuButton`` — without ``chat_id``, the default menu button of all private
  chats; with it, one user's.  ``menu_button``: ``{"type": "commands"}``,
  ``{"type": "web_app", "text": ..., "web_app": {"url": ...}}`` or ``{"type": "default"}``;
  none at all is ``default``.  As Telegram documents it (core.telegram.org/api/bots/menu):
  ``default`` for one user drops that user's own button (the default applies again), and
  for all users it changes nothing.  The URL is stored as Telegram normalizes it: host in
  lower case, ``/`` added when there is no path (``https://Lienzo.example`` →
  ``https://lienzo.example/``).
* ``getChatMenuButton`` — without ``chat_id``: the default button, ``{"type":
  "commands"}`` until the bot sets another (never ``default``); with it: that user's own
  button, or ``{"type": "default"}`` when the user has none (the default applies: it is
  *not* the default's value — see ``user.menu_button()`` for what the user sees).
* ``web_app`` inline keyboard buttons (in fake_telegram.py's markup checks, using
  :meth:`MiniApps._checked_web_app_url`): HTTPS only, the URL normalized the same way in the
  echoed ``reply_markup``; outside private chats Telegram's BUTTON_TYPE_INVALID (which
  comes after the URL check, as TDLib checks the URL before Telegram sees the button).

The user's side::

    ana.menu_button()                    # the menu button her chat shows now (a dict)
    launch = ana.open_menu_app()         # AssertionError unless it is a web_app button
    launch = ana.open_web_app_button(msg, "Open studio")   # an inline web_app button
    launch.url                           # the Mini App's URL as Telegram stored it
    launch.init_data                     # Telegram.WebApp.initData (signed query string)
    launch.init_data_unsafe              # Telegram.WebApp.initDataUnsafe
    launch.location                      # url#tgWebAppData=...&tgWebAppVersion=...

Opening a Mini App sends nothing to the bot (no update): the Mini App posts its initData
to the bot's own web server.  Launches are kept in ``tg.web_app_launches``.

initData, as Telegram makes it for a launch from the menu button or from an inline
keyboard ``web_app`` button in the private chat with the bot: the fields ``query_id``,
``user``, ``auth_date``, ``signature``, ``hash``, in that order (Telegram's docs: an
inline button launch gets ``query_id`` and the user, and a menu button launch is
"otherwise identical"; the order is real initData's), each value percent-encoded
(``%20`` for a space, ``/`` and ``:`` encoded too).  ``hash`` =
hex(HMAC_SHA256(key=HMAC_SHA256(key="WebAppData", msg=<bot token>),
msg=<data-check-string>)), the data-check-string being every other field — ``signature``
included — sorted by key as ``key=value`` (values decoded) joined by ``\\n`` (Telegram's
"Validating data received via the Mini App"; tma.js's validator and signer also keep
``signature`` in it).  ``signature`` is a base64url Ed25519 signature for third parties:
the fake's is random bytes (nothing here can verify it).  ``user`` is a WebAppUser in
JSON the way Telegram writes it (seen in real initData): compact, ``/`` escaped as
``\\/``, non-ASCII characters as they are, keys in the order ``id``, ``first_name``,
``last_name`` (``""`` when the user has none), ``username``, ``language_code``,
``is_premium`` (only when true), ``allows_write_to_pm`` (true when the user has started
the bot and not blocked it; absent otherwise), ``photo_url``
(``https://t.me/i/userpic/320/<id>.svg`` unless ``user.has_profile_photo = False``).
``chat_type``/``chat_instance``/``start_param``/``receiver``/``chat`` are not sent:
Telegram's docs give them only for direct-link and attachment-menu launches, which are
not modelled.  ``init_data_unsafe`` is what telegram-web-app.js makes of it: every value
a string (``auth_date`` too) except the JSON objects, which are parsed.

Errors, with Telegram's wording ("Bad Request: " first; PTB's BadRequest message is that
text capitalized and lower-cased, so match with ``(?i)``):

* Confirmed in the Bot API server's source (tdlib/telegram-bot-api, Client.cpp:
  get_bot_menu_button, process_set/get_chat_menu_button_query, get_user_id,
  TdOnCheckUserCallback; fail_query_with_error lowers the first letter):
  ``can't parse menu button JSON object``; ``can't parse menu button: MenuButton must be an
  Object`` (also reported in telegraf/telegraf#1635); ``can't parse menu button: MenuButton
  has unsupported type``; ``can't parse menu button: Can't find field "type"`` (also
  ``"text"``, ``"web_app"``, ``"url"``; ``Field "web_app" must be of type Object``;
  ``Field "text" must be of type String``); ``invalid chat_id specified`` (a chat_id that is
  not a positive user id: a group's, ``@username``; telegram-bot-api reads it as a user id);
  ``user not found`` (a user id the bot does not know).
* Confirmed in TDLib's source (tdlib/td: BotMenuButton.cpp set_menu_button,
  ReplyMarkup.cpp, LinkManager.cpp check_link, tdutils HttpUrl.cpp parse_url):
  ``menu button text must be non-empty`` (a ``web_app`` button with ``"text": ""`` — and
  such a button whose URL is the string ``default`` is a ``default`` button, as there);
  ``menu button Web App URL '<url>' is invalid: <why>`` and ``inline keyboard button Web
  App URL '<url>' is invalid: <why>``, ``<why>`` being ``Only HTTPS links are allowed``
  (``http://``, no scheme, ``tg:``), ``Wrong HTTP URL`` (a host without a dot, e.g.
  ``localhost``), ``Unsupported URL protocol``, ``URL host is empty``, ``Wrong port number
  specified in the URL``, ``Disallowed character in URL host`` and the other parse_url
  errors; ``<url>`` is the URL as the bot gave it.
* Guesses (no source found): that Telegram's own server accepts every URL TDLib lets
  through, and a menu button for any user the bot knows — one who has not started the bot
  or has blocked it included.

Not modelled: reply-keyboard ``web_app`` buttons and ``web_app_data`` messages
(``Telegram.WebApp.sendData``), ``answerWebAppQuery``, ``savePreparedInlineMessage``, the
main Mini App and direct links (``t.me/<bot>/<app>``, ``startapp``), the attachment menu,
inline-mode launches (``InlineQueryResultsButton.web_app``), and the test environment
(where Telegram allows ``http://``).  ``launch.location``'s ``tgWebAppVersion``,
``tgWebAppPlatform`` and theme are fixed, plausible values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

if TYPE_CHECKING:
    from tests.support.fake_telegram import FakeMessage, FakeTelegram, FakeUser

__all__ = [
    "MiniAppUser",
    "MiniApps",
    "WebAppLaunch",
    "data_check_string",
    "sign_init_data",
    "web_app_user",
    "web_app_user_json",
]

COMMANDS_BUTTON = {"type": "commands"}  # Telegram's default menu button
DEFAULT_BUTTON = {"type": "default"}  # "no button of its own": the default applies
WEB_APP_VERSION = "9.0"  # tgWebAppVersion in launch.location
WEB_APP_PLATFORM = "tdesktop"
THEME_PARAMS = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999",
                "link_color": "#2481cc", "button_color": "#2481cc",
                "button_text_color": "#ffffff", "secondary_bg_color": "#efeff3"}
ONLY_HTTPS = "Only HTTPS links are allowed"
_SPACES = " \t\r\n\0\v"  # td::is_space
_URL_PART_CHARS = set(".-_!$,~*'();&+=")  # besides ASCII letters and digits (RFC 3986)


# --------------------------------------------------------------------------- signing


def data_check_string(fields: Mapping[str, str]) -> str:
    """Every field but ``hash``, sorted by key, as ``key=value`` lines (values decoded)."""
    return "\n".join(f"{key}={value}" for key, value in sorted(fields.items())
                     if key != "hash")


def sign_init_data(token: str, fields: Mapping[str, str]) -> str:
    """initData for ``fields`` (decoded values, in the order Telegram sends them): the
    percent-encoded query string with ``hash`` appended, computed as Telegram documents
    ("Validating data received via the Mini App")."""
    if "hash" in fields:
        raise ValueError("the fields to sign must not hold a hash")
    secret_key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret_key, data_check_string(fields).encode(), hashlib.sha256)
    pairs = [*fields.items(), ("hash", digest.hexdigest())]
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)


def web_app_user(user: FakeUser) -> dict:
    """The WebAppUser Telegram gives a Mini App for this user (keys in Telegram's order)."""
    out: dict[str, Any] = {"id": user.id, "first_name": user.first_name,
                           "last_name": user.last_name or ""}
    if user.username:
        out["username"] = user.username
    if user.language_code:
        out["language_code"] = user.language_code
    if user.is_premium:
        out["is_premium"] = True
    if user.started and not user.blocked:
        out["allows_write_to_pm"] = True
    if getattr(user, "has_profile_photo", True):
        token = base64.urlsafe_b64encode(hashlib.sha256(f"userpic{user.id}".encode())
                                         .digest()).decode().rstrip("=")
        out["photo_url"] = f"https://t.me/i/userpic/320/{token}.svg"
    return out


def web_app_user_json(user: FakeUser) -> str:
    """``web_app_user(user)`` serialized as Telegram does: compact, ``/`` as ``\\/``, other
    characters unescaped."""
    return json.dumps(web_app_user(user), ensure_ascii=False,
                      separators=(",", ":")).replace("/", "\\/")


def _init_data_unsafe(init_data: str) -> dict:
    """What telegram-web-app.js makes of initData: strings, and JSON objects parsed."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(init_data, keep_blank_values=True):
        if (value[:1], value[-1:]) in (("{", "}"), ("[", "]")):
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out


def _query_id(user_id: int) -> str:
    """A session id shaped like Telegram's (base64url, 24 characters)."""
    raw = (b"\x00\x01" + (user_id & 0xFFFFFFFF).to_bytes(4, "little")
           + (user_id >> 32).to_bytes(4, "little")
           + (user_id & 0xFFFFFFFF).to_bytes(4, "little") + secrets.token_bytes(4))
    return base64.urlsafe_b64encode(raw).decode()


def _signature() -> str:
    """A base64url Ed25519-sized signature (random: the fake holds no Telegram key)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).decode().rstrip("=")


# --------------------------------------------------------------------------- URLs


class _UrlError(ValueError):
    """Why TDLib's check_link refused a URL."""


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def _check_url_part(part: str, name: str, allow_colon: bool) -> None:
    i = 0
    while i < len(part):
        c = part[i]
        if (c.isascii() and c.isalnum()) or c in _URL_PART_CHARS or (allow_colon and c == ":"):
            i += 1
            continue
        if c == "%":
            digits = part[i + 1:i + 3]
            if len(digits) == 2 and all(d in "0123456789abcdefABCDEF" for d in digits):
                i += 3
                continue
            raise _UrlError(f"Wrong percent-encoded symbol in URL {name}")
        if ord(c) >= 128:  # plain UTF-8 is allowed
            i += 1
            continue
        raise _UrlError(f"Disallowed character in URL {name}")


def _check_https_link(link: str) -> str:
    """TDLib's LinkManager::check_link(link, http_only=true, https_only=true) on the
    production servers: the normalized URL, or _UrlError (tdutils' parse_url errors)."""
    special = False
    rest = link
    for prefix in ("tg:", "ton:", "tonsite:"):
        if rest.lower().startswith(prefix):
            rest, special = rest[len(prefix):], True
            if rest.startswith("//"):
                rest = rest[2:]
            break
    # parse_url: [https?://][userinfo@]host[:port][/query]
    end = next((i for i, c in enumerate(rest) if c in ":/?#@[]"), len(rest))
    protocol = "http"
    position = 0
    if rest[end:end + 3] == "://":
        scheme = _ascii_lower(rest[:end])
        if scheme not in ("http", "https"):
            raise _UrlError("Unsupported URL protocol")
        protocol, position = scheme, end + 3
    stop = next((i for i in range(position, len(rest)) if rest[i] in "/?#"), len(rest))
    userinfo_host_port, query = rest[position:stop], rest[stop:]
    port = 0
    colon = len(userinfo_host_port) - 1
    while colon > 0 and userinfo_host_port[colon] not in ":]@":
        colon -= 1
    userinfo_host = userinfo_host_port
    if colon > 0 and userinfo_host_port[colon] == ":":
        digits = userinfo_host_port[colon + 1:]
        while len(digits) > 1 and digits[0] == "0":
            digits = digits[1:]
        port = int(digits) if re.fullmatch(r"-?\d{1,10}", digits) else -1
        port = -1 if port == 0 else port
        userinfo_host = userinfo_host_port[:colon]
    if port < 0 or port > 65535:
        raise _UrlError("Wrong port number specified in the URL")
    userinfo, _, host = userinfo_host.rpartition("@")
    is_ipv6 = len(host) >= 2 and host[0] == "[" and host[-1] == "]"
    if is_ipv6:
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise _UrlError("Wrong IPv6 address specified in the URL") from None
    if not host:
        raise _UrlError("URL host is empty")
    if host == ".":
        raise _UrlError("Host is invalid")
    query = query.rstrip(_SPACES) or "/"
    query = ("" if query.startswith("/") else "/") + "".join(
        f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query)
    host = _ascii_lower(host)
    if not is_ipv6:
        _check_url_part(host, "host", False)
        _check_url_part(userinfo, "userinfo", True)
    # check_link_impl
    if protocol != "https" or special:
        raise _UrlError(ONLY_HTTPS)
    if "." not in host and not is_ipv6:
        raise _UrlError("Wrong HTTP URL")
    return (f"{protocol}://{userinfo + '@' if userinfo else ''}{host}"
            f"{':' + str(port) if port else ''}{query}")


# --------------------------------------------------------------------------- records


@dataclass
class WebAppLaunch:
    """A Mini App a user opened: what Telegram gave the page.

    ``url``: the Mini App's URL as Telegram stored it; ``init_data``:
    ``Telegram.WebApp.initData``; ``init_data_unsafe``: ``Telegram.WebApp.initDataUnsafe``;
    ``source``: "menu_button" or "inline_button" (then ``message`` is the button's message).
    """

    url: str
    init_data: str
    init_data_unsafe: dict
    source: str = "menu_button"
    user: FakeUser | None = field(default=None, repr=False)
    message: FakeMessage | None = field(default=None, repr=False)
    time: float = 0.0  # time.monotonic() when it was opened

    @property
    def fields(self) -> dict[str, str]:
        """initData's fields, decoded, in the order sent (``hash`` included)."""
        return dict(parse_qsl(self.init_data, keep_blank_values=True))

    @property
    def query_id(self) -> str | None:
        return self.fields.get("query_id")

    @property
    def location(self) -> str:
        """The address the Mini App's page is loaded at: ``url`` with Telegram's launch
        parameters in the fragment (what telegram-web-app.js reads initData from)."""
        params = [("tgWebAppData", self.init_data), ("tgWebAppVersion", WEB_APP_VERSION),
                  ("tgWebAppPlatform", WEB_APP_PLATFORM),
                  ("tgWebAppThemeParams", json.dumps(THEME_PARAMS, separators=(",", ":")))]
        fragment = "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
        return f"{self.url.split('#', 1)[0]}#{fragment}"


# --------------------------------------------------------------------------- the user


class MiniAppUser:
    """FakeUser's Mini App driver."""

    #: Mini Apps get a ``photo_url`` for this user (set False: a user without a photo)
    has_profile_photo: bool = True

    if TYPE_CHECKING:
        server: FakeTelegram

    def menu_button(self) -> dict:
        """The menu button this user's private chat with the bot shows now: their own, else
        the default (``{"type": "commands"}`` unless the bot set another)."""
        assert isinstance(self, _ft.FakeUser)
        return self.server._menu_button_shown(self)

    def open_menu_app(self, auth_date: int | None = None) -> WebAppLaunch:
        """Press the menu button when it opens a Mini App (AssertionError otherwise).

        ``auth_date``: the Unix time Telegram signs (now by default).
        """
        assert isinstance(self, _ft.FakeUser)
        button = self.server._menu_button_shown(self)
        if button["type"] != "web_app":
            raise AssertionError(f"{self!r}'s menu button opens no Mini App: {button}")
        return self.server._launch_web_app(self, button["web_app"]["url"], "menu_button",
                                           None, auth_date)

    def open_web_app_button(self, message: Any, text: str, *,
                            auth_date: int | None = None) -> WebAppLaunch:
        """Press the inline ``web_app`` button with this text on a message in this user's
        private chat with the bot (a FakeMessage, PTB Message or Bot API dict)."""
        assert isinstance(self, _ft.FakeUser)
        msg = self.server._find_message(message)
        if msg.deleted:
            raise AssertionError(f"{msg!r} was deleted: nothing to press")
        if msg.chat.type != "private" or msg.chat.user is not self:
            raise AssertionError(f"{self!r} cannot see {msg!r}")
        try:
            button = msg.button(text)
        except AssertionError:
            raise AssertionError(f"{self!r} cannot press {text!r}: not on {msg!r}; buttons: "
                                 f"{msg.buttons}") from None
        if "web_app" not in button:
            raise AssertionError(f"button {button} opens no Mini App")
        return self.server._launch_web_app(self, str(button["web_app"]["url"]),
                                           "inline_button", msg, auth_date)


# --------------------------------------------------------------------------- the server


class MiniApps:
    """FakeTelegram's Mini App methods and records (see the module docstring)."""

    if TYPE_CHECKING:
        token: str
        _users: dict[int, FakeUser]

        def _find_message(self, message: Any, chat: Any = None) -> FakeMessage: ...

    def _init_web_apps(self) -> None:
        self.default_menu_button: dict = dict(COMMANDS_BUTTON)  # for all private chats
        self.menu_buttons: dict[int, dict] = {}  # user id -> that user's own button
        self.web_app_launches: list[WebAppLaunch] = []

    # records
    def _menu_button_shown(self, user: FakeUser) -> dict:
        return json.loads(json.dumps(self.menu_buttons.get(user.id,
                                                           self.default_menu_button)))

    # checks
    @staticmethod
    def _checked_web_app_url(url: str, what: str) -> str:
        """TDLib's check of a Mini App URL: normalized, or 400 "<what> Web App URL '<url>'
        is invalid: ..." (``what``: "inline keyboard button", "menu button")."""
        try:
            return _check_https_link(url)
        except _UrlError as exc:
            raise _ft._bad(f"{what} Web App URL '{url}' is invalid: {exc}") from None

    @staticmethod
    def _read_menu_button(params: dict) -> tuple[str, str] | None:
        """The Bot API server's get_bot_menu_button: None for commands, ("", "default") for
        default, (text, url) for web_app."""
        raw = params.get("menu_button")
        if raw is None or raw == "":
            return ("", "default")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise _ft._bad("can't parse menu button JSON object") from None
        try:
            if not isinstance(raw, dict):
                raise _ft._ParseError("MenuButton must be an Object")
            kind = _ft._json_str(raw, "type", required=True)
            if kind == "default":
                return ("", "default")
            if kind == "commands":
                return None
            if kind == "web_app":
                text = _ft._json_str(raw, "text", required=True)
                web_app = _ft._json_object(raw, "web_app", required=True)
                return (text, _ft._json_str(web_app, "url", required=True))
            raise _ft._ParseError("MenuButton has unsupported type")
        except _ft._ParseError as exc:
            raise _ft._bad(f"can't parse menu button: {exc}") from None

    def _menu_user(self, params: dict) -> FakeUser:
        """chat_id read as the Bot API server reads it here: a user id (td::to_integer)."""
        value = params.get("chat_id")
        user_id = 0
        if isinstance(value, int) and not isinstance(value, bool):
            user_id = value
        elif isinstance(value, str):
            match = re.match(r"-?\d+", value)
            user_id = int(match.group()) if match else 0
        if user_id <= 0:
            raise _ft._bad("invalid chat_id specified")
        user = self._users.get(user_id)
        if user is None:
            raise _ft._bad("user not found")
        return user

    def _checked_menu_button(self, read: tuple[str, str] | None) -> dict:
        """TDLib's set_menu_button checks; the button as getChatMenuButton returns it."""
        if read is None:
            return dict(COMMANDS_BUTTON)
        text, url = read
        if not text:
            if url != "default":
                raise _ft._bad("menu button text must be non-empty")
            return dict(DEFAULT_BUTTON)
        return {"type": "web_app", "text": text,
                "web_app": {"url": self._checked_web_app_url(url, "menu button")}}

    # the methods
    async def _m_setChatMenuButton(self, params: dict, files: dict) -> bool:
        read = self._read_menu_button(params)
        user = self._menu_user(params) if "chat_id" in params else None
        button = self._checked_menu_button(read)
        if user is None:
            if button["type"] != "default":  # "default" for all users changes nothing
                self.default_menu_button = button
        elif button["type"] == "default":
            self.menu_buttons.pop(user.id, None)
        else:
            self.menu_buttons[user.id] = button
        return True

    async def _m_getChatMenuButton(self, params: dict, files: dict) -> dict:
        if "chat_id" in params:
            user = self._menu_user(params)
            return json.loads(json.dumps(self.menu_buttons.get(user.id, DEFAULT_BUTTON)))
        return json.loads(json.dumps(self.default_menu_button))

    # the user's side
    def _launch_web_app(self, user: FakeUser, url: str, source: str,
                        message: FakeMessage | None, auth_date: int | None) -> WebAppLaunch:
        fields = {"query_id": _query_id(user.id), "user": web_app_user_json(user),
                  "auth_date": str(int(time.time()) if auth_date is None else auth_date),
                  "signature": _signature()}
        init_data = sign_init_data(self.token, fields)
        launch = WebAppLaunch(url, init_data, _init_data_unsafe(init_data), source, user,
                              message, time.monotonic())
        self.web_app_launches.append(launch)
        return launch


# At the end: fake_telegram imports this module for its mixins, and this module needs
# fake_telegram's helpers only when its methods run.
from tests.support import fake_telegram as _ft  # noqa: E402
