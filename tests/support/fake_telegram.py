"""A fake Telegram Bot API server that speaks real HTTP, and people who use it.

The bot under test talks to this server exactly as it talks to Telegram: through
python-telegram-bot (PTB), httpx, JSON and multipart over a socket on 127.0.0.1.
Nothing in PTB is patched.  The server keeps a small world — users, private chats,
groups, messages with per-chat ids, stored files — and the tests play the users.

Usage (pytest with pytest-asyncio)::

    import pytest
    from tests.support.fake_telegram import FakeTelegram

    @pytest.mark.asyncio
    async def test_echo():
        async with FakeTelegram(bot_username="LienzoBot") as tg:
            app = tg.app_builder().build()      # token, base_url and base_file_url set
            app.add_handler(...)
            async with tg.running(app):         # initialize, start, start_polling ... stop
                ana = tg.user(1001, "Ana", language_code="es", username="ana")
                chat = tg.private_chat(ana)
                sent = await ana.send_photo(chat, jpeg_bytes, caption="/style starry_night")
                reply = await tg.wait_for_message(chat, lambda m: m.photo, after=sent)
                assert reply.reply_to_message_id == sent.message_id
                reply.image()                   # PIL image of what the bot uploaded
                press = await ana.press(reply, "stronger")     # a callback_query
                answer = await press.answered()               # answerCallbackQuery params

The bot process can also run elsewhere: give it ``tg.env()`` (``TELEGRAM_BOT_TOKEN`` and
``LIENZO_TELEGRAM_API_URL``); PTB then uses ``<url>/bot`` and ``<url>/file/bot``.

What it implements (JSON shaped as in the Bot API): getMe; getUpdates (long polling,
``offset``/``limit``/``timeout``/``allowed_updates``, answered as soon as an update is
queued, 409 to the older of two concurrent polls and while a webhook is set); getFile and
downloads at ``/file/bot<token>/<file_path>`` (20 MB limit); sendMessage; sendPhoto and
sendDocument (multipart uploads, ``file_id`` re-sends, http(s) URLs); sendAnimation (an
H.264 yuv420p MP4 with even sides, or a GIF, becomes an ``animation`` whose size and length
are read from the file; anything else a ``document``, as Telegram does); sendVideo (the
same for a ``video``); sendMediaGroup
(``attach://`` parts); editMessageText/Caption/Media/ReplyMarkup ("message is not
modified", omitted ``reply_markup`` removes the keyboard, as in Telegram; media of type
photo, document, animation or video); deleteMessage;
answerCallbackQuery; answerInlineQuery (cached ``photo`` and ``document`` results by
file_id, ``article`` with text; the edit methods take the ``inline_message_id`` of a
message sent via the bot); sendChatAction; setMyCommands/getMyCommands/deleteMyCommands per
scope and language; setWebhook/deleteWebhook/getWebhookInfo, with updates POSTed to the
webhook (``X-Telegram-Bot-Api-Secret-Token``) while one is set.  Text and captions are
parsed for ``parse_mode`` HTML, MarkdownV2 and Markdown the way Telegram does (the stored
text is the plain text plus entities; bad markup is "can't parse entities").  Telegram's
limits answer with Telegram's errors: 4096-character texts, 1024-character captions,
64-byte callback data, photos over 10 MB or width+height over 10000, requests over 50 MB
(uploads: nginx in front of the Bot API answers 413 "Request Entity Too Large" in HTML, so
PTB raises ``NetworkError``);
inline keyboards are read as the Bot API server reads them (``url``, ``callback_data``,
``switch_inline_query``, ``switch_inline_query_current_chat``,
``switch_inline_query_chosen_chat`` — at least one chat type allowed, echoed with all four
flags — ``web_app`` in private chats only, ...).  answerInlineQuery is checked in the
order the Bot API server, TDLib and Telegram check it, with their messages: at most 50
results ("too many inline query results specified"), result ids of 1-64 bytes and unique
(RESULT_ID_INVALID, RESULT_ID_DUPLICATE), file ids the fake knows, of the right kind
("can't use file of type Document as Photo"), captions of 1024 characters after parsing
(MEDIA_CAPTION_TOO_LONG), ``next_offset`` of 64 bytes (NEXT_OFFSET_INVALID), a ``button``
with exactly one of ``start_parameter`` (1-64 of A-Za-z0-9_-) and ``web_app``, and a
query that is known, unanswered and at most ``inline_query_timeout`` (30) seconds old
("query is too old and response timeout expired or query ID is invalid").

Inline mode: ``FakeTelegram(inline=True)`` (BotFather's /setinline; getMe's
``supports_inline_queries``) and ``inline_feedback=True`` (/setinlinefeedback: a
``chosen_inline_result`` update for each result sent).  ``q = await
ana.inline_query("cats", chat=group)`` queues an ``inline_query`` (``chat_type``
"supergroup"; a :class:`FakeUser` as ``chat`` is their private chat with that person,
"private"; ``ana.chat`` is "sender"); ``await ana.press_switch_inline(msg, "Share",
chat=group)`` does it from a ``switch_inline_query*`` button, prefilled and checked against
the chat types the button allows.  ``await q.answered()`` gives the answer;
``await q.choose("id")`` sends that result from Ana ``via_bot`` the bot into the chat
(the bot sees it, even with privacy on, unless it is a chat between two users);
``q.next_page()``, ``q.press_button()``.  ``await ana.open_deep_link(
"https://t.me/LienzoBot?start=abc")`` sends ``/start abc`` in Ana's chat with the bot
(a bare ``/start`` when the parameter is not 1-64 of A-Za-z0-9_-).

Faults: ``tg.fail_next("editMessageText", retry_after=1)`` (429 with
``parameters.retry_after``), ``tg.fail_next("sendPhoto", status=400, description=...)``,
``tg.fail_next("getFile", disconnect=True)`` (connection dropped), optionally per ``chat``
and ``times``; ``user.block_bot()`` (403 "bot was blocked by the user"),
``chat.delete()`` (400 "chat not found"), ``group.remove_bot()`` (403 "bot was kicked");
a wrong token gets 401, a malformed one 404.

Groups: ``tg.group("Art club", privacy=True)``.  With privacy on the bot gets only
commands addressed to it (``/cmd@LienzoBot``) or to no bot (``/cmd``), replies to its own
messages, messages sent via it (inline mode) and service messages; everything else is kept
in ``tg.hidden`` instead.  (So of an album captioned ``/style@LienzoBot`` in such a group
only the captioned photo arrives, as with Telegram.)  ``tg.user(...)`` is someone who has
started the bot: their private chat (id = user id) exists at once.  ``tg.user(...,
started=False)`` has not: sends there get 403 "bot can't initiate conversation with a user"
until they write to the bot (any message, ``/start`` included) or pay it.

Telegram Stars payments (tests/support/fake_payments.py, which documents them):
sendInvoice, createInvoiceLink, answerPreCheckoutQuery, refundStarPayment,
getStarTransactions and getMyStarBalance, checked with Telegram's errors.  ``result = await
ana.pay(invoice_message_or_link)`` queues a ``pre_checkout_query`` and waits up to
``tg.pre_checkout_deadline`` (10 s) for the bot's answer; if ok, a ``successful_payment``
message from Ana arrives in her chat with the bot (``result.ok``, ``result.charge_id``,
``result.message``, ``result.error_message``, ``result.timed_out``).  Records:
``tg.invoices``, ``tg.pre_checkout_queries``, ``tg.star_payments``,
``tg.star_transactions``, ``tg.star_refunds``.

Mini Apps (tests/support/fake_webapps.py, which documents them): setChatMenuButton and
getChatMenuButton, HTTPS-only ``web_app`` buttons; ``ana.menu_button()``,
``ana.open_menu_app()`` and ``ana.open_web_app_button(msg, text)`` give a signed initData
(``WebAppLaunch``); ``tg.web_app_launches``.

Records: ``tg.calls`` (every request: method, decoded params, uploaded parts, monotonic
time, status, result or error), ``tg.calls_to(method, chat=...)``, ``tg.updates`` (every
update queued), ``tg.inline_queries``, ``tg.uploads`` (files the bot uploaded, with their bytes),
``tg.commands(language_code, scope)``, ``tg.webhook`` and ``tg.webhook_deliveries``.

Waiting, never sleeping: ``await tg.wait_for(lambda calls: ..., timeout=...)``,
``await tg.wait_for_call(method, predicate)``, ``await tg.wait_for_message(chat,
predicate_or_substring, after=message)``, ``await tg.wait_until_consumed()`` (the bot has
fetched every queued update), ``await press.answered()``, ``await query.answered()``.  A
timeout fails with the recent calls and the chat's messages.  To show that something did
*not* happen, send a later message that must be answered and wait for that answer (PTB
handles updates in order).

Messages come back as :class:`FakeMessage`: a ``dict`` that *is* the Bot API JSON of the
message (edits update it in place; ``versions`` keeps each state), with properties
``text``, ``caption``, ``photo_bytes``, ``document_bytes``, ``document_name``,
``reply_markup``, ``buttons``, ``callback_data``, ``reply_to_message_id``,
``media_group_id``, ``image()`` and more.

Deliberate simplifications: HTTP, not HTTPS, for webhooks; the largest PhotoSize of an
upload is the uploaded file itself (not re-encoded to JPEG, not capped at 2560 px) while
the smaller sizes are real JPEG thumbnails; a ``file_unique_id`` is derived from the
bytes, so the same picture sent twice has the same one; no 48-hour edit limit and no
automatic flood control (inject 429s with ``fail_next``).  Inline mode: answers are not
cached (``cache_time`` and ``is_personal`` are only recorded), results by URL and types
other than photo, document and article are refused as unsupported, there are no channels
and no Saved Messages, and any file id the fake never issued gets TDLib's "wrong remote
file identifier specified: can't unserialize it. Wrong last symbol".
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import itertools
import json
import mimetypes
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload
from urllib.parse import unquote

from aiohttp import BodyPartReader, ClientSession, ClientTimeout, web
from PIL import Image

from tests.support.fake_payments import PRE_CHECKOUT_DEADLINE, StarsPayer, StarsPayments
from tests.support.fake_webapps import MiniApps, MiniAppUser

__all__ = [
    "ApiError",
    "Call",
    "CallbackPress",
    "FakeChat",
    "FakeInlineQuery",
    "FakeMessage",
    "FakeTelegram",
    "FakeUser",
    "StoredFile",
    "free_port",
    "image_bytes",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10000  # width + height
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a request that uploads: over it, nginx's 413 in HTML
REQUEST_TOO_LARGE = "Request Entity Too Large"
NGINX_413 = ("<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
             "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx"
             "</center>\r\n</body>\r\n</html>\r\n")
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
THUMB_SIDES = (90, 320, 800, 1280)
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of "
                "the message")
DEFAULT_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post",
                   "business_connection", "business_message", "edited_business_message",
                   "deleted_business_messages", "inline_query", "chosen_inline_result",
                   "callback_query", "shipping_query", "pre_checkout_query",
                   "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
                   "chat_join_request", "chat_boost", "removed_chat_boost")
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note"}
SERVICE_KEYS = {"new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
                "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
                "pinned_message", "migrate_to_chat_id", "migrate_from_chat_id"}
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
COMMAND_RE = re.compile(r"(?<![\w/@])/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{3,32}))?(?![\w/@])")
MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?!\w)")
BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
START_PARAM_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # deep links and results buttons
MAX_INLINE_QUERY = 256  # characters a user can type after the bot's username
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID = 64  # bytes
MAX_NEXT_OFFSET = 64  # bytes
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
INLINE_CHAT_TYPES = ("sender", "private", "group", "supergroup", "channel")
# InlineQueryResult types Telegram knows; the fake answers only photo, document, mpeg4_gif,
# video and article
INLINE_RESULT_TYPES = {"article", "audio", "contact", "document", "game", "gif", "location",
                       "mpeg4_gif", "photo", "sticker", "venue", "video", "voice"}
# The Bot API server decides a button's kind by the first of these it finds (url and
# callback_data only when non-empty); a button with none is a "text button".
# The cached results the fake answers: their file id field, and the file type TDLib wants
INLINE_FILE_FIELDS = {"photo": "photo_file_id", "document": "document_file_id",
                      "mpeg4_gif": "mpeg4_file_id", "video": "video_file_id"}
INLINE_FILE_TYPES = {"photo": "Photo", "document": "Document", "mpeg4_gif": "Animation",
                     "video": "Video"}
BUTTON_KINDS = ("url", "callback_data", "callback_game", "pay", "switch_inline_query",
                "switch_inline_query_chosen_chat", "switch_inline_query_current_chat",
                "login_url", "web_app", "copy_text")
CHOSEN_CHAT_FLAGS = ("allow_user_chats", "allow_bot_chats", "allow_group_chats",
                     "allow_channel_chats")

INT_PARAMS = {"message_id", "offset", "limit", "timeout", "user_id", "from_chat_id",
              "message_thread_id", "cache_time", "max_connections", "reply_to_message_id",
              "until_date", "duration", "width", "height"}
BOOL_PARAMS = {"disable_notification", "protect_content", "show_alert",
               "drop_pending_updates", "allow_sending_without_reply", "has_spoiler",
               "disable_web_page_preview", "show_caption_above_media",
               "disable_content_type_detection", "allow_paid_broadcast", "is_personal"}
JSON_PARAMS = {"reply_markup", "allowed_updates", "commands", "scope", "media", "entities",
               "caption_entities", "reply_parameters", "link_preview_options"}


# --------------------------------------------------------------------------- small helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def image_bytes(image: Any, fmt: str = "JPEG") -> bytes:
    """Encode a PIL image or a HxWx3 uint8 array; bytes pass through unchanged."""
    if isinstance(image, bytes | bytearray | memoryview):
        return bytes(image)
    if not isinstance(image, Image.Image):
        image = Image.fromarray(image)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, fmt)
    return buf.getvalue()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _plain(value: Any) -> Any:
    """A deep copy made only of dicts, lists and scalars (drops FakeMessage extras)."""
    return json.loads(json.dumps(value))


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code", "description"}``."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


class _ParseError(ValueError):
    """A request the Bot API server itself cannot parse (before TDLib or Telegram see it)."""


def _lower_first(message: str) -> str:
    """What the Bot API server does to an error message after "Bad Request: ": the first
    letter is lowered unless the message is an UPPER_CASE server error."""
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return message
    return message[:1].lower() + message[1:]


def _upper_first(message: str) -> str:
    return message[:1].upper() + message[1:]


def _json_str(obj: dict, name: str, *, required: bool = False, default: str = "") -> str:
    """A string field of a JSON object as the Bot API server reads it (numbers too)."""
    if name not in obj:
        if required:
            raise _ParseError(f'Can\'t find field "{name}"')
        return default
    value = obj[name]
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    raise _ParseError(f'Field "{name}" must be of type String')


def _json_bool(obj: dict, name: str) -> bool:
    value = obj.get(name, False)
    if not isinstance(value, bool):
        raise _ParseError(f'Field "{name}" must be of type Boolean')
    return value


@overload
def _json_object(obj: dict, name: str, *, required: Literal[True]) -> dict: ...
@overload
def _json_object(obj: dict, name: str, *, required: bool = False) -> dict | None: ...
def _json_object(obj: dict, name: str, *, required: bool = False) -> dict | None:
    if name not in obj:
        if required:
            raise _ParseError(f'Can\'t find field "{name}"')
        return None
    if not isinstance(obj[name], dict):
        raise _ParseError(f'Field "{name}" must be of type Object')
    return obj[name]


def _button_kind(button: dict) -> str | None:
    """Which field makes an inline keyboard button what it is, as the Bot API server reads it."""
    for kind in BUTTON_KINDS:
        if kind in button and (kind not in ("url", "callback_data") or button[kind] != ""):
            return kind
    return None


# --------------------------------------------------------------------------- formatting


class _EntityError(ValueError):
    pass


class _TextBuilder:
    """Plain text plus entities, offsets in UTF-16 units as Telegram counts them."""

    def __init__(self, source: str):
        self.source = source
        self.parts: list[str] = []
        self.pos16 = 0
        self.entities: list[dict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos16 += utf16_len(text)

    def entity(self, kind: str, start16: int, **extra: Any) -> None:
        if self.pos16 > start16:
            self.entities.append({"type": kind, "offset": start16,
                                  "length": self.pos16 - start16, **extra})

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())

    def result(self) -> tuple[str, list[dict]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


_HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic",
              "u": "underline", "ins": "underline", "s": "strikethrough",
              "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
              "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
              "blockquote": "blockquote", "tg-emoji": "custom_emoji"}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_HTML_ATTR_RE = re.compile(r"""([a-zA-Z_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _parse_html(source: str) -> tuple[str, list[dict]]:
    out = _TextBuilder(source)
    stack: list[tuple[str, int, dict]] = []  # (tag, start16, attributes)
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(source, i)
            if m:
                name = m.group(1)
                if name.startswith(("#x", "#X")):
                    out.add(chr(int(name[2:], 16)))
                elif name.startswith("#"):
                    out.add(chr(int(name[1:])))
                else:
                    out.add({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name])
                i = m.end()
                continue
        if c == "<" and i + 1 < n and (source[i + 1] == "/" or source[i + 1].isalpha()):
            end = source.find(">", i)
            if end < 0:
                raise _EntityError(f"Unclosed start tag at byte offset {out.byte_offset(i)}")
            body = source[i + 1:end].strip().rstrip("/").strip()
            if body.startswith("/"):
                name = body[1:].strip().lower()
                if not stack:
                    raise _EntityError(f"Unexpected end tag at byte offset "
                                       f"{out.byte_offset(i)}")
                tag, start16, attrs = stack.pop()
                if name != tag:
                    raise _EntityError(f'Unmatched end tag at byte offset '
                                       f'{out.byte_offset(i)}, expected "</{tag}>", found '
                                       f'"</{name}>"')
                _close_html(out, tag, start16, attrs, stack)
            else:
                name, _, rest = body.partition(" ")
                name = name.lower()
                if name not in _HTML_TAGS:
                    raise _EntityError(f'Unsupported start tag "{name}" at byte offset '
                                       f'{out.byte_offset(i)}')
                attrs = {m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None),
                                                  "")
                         for m in _HTML_ATTR_RE.finditer(rest)}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _EntityError('Tag "span" must have class "tg-spoiler" at byte '
                                       f'offset {out.byte_offset(i)}')
                stack.append((name, out.pos16, attrs))
            i = end + 1
            continue
        out.add(c)
        i += 1
    if stack:
        raise _EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html(out: _TextBuilder, tag: str, start16: int, attrs: dict, stack: list) -> None:
    kind = _HTML_TAGS[tag]
    if kind == "text_link":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id="):
            out.entity("text_mention", start16, user={"id": int(href.split("=", 1)[1]),
                                                      "is_bot": False, "first_name": ""})
        elif href:
            out.entity("text_link", start16, url=href)
    elif kind == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-"):]
    elif kind == "pre":
        extra = {"language": attrs["language"]} if attrs.get("language") else {}
        out.entity("pre", start16, **extra)
    elif kind == "blockquote":
        out.entity("expandable_blockquote" if "expandable" in attrs else "blockquote",
                   start16)
    elif kind == "custom_emoji":
        out.entity("custom_emoji", start16, custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        out.entity(kind, start16)


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough",
                 "||": "spoiler"}
_ENTITY_TITLES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
                  "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code",
                  "pre": "Pre", "text_link": "TextUrl"}


def _parse_markdown_v2(source: str) -> tuple[str, list[dict]]:
    out = _TextBuilder(source)
    stack: list[tuple[str, int, int, str]] = []  # (marker, start16, source index, language)
    quote_start: int | None = None
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        top = stack[-1][0] if stack else None
        if c == "\\":
            if i + 1 < n and 0 < ord(source[i + 1]) < 127:
                out.add(source[i + 1])
                i += 2
                continue
            raise _EntityError("Character '\\' is reserved and must be escaped with the "
                               "preceding '\\'")
        if top in ("`", "```"):
            if source.startswith(top, i):
                closing, start16, _, language = stack.pop()
                extra = {"language": language} if language else {}
                out.entity("code" if closing == "`" else "pre", start16, **extra)
                i += len(closing)
            else:
                out.add(c)
                i += 1
            continue
        if c == "\n" and quote_start is not None and not source.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if c == ">" and (i == 0 or source[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos16
            i += 1
            continue
        if source.startswith("```", i):
            line_end = source.find("\n", i + 3)
            language = source[i + 3:line_end].strip() if line_end >= 0 else ""
            if language and re.fullmatch(r"[\w+#.-]+", language):
                stack.append(("```", out.pos16, i, language))
                i = line_end + 1
            else:
                stack.append(("```", out.pos16, i, ""))
                i = i + 3 + (1 if source.startswith("\n", i + 3) else 0)
            continue
        if c == "`":
            stack.append(("`", out.pos16, i, ""))
            i += 1
            continue
        marker = next((m for m in ("||", "__") if source.startswith(m, i)), None)
        if marker is None and c in "*_~":
            marker = c
        if marker is not None:
            if top == marker:
                start16 = stack.pop()[1]
                out.entity(_MDV2_MARKERS[marker], start16)
            elif any(entry[0] == marker for entry in stack):
                title = _ENTITY_TITLES[_MDV2_MARKERS[marker]]
                raise _EntityError(f"Can't find end of {title} entity at byte offset "
                                   f"{out.byte_offset(i)}")
            else:
                stack.append((marker, out.pos16, i, ""))
            i += len(marker)
            continue
        if c == "[":
            stack.append(("[", out.pos16, i, ""))
            i += 1
            continue
        if c == "]" and top == "[":
            if not source.startswith("(", i + 1):
                raise _EntityError("Character ']' is reserved and must be escaped with the "
                                   "preceding '\\'")
            j, url = i + 2, []
            while j < n and source[j] != ")":
                if source[j] == "\\" and j + 1 < n:
                    j += 1
                url.append(source[j])
                j += 1
            if j >= n:
                raise _EntityError(f"Can't find end of a url at byte offset "
                                   f"{out.byte_offset(i + 2)}")
            start16 = stack.pop()[1]
            out.entity("text_link", start16, url="".join(url))
            i = j + 1
            continue
        if c in _MDV2_RESERVED:
            raise _EntityError(f"Character '{c}' is reserved and must be escaped with the "
                               "preceding '\\'")
        out.add(c)
        i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, index, _ = stack[-1]
        kind = {"`": "code", "```": "pre", "[": "text_link"}.get(marker) \
            or _MDV2_MARKERS[marker]
        raise _EntityError(f"Can't find end of {_ENTITY_TITLES[kind]} entity at byte offset "
                           f"{out.byte_offset(index)}")
    return out.result()


def _parse_markdown(source: str) -> tuple[str, list[dict]]:
    """Telegram's legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out = _TextBuilder(source)
    i, n = 0, len(source)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in "*_`[":
            out.add(source[i + 1])
            i += 2
            continue
        if source.startswith("```", i) or c in kinds:
            marker = "```" if source.startswith("```", i) else c
            end = source.find(marker, i + len(marker))
            if end < 0:
                raise _EntityError("Can't find end of the entity starting at byte offset "
                                   f"{out.byte_offset(i)}")
            start16 = out.pos16
            body = source[i + len(marker):end]
            extra: dict = {}
            if marker == "```":
                first, nl, rest = body.partition("\n")
                if nl and first and re.fullmatch(r"[\w+#.-]+", first):
                    body, extra = rest, {"language": first}
            out.add(body)
            out.entity("pre" if marker == "```" else kinds[marker], start16, **extra)
            i = end + len(marker)
            continue
        if c == "[":
            m = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(source, i)
            if m is None:
                raise _EntityError("Can't find end of the entity starting at byte offset "
                                   f"{out.byte_offset(i)}")
            start16 = out.pos16
            out.add(m.group(1))
            out.entity("text_link", start16, url=m.group(2))
            i = m.end()
            continue
        out.add(c)
        i += 1
    return out.result()


def format_text(text: str, parse_mode: str | None,
                entities: list | None = None) -> tuple[str, list[dict]]:
    """Apply ``parse_mode`` (or explicit entities) as Telegram does: plain text + entities."""
    if entities:
        return text, entities
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            return _parse_html(text)
        if mode == "markdownv2":
            return _parse_markdown_v2(text)
        if mode == "markdown":
            return _parse_markdown(text)
    except _EntityError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    if mode:
        raise _bad(f"unsupported parse_mode: {parse_mode}")
    return text, []


def user_entities(text: str) -> list[dict]:
    """The entities a Telegram client would attach to what a person typed."""
    found = []
    for m in COMMAND_RE.finditer(text):
        found.append({"type": "bot_command", "offset": utf16_len(text[: m.start()]),
                      "length": utf16_len(m.group(0))})
    for m in MENTION_RE.finditer(text):
        found.append({"type": "mention", "offset": utf16_len(text[: m.start()]),
                      "length": utf16_len(m.group(0))})
    return sorted(found, key=lambda e: e["offset"])


# --------------------------------------------------------------------------- files


@dataclass
class StoredFile:
    """A file the server holds: what a user sent or what the bot uploaded."""

    file_id: str
    file_unique_id: str
    data: bytes
    kind: str  # "photo" | "document"
    source: str  # "user" | "bot" | "url"
    played_as: str | None = None  # a document Telegram plays: "animation" | "video"
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    file_path: str | None = None
    photo_set: list[StoredFile] | None = field(default=None, repr=False)

    @property
    def file_size(self) -> int:
        return len(self.data)

    def image(self) -> Image.Image:
        """The file decoded with Pillow (fully loaded)."""
        im = Image.open(io.BytesIO(self.data))
        im.load()
        return im

    def photo_size_json(self) -> dict:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.file_size, "width": self.width, "height": self.height}

    def file_json(self) -> dict:
        out = {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
               "file_size": self.file_size}
        if self.file_path:
            out["file_path"] = self.file_path
        return out


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:
        return None



def _video_info(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, whole seconds) of an MP4/GIF Telegram would play as an animation:
    H.264 in 4:2:0 with even sides, or a GIF; None for anything else."""
    if data[:6] in (b"GIF87a", b"GIF89a"):
        with Image.open(io.BytesIO(data)) as gif:
            frames = getattr(gif, "n_frames", 1)
            return gif.width, gif.height, max(1, round(frames * gif.info.get("duration", 100)
                                                       / 1000))
    if data[4:8] != b"ftyp":
        return None
    import av  # PyAV: a dependency of the bot (engine.media.mp4)

    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            if ctx.name != "h264" or ctx.pix_fmt != "yuv420p" or ctx.width % 2 or ctx.height % 2:
                return None
            time_base = stream.time_base  # set for every stream PyAV demuxes from an MP4
            seconds = float(stream.duration * time_base) if stream.duration and time_base else 0.0
            return ctx.width, ctx.height, max(1, round(seconds))
    except (av.FFmpegError, IndexError):
        return None

def _photo_json(sizes: list[StoredFile] | None) -> list[dict]:
    """The PhotoSize objects of a photo's sizes (only a photo's own files have them)."""
    assert sizes is not None, "not a photo: it has no sizes"
    return [s.photo_size_json() for s in sizes]


def _jpeg_size(thumb: bytes) -> tuple[int, int]:
    """The size of a JPEG ``_thumbnail`` made (Pillow reads what it wrote)."""
    size = _image_size(thumb)
    assert size is not None, "Pillow could not read its own thumbnail"
    return size


def _thumbnail(data: bytes, side: int) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (side, side))
        im = opened.convert("RGB")
        im.thumbnail((side, side))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=80)
        return buf.getvalue()


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One request the bot made: what it asked and what it was answered."""

    method: str
    params: dict
    files: dict  # part name → {"filename", "mime_type", "size"}
    time: float  # time.monotonic() when the request arrived
    status: int | None = None
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    def describe(self, t0: float = 0.0) -> str:
        shown = []
        for key, value in self.params.items():
            if key in ("chat_id", "text", "caption", "message_id", "callback_query_id",
                       "action", "offset", "timeout", "media", "reply_markup", "photo",
                       "document", "url", "language_code", "file_id", "file_path"):
                shown.append(f"{key}={_short(value, 60)}")
        for key, part in self.files.items():
            shown.append(f"{key}=<{part['filename']} {part['size']} B>")
        outcome = ("…" if self.status is None else
                   "ok" if self.ok else f"{self.status} {self.error}")
        return f"+{self.time - t0:8.3f}s {self.method}({', '.join(shown)}) → {outcome}"


class FakeMessage(dict):
    """A message: this dict *is* its Bot API JSON (kept current through edits).

    Extras: ``chat`` (:class:`FakeChat`), ``from_bot``, ``user`` (the :class:`FakeUser`
    who sent it, for users' messages), ``deleted``, ``versions`` (``(monotonic time,
    JSON)`` for the first state and after each edit) and ``sent_reply_markup`` (what the
    bot passed, also for reply keyboards, which the JSON does not show).
    """

    def __init__(self, data: dict, *, server: FakeTelegram, chat: FakeChat,
                 user: FakeUser | None):
        super().__init__(data)
        self.server = server
        self.chat = chat
        self.user = user
        self.deleted = False
        self.inline_message_id: str | None = None  # a message sent via the bot, with a keyboard
        self.sent_reply_markup: dict | None = data.get("reply_markup")
        self.versions: list[tuple[float, dict]] = [(time.monotonic(), _plain(data))]

    # Hashed by identity, like __eq__ between messages.  typeshed types dict.__hash__ as
    # None (a dict is unhashable), which mypy then forbids any subclass to change.
    __hash__ = object.__hash__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other if isinstance(other, FakeMessage) else dict.__eq__(self, other)

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.user.id if self.user else '?'}"
        what = []
        for key in ("text", "caption"):
            if key in self:
                what.append(f"{key}={_short(self[key], 50)!r}")
        if "photo" in self:
            what.append("photo")
        if "document" in self:
            what.append(f"document={self['document'].get('file_name')!r}")
        if self.buttons:
            labels: Sequence[str | None] = (self.callback_data
                                            or [b.get("text") for r in self.buttons for b in r])
            what.append(f"buttons={labels}")
        gone = " deleted" if self.deleted else ""
        return f"<FakeMessage #{self.message_id} chat={self.chat.id} {who}{gone} {' '.join(what)}>"

    # the JSON
    @property
    def message_id(self) -> int:
        return self["message_id"]

    @property
    def from_bot(self) -> bool:
        return self.user is None

    @property
    def via_bot(self) -> dict | None:
        """The bot a user sent this message through (inline mode), as Bot API JSON."""
        return self.get("via_bot")

    @property
    def text(self) -> str | None:
        return self.get("text")

    @property
    def caption(self) -> str | None:
        return self.get("caption")

    @property
    def content(self) -> str:
        """Text or caption ('' when neither)."""
        return self.get("text") or self.get("caption") or ""

    @property
    def entities(self) -> list[dict]:
        return self.get("entities") or self.get("caption_entities") or []

    @property
    def media_group_id(self) -> str | None:
        return self.get("media_group_id")

    @property
    def reply_to_message_id(self) -> int | None:
        replied = self.get("reply_to_message")
        return replied["message_id"] if replied else None

    @property
    def edited(self) -> bool:
        return "edit_date" in self

    @property
    def reply_markup(self) -> dict | None:
        return self.sent_reply_markup

    @property
    def buttons(self) -> list[list[dict]]:
        """The inline keyboard as rows of button dicts ([] when none)."""
        return list((self.get("reply_markup") or {}).get("inline_keyboard") or [])

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def button(self, label: str) -> dict:
        """The inline button whose text or callback_data is ``label``."""
        for row in self.buttons:
            for b in row:
                if label in (b.get("text"), b.get("callback_data")):
                    return b
        raise AssertionError(f"no button {label!r} in {self!r}")

    # the files
    @property
    def photo(self) -> list[dict] | None:
        return self.get("photo")

    @property
    def photo_file(self) -> StoredFile | None:
        return self.server.file(self["photo"][-1]["file_id"]) if self.get("photo") else None

    @property
    def photo_bytes(self) -> bytes | None:
        """The largest size of the photo (for the bot's uploads: the uploaded bytes)."""
        stored = self.photo_file
        return stored.data if stored else None

    @property
    def document_file(self) -> StoredFile | None:
        return self.server.file(self["document"]["file_id"]) if self.get("document") else None

    @property
    def document_bytes(self) -> bytes | None:
        stored = self.document_file
        return stored.data if stored else None

    @property
    def document_name(self) -> str | None:
        return (self.get("document") or {}).get("file_name")

    @property
    def file_bytes(self) -> bytes | None:
        """The photo's or the document's bytes."""
        return self.photo_bytes if self.get("photo") else self.document_bytes

    def image(self) -> Image.Image:
        """The photo (or image document) decoded with Pillow."""
        stored = self.photo_file or self.document_file
        if stored is None:
            raise AssertionError(f"{self!r} has no photo or document")
        return stored.image()


@dataclass
class CallbackPress:
    """A callback_query a user made by pressing an inline button."""

    id: str
    user: FakeUser
    message: FakeMessage
    data: str
    answer: dict | None = None
    server: FakeTelegram | None = field(default=None, repr=False)

    async def answered(self, timeout: float = 10.0) -> dict:
        """Wait for answerCallbackQuery; returns its params (text, show_alert, ...)."""
        assert self.server is not None, "a press made by FakeTelegram has its server"
        await self.server.wait_for(lambda _: self.answer is not None, timeout,
                                   f"answerCallbackQuery for press {self.data!r}")
        assert self.answer is not None  # wait_for returned: the predicate held
        return self.answer


@dataclass
class FakeInlineQuery:
    """An inline query a user typed (``@LienzoBot cats``), and what became of it.

    ``answer``: the answerInlineQuery params once the bot answered (``results`` and
    ``button`` decoded from JSON).  ``chat``: where the user typed it, when known;
    ``allowed``: the chat kinds a ``switch_inline_query_chosen_chat`` button allowed.
    """

    id: str
    user: FakeUser
    query: str
    offset: str
    chat_type: str | None
    chat: FakeChat | None = None
    allowed: frozenset[str] | None = None
    time: float = field(default_factory=time.monotonic)
    answer: dict | None = None
    server: FakeTelegram | None = field(default=None, repr=False)
    contents: dict[str, dict] = field(default_factory=dict, repr=False)  # id → message

    async def answered(self, timeout: float = 10.0) -> dict:
        """Wait for a successful answerInlineQuery; returns its params (results parsed)."""
        assert self.server is not None, "an inline query made by FakeTelegram has its server"
        await self.server.wait_for(lambda _: self.answer is not None, timeout,
                                   f"answerInlineQuery for inline query {self.query!r}")
        assert self.answer is not None  # wait_for returned: the predicate held
        return self.answer

    @property
    def results(self) -> list[dict]:
        """The results the bot answered with, as it sent them ([] before the answer)."""
        return list((self.answer or {}).get("results") or [])

    def result(self, result_id: str) -> dict:
        for result in self.results:
            if str(result.get("id")) == result_id:
                return result
        raise AssertionError(f"no result {result_id!r} in the answer to {self!r}; results: "
                             f"{[r.get('id') for r in self.results]}")

    async def choose(self, result_id: str, chat: Any = None) -> FakeMessage:
        """The user taps a result: it is sent, from the user and ``via_bot`` the bot.

        ``chat``: where (default: where the query was typed): a group, the user's chat with
        the bot (``chat_type`` "sender") or another :class:`FakeUser` (a private chat
        between the two, which the bot does not see; ``chat_type`` "private").  With
        ``inline_feedback`` on, the bot also gets a ``chosen_inline_result`` update.
        """
        if self.answer is None:
            raise AssertionError(f"{self!r} has no answer yet: nothing to choose")
        self.result(result_id)
        assert self.server is not None, "an inline query made by FakeTelegram has its server"
        return self.server._choose(self, result_id, chat)

    async def next_page(self) -> FakeInlineQuery:
        """Scrolling to the end of the results: the same query with ``next_offset``."""
        offset = (self.answer or {}).get("next_offset") or ""
        if not offset:
            raise AssertionError(f"{self!r} was answered without a next_offset")
        assert self.server is not None, "an inline query made by FakeTelegram has its server"
        return self.server._inline_query(self.user, self.query, offset, self.chat_type,
                                         self.chat, self.allowed)

    async def press_button(self) -> FakeMessage:
        """Tap the button above the results (``InlineQueryResultsButton``): with a
        ``start_parameter`` the user lands in the bot's chat and sends ``/start <param>``."""
        button = (self.answer or {}).get("button")
        if not button:
            raise AssertionError(f"{self!r} was answered without a button")
        if "start_parameter" not in button:
            raise AssertionError(f"the button {button} opens a Web App: not modelled")
        return await self.user._send_start(str(button["start_parameter"]))


class FakeUser(StarsPayer, MiniAppUser):
    """A person using Telegram.  Methods send what a Telegram client would send."""

    def __init__(self, server: FakeTelegram, id: int, first_name: str, *,
                 last_name: str | None, username: str | None, language_code: str | None,
                 is_premium: bool | None, started: bool = True):
        self.server = server
        self.id = id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.is_premium = is_premium
        self.blocked = False
        self.started = started  # has written to the bot (else the bot can't write first)

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r} {self.language_code}>"

    @property
    def json(self) -> dict:
        out: dict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code", "is_premium"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @property
    def chat(self) -> FakeChat:
        """This user's private chat with the bot."""
        return self.server.private_chat(self)

    # sending
    async def send(self, chat: FakeChat, *, reply_to: Any = None, deliver: bool = True,
                   **fields: Any) -> FakeMessage:
        """Send a message with arbitrary Bot API fields (``sticker=...``, ``voice=...``)."""
        return self.server._user_message(self, chat, fields, reply_to, deliver)

    async def send_text(self, chat: FakeChat, text: str, *, reply_to: Any = None,
                        deliver: bool = True) -> FakeMessage:
        """Type ``text``; commands (``/style@LienzoBot x``) and mentions get entities."""
        fields: dict = {"text": text}
        entities = user_entities(text)
        if entities:
            fields["entities"] = entities
        return await self.send(chat, reply_to=reply_to, deliver=deliver, **fields)

    async def send_photo(self, chat: FakeChat, image: Any, *, caption: str | None = None,
                         reply_to: Any = None, media_group_id: str | None = None,
                         deliver: bool = True) -> FakeMessage:
        """Send a picture (bytes, PIL image or array) as a compressed photo."""
        sizes = self.server._store_photo(image_bytes(image), source="user")
        fields: dict = {"photo": _photo_json(sizes)}
        if media_group_id:
            fields["media_group_id"] = media_group_id
        self._caption(fields, caption)
        return await self.send(chat, reply_to=reply_to, deliver=deliver, **fields)

    async def send_document(self, chat: FakeChat, data: bytes, file_name: str = "file",
                            mime_type: str | None = None, *, caption: str | None = None,
                            reply_to: Any = None, deliver: bool = True) -> FakeMessage:
        """Send a file (``file_size`` is its real length; images get a thumbnail)."""
        stored = self.server._store_document(bytes(data), file_name, mime_type, source="user")
        fields: dict = {"document": self.server._document_json(stored)}
        self._caption(fields, caption)
        return await self.send(chat, reply_to=reply_to, deliver=deliver, **fields)

    async def send_album(self, chat: FakeChat, images: Iterable[Any], *,
                         caption: str | None = None, reply_to: Any = None) -> list[FakeMessage]:
        """Send photos as one album: one message each, one media_group_id, caption on the first."""
        group_id = str(next(self.server._media_group_ids))
        sent = []
        for index, image in enumerate(images):
            sent.append(await self.send_photo(chat, image, caption=caption if index == 0 else None,
                                              reply_to=reply_to, media_group_id=group_id))
        return sent

    def _caption(self, fields: dict, caption: str | None) -> None:
        if caption is not None:
            fields["caption"] = caption
            entities = user_entities(caption)
            if entities:
                fields["caption_entities"] = entities

    async def press(self, message: Any, callback_data: str | None = None, *,
                    text: str | None = None, force: bool = False) -> CallbackPress:
        """Press the inline button with this callback_data (or this ``text``).

        The button must be on the message as it is now unless ``force`` (a stale client).
        """
        label = text if text is not None else callback_data
        if label is None:
            raise AssertionError("press() needs the button's callback_data or text")
        msg = self.server._find_message(message)
        if not force:
            try:
                button = msg.button(label)
            except AssertionError:
                raise AssertionError(f"{self!r} cannot press {callback_data or text!r}: not on "
                                     f"{msg!r}; buttons: {msg.buttons}") from None
            if "callback_data" not in button:
                raise AssertionError(f"button {button} has no callback_data")
            callback_data = button["callback_data"]
        if callback_data is None:
            raise AssertionError("a forced press() needs the button's callback_data")
        if msg.deleted:
            raise AssertionError(f"{msg!r} was deleted: nothing to press")
        return self.server._press(self, msg, callback_data)

    def chat_with(self, other: FakeUser) -> FakeChat:
        """The private chat between this user and ``other`` as this user sees it (chat id =
        the other's id).  The bot is not in it: only messages sent via the bot go there."""
        return self.server._user_chat(self, other)

    async def inline_query(self, query: str = "", *, offset: str = "",
                           chat: Any = None, chat_type: str | None = "private") -> FakeInlineQuery:
        """Type ``@LienzoBot <query>`` in a chat: the bot gets an ``inline_query`` update.

        ``chat`` (a group, this user's chat with the bot, or another :class:`FakeUser`)
        sets ``chat_type`` ("supergroup", "sender", "private"); without it ``chat_type`` is
        as given (None: unknown, as from a secret chat).  Only for bots with inline mode on.
        """
        target = self.server._inline_target(self, chat) if chat is not None else None
        if target is not None:
            chat_type = self.server._inline_chat_type(self, target)
        return self.server._inline_query(self, query, offset, chat_type, target, None)

    async def press_switch_inline(self, message: Any, text: str, *,
                                  chat_type: str = "private", chat: Any = None) -> FakeInlineQuery:
        """Press a ``switch_inline_query*`` button: the client puts ``@LienzoBot <query>``
        into a chat's input field and sends the inline query from there.

        ``switch_inline_query_current_chat`` stays in the message's chat; the others let
        the user pick a chat: ``chat`` (or just its ``chat_type``), which a
        ``switch_inline_query_chosen_chat`` button must allow.
        """
        msg = self.server._find_message(message)
        if msg.deleted:
            raise AssertionError(f"{msg!r} was deleted: nothing to press")
        try:
            button = msg.button(text)
        except AssertionError:
            raise AssertionError(f"{self!r} cannot press {text!r}: not on {msg!r}; buttons: "
                                 f"{msg.buttons}") from None
        kind = _button_kind(button)
        allowed = None
        if kind == "switch_inline_query_current_chat":
            chat = msg.chat
            query = str(button[kind])
        elif kind == "switch_inline_query":
            query = str(button[kind])
        elif kind == "switch_inline_query_chosen_chat":
            options = button[kind]
            query = str(options.get("query") or "")
            allowed = frozenset(flag for flag in CHOSEN_CHAT_FLAGS if options.get(flag))
        else:
            raise AssertionError(f"button {button} does not switch to inline mode")
        target = self.server._inline_target(self, chat) if chat is not None else None
        if target is not None:
            chat_type = self.server._inline_chat_type(self, target)
        if allowed is not None:
            needs = {"sender": {"allow_bot_chats"}, "private": {"allow_user_chats"},
                     "group": {"allow_group_chats"}, "supergroup": {"allow_group_chats"},
                     "channel": {"allow_channel_chats"}}[chat_type]
            if not needs & allowed:
                raise AssertionError(f"button {button} does not offer {chat_type} chats")
        return self.server._inline_query(self, query, "", chat_type, target, allowed)

    async def open_deep_link(self, url: str) -> FakeMessage:
        """Open ``https://t.me/<bot>?start=<param>`` (or ``tg://resolve?domain=<bot>&start=``):
        the client sends ``/start <param>`` in the chat with the bot, or a bare ``/start``
        when the parameter is not 1-64 characters of A-Z, a-z, 0-9, _ and -."""
        m = re.fullmatch(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/"
                         r"([A-Za-z0-9_]+)/?(?:\?(.*))?", url) or \
            re.fullmatch(r"tg://resolve\?(.*)", url)
        if m is None:
            raise AssertionError(f"{url!r} is not a link to a bot")
        if url.startswith("tg://"):
            query = dict(part.partition("=")[::2] for part in m.group(1).split("&"))
            username = query.pop("domain", "")
        else:
            username = m.group(1)
            query = dict(part.partition("=")[::2] for part in (m.group(2) or "").split("&")
                         if part)
        if username.lower() != self.server.bot_username.lower():
            raise AssertionError(f"{url!r} links to @{username}, not @{self.server.bot_username}")
        return await self._send_start(unquote(query.get("start", "")))

    async def _send_start(self, parameter: str) -> FakeMessage:
        text = "/start"
        if START_PARAM_RE.match(parameter):
            text += " " + parameter
        return await self.send(self.chat, text=text,
                               entities=[{"type": "bot_command", "offset": 0, "length": 6}])

    async def join(self, chat: FakeChat) -> FakeMessage:
        """Join a group: a service message (new_chat_members), seen even with privacy on."""
        chat.members.add(self.id)
        return await self.send(chat, new_chat_members=[self.json])

    async def delete(self, message: Any) -> None:
        """Delete one's own message (Telegram does not tell the bot)."""
        self.server._find_message(message).deleted = True
        self.server._notify()

    def block_bot(self) -> None:
        """Block the bot: sends fail with 403; the bot gets a my_chat_member update."""
        self.blocked = True
        self.server._member_update(self.chat, self, "member", "kicked")

    def unblock_bot(self) -> None:
        self.blocked = False
        self.server._member_update(self.chat, self, "kicked", "member")

    # Files that are not photos, as the Bot API delivers them (stored: getFile works on them)
    async def _send_file(self, chat: FakeChat, kind: str, data: bytes, mime_type: str,
                         file_name: str | None, extra: dict, caption: str | None,
                         reply_to: Any, deliver: bool) -> FakeMessage:
        stored = self.server._store_document(bytes(data), file_name, mime_type, source="user")
        obj = {**stored.file_json(), **extra}
        if kind not in ("sticker", "video_note"):  # these have no mime_type
            obj["mime_type"] = mime_type
        if file_name is not None:
            obj["file_name"] = file_name
        fields: dict = {kind: obj}
        if kind == "animation":  # Telegram fills ``document`` with the same file
            fields["document"] = {k: obj[k] for k in ("file_name", "mime_type", "file_id",
                                                      "file_unique_id", "file_size") if k in obj}
        self._caption(fields, caption)
        return await self.send(chat, reply_to=reply_to, deliver=deliver, **fields)

    async def send_sticker(self, chat: FakeChat, data: bytes | None = None, *,
                           kind: str = "static", emoji: str = "🎨", reply_to: Any = None,
                           deliver: bool = True) -> FakeMessage:
        """A sticker: ``kind`` "static" (a 512 px WebP), "animated" (TGS) or "video" (WebM)."""
        mime = {"static": "image/webp", "animated": "application/x-tgsticker",
                "video": "video/webm"}[kind]
        if data is None:
            data = image_bytes(Image.new("RGB", (512, 512), (200, 80, 40)), "WEBP") \
                if kind == "static" else secrets.token_bytes(256)
        extra = {"type": "regular", "width": 512, "height": 512, "emoji": emoji,
                 "is_animated": kind == "animated", "is_video": kind == "video",
                 "set_name": "LienzoTests"}
        return await self._send_file(chat, "sticker", data, mime, None, extra, None,
                                     reply_to, deliver)

    async def send_voice(self, chat: FakeChat, data: bytes = b"OggS voice", *,
                         duration: int = 3, caption: str | None = None, reply_to: Any = None,
                         deliver: bool = True) -> FakeMessage:
        return await self._send_file(chat, "voice", data, "audio/ogg", None,
                                     {"duration": duration}, caption, reply_to, deliver)

    async def send_audio(self, chat: FakeChat, data: bytes = b"ID3 song",
                         file_name: str = "song.mp3", *, duration: int = 180,
                         caption: str | None = None, reply_to: Any = None,
                         deliver: bool = True) -> FakeMessage:
        return await self._send_file(chat, "audio", data, "audio/mpeg", file_name,
                                     {"duration": duration, "title": "Song"}, caption,
                                     reply_to, deliver)

    async def send_video(self, chat: FakeChat, data: bytes = b"\0\0\0\x18ftypmp42 video", *,
                         width: int = 640, height: int = 360, duration: int = 5,
                         caption: str | None = None, reply_to: Any = None,
                         deliver: bool = True) -> FakeMessage:
        extra = {"width": width, "height": height, "duration": duration}
        return await self._send_file(chat, "video", data, "video/mp4", "video.mp4", extra,
                                     caption, reply_to, deliver)

    async def send_video_note(self, chat: FakeChat, data: bytes = b"\0\0\0\x18ftypmp42 note",
                              *, length: int = 240, duration: int = 5, reply_to: Any = None,
                              deliver: bool = True) -> FakeMessage:
        """A round video message (no caption in Telegram)."""
        return await self._send_file(chat, "video_note", data, "video/mp4", None,
                                     {"length": length, "duration": duration}, None,
                                     reply_to, deliver)

    async def send_animation(self, chat: FakeChat, data: bytes = b"\0\0\0\x18ftypmp42 gif", *,
                             width: int = 320, height: int = 240, duration: int = 2,
                             caption: str | None = None, reply_to: Any = None,
                             deliver: bool = True) -> FakeMessage:
        """A GIF as Telegram delivers it: an MP4 ``animation``, also given as ``document``."""
        extra = {"width": width, "height": height, "duration": duration}
        return await self._send_file(chat, "animation", data, "video/mp4", "animation.gif.mp4",
                                     extra, caption, reply_to, deliver)


class FakeChat:
    """A private chat or a group.  ``messages`` maps per-chat message ids to messages."""

    def __init__(self, server: FakeTelegram, id: int, type: str, *, title: str | None = None,
                 user: FakeUser | None = None, privacy: bool = True,
                 username: str | None = None):
        self.server = server
        self.id = id
        self.type = type
        self.title = title
        self.user = user
        self.privacy = privacy
        self.username = username
        self.members: set[int] = set()
        self.owner: FakeUser | None = None  # for a chat between two users: whose view
        self.bot_member = True
        self.deleted = False
        self.messages: dict[int, FakeMessage] = {}
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"<FakeChat {self.id} {self.type} {self.title or self.user}>"

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def json(self) -> dict:
        if self.type == "private":
            user = self.user
            assert user is not None, "a private chat is with a user"
            out = {"id": self.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                out["last_name"] = user.last_name
            if user.username:
                out["username"] = user.username
            return out
        out = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            out["username"] = self.username
        return out

    @property
    def bot_messages(self) -> list[FakeMessage]:
        """The bot's messages that still exist, oldest first."""
        return [m for m in self.messages.values() if m.from_bot and not m.deleted]

    @property
    def last_bot_message(self) -> FakeMessage | None:
        found = self.bot_messages
        return found[-1] if found else None

    def message(self, message_id: int) -> FakeMessage:
        return self.messages[message_id]

    async def wait_for_message(self, predicate: Any = None, timeout: float = 10.0,
                               after: Any = None) -> FakeMessage:
        return await self.server.wait_for_message(self, predicate, timeout, after=after)

    def delete(self) -> None:
        """The chat is gone: the bot gets 400 "chat not found" from now on."""
        self.deleted = True

    def remove_bot(self, by: FakeUser | None = None) -> None:
        """Kick the bot from this group (403 from now on; a my_chat_member update)."""
        self.bot_member = False
        self.server._member_update(self, by, "member", "kicked")


# --------------------------------------------------------------------------- the server


@dataclass
class _Fault:
    method: str
    times: int
    error: ApiError | None
    disconnect: bool
    chat_id: int | None


class FakeTelegram(StarsPayments, MiniApps):
    """The fake Bot API server (an async context manager).  See the module docstring."""

    def __init__(self, *, token: str | None = None, bot_id: int = 7000000001,
                 bot_username: str = "LienzoBot", bot_first_name: str = "Lienzo",
                 privacy: bool = True, inline: bool = False, inline_feedback: bool = False,
                 inline_query_timeout: float = 30.0, host: str = "127.0.0.1", port: int = 0,
                 pre_checkout_deadline: float = PRE_CHECKOUT_DEADLINE):
        if token is None:
            token = f"{bot_id}:AA" + secrets.token_urlsafe(24)[:33]
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.privacy = privacy
        self.inline = inline  # BotFather's /setinline
        self.inline_feedback = inline_feedback  # BotFather's /setinlinefeedback (100%)
        self.inline_query_timeout = inline_query_timeout  # seconds the bot has to answer
        self.host = host
        self.port = port
        self.url = ""  # set by start()

        self.calls: list[Call] = []
        self.updates: list[dict] = []  # every update queued, in order
        self.hidden: list[FakeMessage] = []  # group messages that privacy mode kept away
        self.uploads: list[StoredFile] = []  # files the bot uploaded, in order
        self.webhook: dict | None = None
        self.webhook_deliveries: list[dict] = []
        self.allowed_updates: list[str] = list(DEFAULT_UPDATES)
        self.inline_queries: list[FakeInlineQuery] = []  # every inline query users typed
        self._init_payments(pre_checkout_deadline)  # Telegram Stars: tests/support/fake_payments.py
        self._init_web_apps()  # Mini Apps: tests/support/fake_webapps.py

        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, FakeChat] = {}
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, StoredFile] = {}
        self._doc_thumbs: dict[str, dict | None] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._callbacks: dict[str, CallbackPress] = {}
        self._inline_by_id: dict[str, FakeInlineQuery] = {}
        self._inline_messages: dict[str, FakeMessage] = {}
        self._user_chats: dict[tuple[int, int], FakeChat] = {}
        self._faults: list[_Fault] = []
        self._pending: list[dict] = []
        self._update_ids = itertools.count(100000001)
        self._file_counter = itertools.count(1)
        self._media_group_ids = itertools.count(13800000000000001)
        self._group_ids = itertools.count(1)
        self._user_ids = itertools.count(1001)
        self._poll_generation = 0
        self._waiters: set[asyncio.Future] = set()
        self._closing = False
        self._t0 = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task | None = None
        self._methods: dict[str, Callable] = {
            name.lower(): getattr(self, "_m_" + name) for name in (
                "getMe", "getUpdates", "getFile", "sendMessage", "sendPhoto", "sendDocument",
                "sendAnimation", "sendVideo",
                "sendMediaGroup", "editMessageText", "editMessageCaption", "editMessageMedia",
                "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery",
                "answerInlineQuery",
                "sendChatAction", "setMyCommands", "getMyCommands", "deleteMyCommands",
                "setWebhook", "deleteWebhook", "getWebhookInfo", "logOut", "close",
                "sendInvoice", "createInvoiceLink", "answerPreCheckoutQuery",
                "refundStarPayment", "getStarTransactions", "getMyStarBalance",
                "setChatMenuButton", "getChatMenuButton")}
        self._canonical = {name.lower(): name for name in (
            n[3:] for n in dir(self) if n.startswith("_m_"))}

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_download)
        # access_log=None: request paths hold the token; it must never reach a log.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{self.port}"
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._webhook_task = asyncio.create_task(self._webhook_loop())
        return self

    def _http(self) -> ClientSession:
        """The client for webhooks and file URLs (made by ``start``)."""
        if self._session is None:
            raise AssertionError("the fake server is not started (use `async with`)")
        return self._session

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ for the bot

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url``: PTB appends the token and the method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def env(self) -> dict[str, str]:
        """Environment for a bot process: the token and LIENZO_TELEGRAM_API_URL."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "LIENZO_TELEGRAM_API_URL": self.url}

    def app_builder(self):
        """``Application.builder()`` with the token and both URLs set."""
        from telegram.ext import Application

        return (Application.builder().token(self.token).base_url(self.base_url)
                .base_file_url(self.base_file_url))

    def make_bot(self, token: str | None = None):
        """A bare ``telegram.Bot`` for this server (use ``async with``)."""
        from telegram import Bot

        return Bot(token or self.token, base_url=self.base_url,
                   base_file_url=self.base_file_url)

    @contextlib.asynccontextmanager
    async def running(self, app: Any, *, webhook: bool = False,
                      secret_token: str | None = None, **start_kwargs: Any):
        """Run a PTB Application against this server, by long polling or by webhook.

        ``webhook=True`` starts PTB's webhook server on a free port of 127.0.0.1 (PTB then
        calls setWebhook and this server POSTs updates to it).  Stops everything on exit.
        """
        async with app:
            await app.start()
            try:
                if webhook:
                    port = free_port()
                    await app.updater.start_webhook(
                        listen="127.0.0.1", port=port, url_path="telegram",
                        webhook_url=f"http://127.0.0.1:{port}/telegram",
                        secret_token=secret_token, **start_kwargs)
                else:
                    start_kwargs.setdefault("timeout", 5)
                    await app.updater.start_polling(**start_kwargs)
                yield app
            finally:
                if app.updater.running:
                    await app.updater.stop()
                await app.stop()

    # ------------------------------------------------------------------ the world

    def user(self, id: int | None = None, first_name: str = "Ana", *,
             last_name: str | None = None, username: str | None = None,
             language_code: str | None = "en", is_premium: bool | None = None,
             started: bool = True) -> FakeUser:
        """A person who has started the bot (the same id gives the same user).

        Their private chat exists from now on (chat id = user id).  ``started=False``: one
        who has not yet: the bot gets 403 "bot can't initiate conversation with a user"
        there until they write to it (``/start`` or anything else) or pay it.
        """
        if id is None:
            id = next(self._user_ids)
        if id not in self._users:
            self._users[id] = FakeUser(self, id, first_name, last_name=last_name,
                                       username=username, language_code=language_code,
                                       is_premium=is_premium, started=started)
            self.private_chat(self._users[id])
        return self._users[id]

    def private_chat(self, user: FakeUser) -> FakeChat:
        """The private chat between ``user`` and the bot (chat id = user id)."""
        if user.id not in self._chats:
            chat = FakeChat(self, user.id, "private", user=user)
            chat.members.add(user.id)
            self._chats[user.id] = chat
        return self._chats[user.id]

    def group(self, title: str = "Group", *, privacy: bool | None = None,
              supergroup: bool = True, members: Iterable[FakeUser] = (),
              username: str | None = None) -> FakeChat:
        """A group with the bot in it.  ``privacy`` defaults to the server's setting."""
        n = next(self._group_ids)
        chat_id = -(1000000000000 + 4242000 + n) if supergroup else -(4242000 + n)
        chat = FakeChat(self, chat_id, "supergroup" if supergroup else "group", title=title,
                        privacy=self.privacy if privacy is None else privacy,
                        username=username)
        chat.members.update(u.id for u in members)
        self._chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> FakeChat:
        return self._chats[chat_id]

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    def commands(self, language_code: str = "", scope: dict | None = None) -> list[dict] | None:
        """What setMyCommands stored for this scope and language (None if never set)."""
        return self._commands.get((self._scope_key(scope), language_code or ""))

    @property
    def bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    # ------------------------------------------------------------------ faults

    def fail_next(self, method: str, *, retry_after: int | None = None,
                  status: int | None = None, description: str | None = None,
                  times: int = 1, chat: Any = None, disconnect: bool = False) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any but getUpdates) fail.

        ``retry_after=N``: 429 "Too Many Requests: retry after N" with
        ``parameters.retry_after``; ``status``/``description``: any error; ``disconnect``:
        the connection is closed without an answer.  ``chat`` limits it to one chat.
        The failed call has no effect, as with Telegram.
        """
        error = None
        if retry_after is not None:
            error = ApiError(429, f"Too Many Requests: retry after {retry_after}",
                             {"retry_after": retry_after})
        elif status is not None:
            default = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                       404: "Not Found", 409: "Conflict", 500: "Internal Server Error",
                       502: "Bad Gateway"}.get(status, "Error")
            error = ApiError(status, description or default)
        elif not disconnect:
            raise ValueError("fail_next needs retry_after, status or disconnect")
        chat_id = getattr(chat, "id", chat)
        self._faults.append(_Fault(method.lower(), times, error, disconnect, chat_id))

    def _take_fault(self, method: str, params: dict) -> _Fault | None:
        for fault in self._faults:
            if fault.method not in (method.lower(), "*") or fault.times <= 0:
                continue
            if fault.method == "*" and method.lower() == "getupdates":
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times == 0:
                self._faults.remove(fault)
            return fault
        return None

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def _changed(self, timeout: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(fut, max(timeout, 0))
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(fut)

    async def wait_for(self, predicate: Callable[[list[Call]], Any], timeout: float = 10.0,
                       message: str | None = None, *, chat: FakeChat | None = None) -> Any:
        """Re-check ``predicate(self.calls)`` after every change; return its truthy value.

        On timeout raise AssertionError with ``message``, the recent calls and (with
        ``chat``) that chat's messages.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self.calls)
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self.report(
                    f"timed out after {timeout:g} s waiting for {message or predicate}", chat))
            await self._changed(remaining)

    async def wait_for_call(self, method: str | tuple[str, ...],
                            predicate: Callable[[Call], Any] | None = None,
                            timeout: float = 10.0, *, after: Call | None = None) -> Call:
        """The first finished call of ``method`` (or of any of several methods) after
        ``after`` matching ``predicate``."""
        start = self.calls.index(after) + 1 if after is not None else 0
        methods = (method,) if isinstance(method, str) else method

        def find(calls: list[Call]) -> Call | None:
            for call in calls[start:]:
                if (call.method in methods and call.status is not None
                        and (predicate is None or predicate(call))):
                    return call
            return None

        return await self.wait_for(find, timeout, f"a {method} call")

    async def wait_for_message(self, chat: FakeChat, predicate: Any = None,
                               timeout: float = 10.0, *, after: Any = None) -> FakeMessage:
        """The first (oldest) bot message in ``chat`` that matches, waiting for it.

        ``predicate``: a callable on :class:`FakeMessage`, or a string that the text or
        caption must contain, or None.  ``after``: a message (or id); only later ones count.
        Edited messages are checked in their current state.  Deleted ones never match.
        """
        after_id = 0 if after is None else (
            after if isinstance(after, int) else getattr(after, "message_id", None)
            or after["message_id"])
        if isinstance(predicate, str):
            needle = predicate

            def predicate(m: FakeMessage) -> bool:
                return needle in m.content

            description = f"a bot message containing {needle!r} in {chat!r}"
        else:
            description = f"a bot message in {chat!r} matching {predicate or 'anything'}"

        def find(_calls: list[Call]) -> FakeMessage | None:
            for msg in chat.bot_messages:
                if msg.message_id > after_id and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.wait_for(find, timeout, description, chat=chat)

    async def wait_until_consumed(self, timeout: float = 10.0) -> None:
        """Wait until the bot has fetched and confirmed every queued update."""
        await self.wait_for(lambda _: not self._pending, timeout,
                            f"the bot to consume {len(self._pending)} pending updates")

    def calls_to(self, method: str, chat: Any = None) -> list[Call]:
        """Finished calls of ``method`` (to ``chat``, a FakeChat or an id), oldest first."""
        chat_id = getattr(chat, "id", chat)
        return [c for c in self.calls if c.method == method and c.status is not None
                and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def report(self, headline: str, chat: FakeChat | None = None, last: int = 25) -> str:
        """A headline, the recent calls (without getUpdates) and the chat's messages."""
        calls = [c for c in self.calls if c.method != "getUpdates"]
        lines = [headline, f"last {min(last, len(calls))} of {len(calls)} calls "
                 f"(plus {len(self.calls) - len(calls)} getUpdates):"]
        lines += ["  " + c.describe(self._t0) for c in calls[-last:]]
        lines.append(f"pending updates: {len(self._pending)}; webhook: "
                     f"{self.webhook['url'] if self.webhook else None}")
        if chat is not None:
            lines.append(f"messages in {chat!r}:")
            lines += [f"  {m!r}" for m in list(chat.messages.values())[-20:]]
        return "\n".join(lines)

    # ------------------------------------------------------------------ updates

    def resend(self, message: FakeMessage) -> dict | None:
        """Deliver ``message`` to the bot again in a new update, as a duplicate delivery
        would (a payment the bot must not credit twice)."""
        return self._queue_update("message", dict(message))

    def _queue_update(self, kind: str, payload: dict) -> dict | None:
        update = {"update_id": next(self._update_ids), kind: _plain(payload)}
        if kind not in self.allowed_updates:
            return None
        self.updates.append(update)
        self._pending.append(update)
        self._notify()
        return update

    def _visible_to_bot(self, chat: FakeChat, msg: FakeMessage) -> bool:
        if not chat.is_group:
            return True
        if not chat.bot_member:
            return False
        if not chat.privacy or SERVICE_KEYS & msg.keys():
            return True
        if msg.get("via_bot", {}).get("id") == self.bot_id:
            return True  # "messages sent via this bot" reach it whatever the privacy mode
        replied = msg.get("reply_to_message")
        if replied and replied.get("from", {}).get("id") == self.bot_id:
            return True
        for m in COMMAND_RE.finditer(msg.content):
            if m.group(2) is None or m.group(2).lower() == self.bot_username.lower():
                return True
        return False

    def _user_message(self, user: FakeUser, chat: FakeChat, fields: dict, reply_to: Any,
                      deliver: bool) -> FakeMessage:
        if chat.deleted:
            raise AssertionError(f"{chat!r} was deleted")
        if chat.type == "private" and chat.user is not user:
            raise AssertionError(f"{user!r} is not in {chat!r}")
        if chat.type == "private" and user.blocked:
            raise AssertionError(f"{user!r} blocked the bot: unblock_bot() first")
        chat.members.add(user.id)
        if chat.type == "private" and chat.owner is None:
            user.started = True  # writing to the bot lets it write back
        data = {"message_id": next(chat._ids), "from": user.json, "chat": chat.json,
                "date": int(time.time()), **fields}
        if reply_to is not None:
            data["reply_to_message"] = self._reply_json(self._find_message(reply_to, chat))
        msg = FakeMessage(data, server=self, chat=chat, user=user)
        chat.messages[msg.message_id] = msg
        if deliver:
            if self._visible_to_bot(chat, msg):
                self._queue_update("message", msg)
            else:
                self.hidden.append(msg)
        self._notify()
        return msg

    def _reply_json(self, msg: FakeMessage) -> dict:
        data = _plain(msg)
        data.pop("reply_to_message", None)
        return data

    def _press(self, user: FakeUser, msg: FakeMessage, data: str) -> CallbackPress:
        press = CallbackPress(str(secrets.randbits(63)), user, msg, data, server=self)
        self._callbacks[press.id] = press
        chat_instance = str(int(hashlib.sha256(str(msg.chat.id).encode()).hexdigest()[:15], 16))
        payload: dict = {"id": press.id, "from": user.json}
        if msg.inline_message_id:  # sent via the bot: the bot does not get the message itself
            payload["inline_message_id"] = msg.inline_message_id
        else:
            payload["message"] = msg
        self._queue_update("callback_query", {**payload, "chat_instance": chat_instance,
                                              "data": data})
        return press

    # ------------------------------------------------------------------ inline mode

    def _user_chat(self, user: FakeUser, other: FakeUser) -> FakeChat:
        if other is user:
            raise AssertionError("Saved Messages are not modelled: pick another chat")
        key = (user.id, other.id)
        if key not in self._user_chats:
            chat = FakeChat(self, other.id, "private", user=other)
            chat.owner = user
            chat.members.update((user.id, other.id))
            self._user_chats[key] = chat
        return self._user_chats[key]

    def _inline_target(self, user: FakeUser, chat: Any) -> FakeChat:
        """The chat an inline query is typed in or a result is sent to."""
        if isinstance(chat, FakeUser):
            return self._user_chat(user, chat)
        if not isinstance(chat, FakeChat):
            raise AssertionError(f"{chat!r} is not a FakeChat or a FakeUser")
        if chat.deleted:
            raise AssertionError(f"{chat!r} was deleted")
        if chat.type == "private" and chat.owner is None and chat.user is not user:
            raise AssertionError(f"{user!r} is not in {chat!r}")
        if chat.owner is not None and chat.owner is not user:
            raise AssertionError(f"{chat!r} is {chat.owner!r}'s view of a chat: use "
                                 f"{user.first_name}'s own (user.chat_with)")
        return chat

    def _inline_chat_type(self, user: FakeUser, chat: FakeChat) -> str:
        if chat.type == "private":
            return "sender" if chat.owner is None else "private"
        return chat.type

    def _inline_query(self, user: FakeUser, query: str, offset: str, chat_type: str | None,
                      chat: FakeChat | None, allowed: frozenset[str] | None) -> FakeInlineQuery:
        if not self.inline:
            raise AssertionError("inline mode is off for the bot (FakeTelegram(inline=True) is "
                                 "BotFather's /setinline): clients send no inline queries")
        if chat_type is not None and chat_type not in INLINE_CHAT_TYPES:
            raise AssertionError(f"chat_type {chat_type!r} is not one of {INLINE_CHAT_TYPES}")
        if len(query) > MAX_INLINE_QUERY:
            raise AssertionError(f"inline queries are at most {MAX_INLINE_QUERY} characters")
        if chat_type == "sender" and user.blocked:
            raise AssertionError(f"{user!r} blocked the bot: unblock_bot() first")
        inline = FakeInlineQuery(str(secrets.randbits(63)), user, query, offset, chat_type,
                                 chat=chat, allowed=allowed, server=self)
        self._inline_by_id[inline.id] = inline
        self.inline_queries.append(inline)
        payload: dict = {"id": inline.id, "from": user.json, "query": query, "offset": offset}
        if chat_type is not None:
            payload["chat_type"] = chat_type
        self._queue_update("inline_query", payload)
        return inline

    def _choose(self, inline: FakeInlineQuery, result_id: str, chat: Any) -> FakeMessage:
        user = inline.user
        if chat is None:
            chat = inline.chat or (user.chat if inline.chat_type == "sender" else None)
        if chat is None:
            raise AssertionError(f"say where {user.first_name} sends the result: choose(id, chat)")
        target = self._inline_target(user, chat)
        kind = self._inline_chat_type(user, target)
        if inline.chat_type is not None and kind != inline.chat_type:
            raise AssertionError(f"the query was typed in a {inline.chat_type} chat: its "
                                 f"results go there, not to {target!r} ({kind})")
        if kind == "sender" and user.blocked:
            raise AssertionError(f"{user!r} blocked the bot: unblock_bot() first")
        content = inline.contents[result_id]
        target.members.add(user.id)
        data = {"message_id": next(target._ids), "from": user.json, "chat": target.json,
                "date": int(time.time()), "via_bot": self.bot_user,
                **_plain(content["fields"])}
        if content["markup"]:
            data["reply_markup"] = content["markup"]
        msg = FakeMessage(data, server=self, chat=target, user=user)
        msg.sent_reply_markup = content["markup"]
        target.messages[msg.message_id] = msg
        inline_message_id = None
        if content["markup"]:  # only messages with an inline keyboard get one
            inline_message_id = base64.urlsafe_b64encode(
                secrets.token_bytes(18)).decode().rstrip("=")
            self._inline_messages[inline_message_id] = msg
            msg.inline_message_id = inline_message_id
        if target.owner is None:  # the bot is in the chat
            if self._visible_to_bot(target, msg):
                self._queue_update("message", msg)
            else:
                self.hidden.append(msg)
        if self.inline_feedback:
            chosen: dict = {"result_id": result_id, "from": user.json, "query": inline.query}
            if inline_message_id:
                chosen["inline_message_id"] = inline_message_id
            self._queue_update("chosen_inline_result", chosen)
        self._notify()
        return msg

    def _member_update(self, chat: FakeChat, user: FakeUser | None, old: str, new: str) -> None:
        by = user.json if user else {"id": 1087968824, "is_bot": True,
                                     "first_name": "Group", "username": "GroupAnonymousBot"}
        def member(status: str) -> dict:
            found: dict = {"user": self.bot_user, "status": status}
            if status == "kicked":
                found["until_date"] = 0  # banned for ever, as Telegram says
            return found

        self._queue_update("my_chat_member", {
            "chat": chat.json, "from": by, "date": int(time.time()),
            "old_chat_member": member(old), "new_chat_member": member(new)})

    def _find_message(self, message: Any, chat: FakeChat | None = None) -> FakeMessage:
        """A FakeMessage from itself, a Bot API dict, a PTB Message, or an id in ``chat``."""
        if isinstance(message, FakeMessage):
            return message
        if isinstance(message, dict):
            chat = self._chats[message["chat"]["id"]]
            message = message["message_id"]
        elif hasattr(message, "message_id") and hasattr(message, "chat_id"):
            chat = self._chats[message.chat_id]
            message = message.message_id
        if chat is None:
            raise AssertionError("give a FakeMessage (or a chat with a message id)")
        return chat.messages[int(message)]

    async def post_webhook(self, update: Any, *, url: str | None = None,
                           secret_token: Any = ...) -> tuple[int, str]:
        """POST one update to the webhook (or ``url``) as Telegram would: returns (status, body).

        ``update``: an Update dict or a FakeMessage (wrapped as a new message update).
        ``secret_token``: defaults to the one given to setWebhook; None sends no header.
        """
        if isinstance(update, FakeMessage):
            update = {"update_id": next(self._update_ids), "message": _plain(update)}
        url = url or (self.webhook or {}).get("url")
        if not url:
            raise AssertionError("no webhook is set and no url was given")
        if secret_token is ...:
            secret_token = (self.webhook or {}).get("secret_token")
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with self._http().post(url, data=json.dumps(update), headers=headers) as resp:
            return resp.status, await resp.text()

    async def _webhook_loop(self) -> None:
        backoff = 0.05
        while not self._closing:
            if not (self.webhook and self._pending):
                await self._changed(3600)
                continue
            hook, update = self.webhook, self._pending[0]
            try:
                status, body = await self.post_webhook(update, url=hook["url"],
                                                       secret_token=hook.get("secret_token"))
            except Exception as exc:  # noqa: BLE001 - any failure is the webhook's error
                status, body = None, f"{type(exc).__name__}: {exc}"
            self.webhook_deliveries.append({"update_id": update["update_id"],
                                            "status": status, "body": body[:200]})
            if status is not None and 200 <= status < 300:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                backoff = 0.05
                self._notify()
            else:
                hook["last_error_date"] = int(time.time())
                hook["last_error_message"] = (f"Wrong response from the webhook: {status}"
                                              if status else body[:100])
                self._notify()
                await self._changed(backoff)
                backoff = min(backoff * 2, 1.0)

    # ------------------------------------------------------------------ HTTP

    def _json(self, body: dict, status: int = 200) -> web.Response:
        return web.json_response(body, status=status)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if not TOKEN_RE.match(token):
            return self._json(ApiError(404, "Not Found").payload(), 404)
        if token != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        try:
            params, files = await self._read_params(request)
        except ApiError as exc:
            if exc.status == 413:  # nginx in front of the Bot API answers, in HTML
                self.calls.append(Call(self._canonical.get(method.lower(), method), {}, {},
                                       time.monotonic(), status=413,
                                       error=REQUEST_TOO_LARGE))
                self._notify()
                return web.Response(status=413, text=NGINX_413, content_type="text/html")
            return self._json(exc.payload(), exc.status)
        name = self._canonical.get(method.lower(), method)
        call = Call(name, params, {k: {"filename": f[0], "mime_type": f[1], "size": len(f[2])}
                                   for k, f in files.items()}, time.monotonic())
        self.calls.append(call)
        handler = self._methods.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            fault = self._take_fault(name, params)
            if fault is not None and fault.disconnect:
                call.status, call.error = 0, "connection dropped (fail_next)"
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            if fault is not None:
                assert fault.error is not None  # fail_next: no error only when it disconnects
                raise fault.error
            result = await handler(params, files)
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            self._notify()
            return self._json(exc.payload(), exc.status)
        call.status, call.result = 200, result
        self._notify()
        return self._json({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[dict, dict]:
        if (request.content_length or 0) > MAX_UPLOAD_BYTES:  # the whole request, as nginx
            raise ApiError(413, REQUEST_TOO_LARGE)  # counts it: the file and the fields
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, str, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "multipart/form-data":
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    # PTB sends flat forms: neither nested multiparts nor nameless fields
                    assert isinstance(part, BodyPartReader) and part.name is not None, part
                    if part.filename is not None:
                        data = await part.read()
                        files[part.name] = (part.filename,
                                            part.headers.get("Content-Type",
                                                             "application/octet-stream"),
                                            bytes(data))
                    else:
                        raw[part.name] = await part.text()
            elif ctype == "application/json":
                try:
                    raw.update(await request.json())
                except ValueError:
                    raise _bad("can't parse JSON object") from None
            else:
                raw.update(await request.post())
        if sum(len(f[2]) for f in files.values()) > MAX_UPLOAD_BYTES:
            raise ApiError(413, REQUEST_TOO_LARGE)
        params = {}
        for key, value in raw.items():
            params[key] = self._coerce(key, value)
        return params, files

    @staticmethod
    def _coerce(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if key == "chat_id":
            return int(value) if re.fullmatch(r"-?\d+", value) else value
        if key in INT_PARAMS:
            try:
                return int(value)
            except ValueError:
                raise _bad(f"invalid {key} specified") from None
        if key in BOOL_PARAMS:
            return value.lower() in ("true", "1")
        if key in JSON_PARAMS:
            try:
                return json.loads(value)
            except ValueError:
                what = "reply keyboard markup" if key == "reply_markup" else key
                raise _bad(f"can't parse {what} JSON object") from None
        return value

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        token, path = request.match_info["token"], request.match_info["path"]
        if token != self.token:
            return self._json(ApiError(404, "Not Found").payload(), 404)
        call = Call("download", {"file_path": path}, {}, time.monotonic())
        self.calls.append(call)
        stored = self._paths.get(path)
        if stored is None:
            call.status, call.error = 404, "Not Found"
            self._notify()
            return self._json(ApiError(404, "Not Found").payload(), 404)
        call.status, call.result = 200, stored.file_size
        self._notify()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ storage

    def _new_ids(self, data: bytes, kind: str, variant: str = "") -> tuple[str, str]:
        n = next(self._file_counter)
        prefix = {"photo": "AgACAgQAAxkBAAI", "document": "BQACAgQAAxkBAAI"}.get(kind, "CAAC")
        file_id = f"{prefix}{n:06d}" + secrets.token_urlsafe(30)[:40]
        digest = hashlib.sha256(data + variant.encode()).digest()
        unique = "AQAD" + base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")
        return file_id, unique

    def _store(self, stored: StoredFile) -> StoredFile:
        self._files[stored.file_id] = stored
        if stored.source == "bot":
            self.uploads.append(stored)
        return stored

    def _store_photo(self, data: bytes, source: str) -> list[StoredFile]:
        size = _image_size(data)
        if size is None:
            raise _bad("IMAGE_PROCESS_FAILED")
        width, height = size
        sizes: list[StoredFile] = []
        for side in THUMB_SIDES:
            if max(width, height) > side:
                thumb = _thumbnail(data, side)
                tw, th = _jpeg_size(thumb)
                file_id, unique = self._new_ids(data, "photo", f"thumb{side}")
                sizes.append(StoredFile(file_id, unique, thumb, "photo", "thumbnail",
                                        mime_type="image/jpeg", width=tw, height=th))
        file_id, unique = self._new_ids(data, "photo")
        sizes.append(StoredFile(file_id, unique, data, "photo", source, width=width,
                                height=height,
                                mime_type=Image.MIME.get(_format(data) or "", None)))
        for stored in sizes:
            stored.photo_set = sizes
            self._files[stored.file_id] = stored
        if source == "bot":
            self.uploads.append(sizes[-1])
        return sizes

    def _store_document(self, data: bytes, file_name: str | None, mime_type: str | None,
                        source: str) -> StoredFile:
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = (mimetypes.guess_type(file_name or "")[0] or mime_type
                         or "application/octet-stream")
        file_id, unique = self._new_ids(data, "document")
        return self._store(StoredFile(file_id, unique, data, "document", source,
                                      file_name=file_name, mime_type=mime_type))

    def _document_json(self, stored: StoredFile) -> dict:
        out = {"file_name": stored.file_name, "mime_type": stored.mime_type,
               **stored.file_json()}
        out.pop("file_path", None)
        if out["file_name"] is None:
            out.pop("file_name")
        if stored.file_id not in self._doc_thumbs:
            self._doc_thumbs[stored.file_id] = None
            if stored.file_size <= MAX_DOWNLOAD_BYTES and _image_size(stored.data):
                try:
                    thumb = _thumbnail(stored.data, 320)
                except Exception:  # noqa: BLE001 - a header Pillow reads but cannot decode
                    return out
                tw, th = _jpeg_size(thumb)
                file_id, unique = self._new_ids(stored.data, "photo", "docthumb")
                self._files[file_id] = StoredFile(file_id, unique, thumb, "photo",
                                                  "thumbnail", mime_type="image/jpeg",
                                                  width=tw, height=th)
                self._doc_thumbs[stored.file_id] = self._files[file_id].photo_size_json()
        if self._doc_thumbs[stored.file_id]:
            out["thumbnail"] = self._doc_thumbs[stored.file_id]
        return out

    async def _resolve_file(self, value: Any, files: dict, kind: str, param: str,
                            file_name: str | None = None
                            ) -> tuple[StoredFile, list[StoredFile] | None]:
        """A file parameter → (stored file, photo sizes or None), uploading if needed."""
        upload = None
        if value is None and param in files:
            upload = files[param]
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://"):])
            if upload is None:
                raise _bad(f"file of type {kind} not found in the request: {value}")
        elif value is None:
            raise _bad(f"there is no {kind} in the request")
        if upload is None:
            if not isinstance(value, str):
                raise _bad("wrong file identifier/HTTP URL specified")
            if value in self._files:
                stored = self._files[value]
                if stored.kind != kind:
                    raise _bad("type of file mismatch")
                return stored, stored.photo_set
            if value.startswith(("http://", "https://")):
                try:
                    async with self._http().get(value) as resp:
                        if resp.status != 200:
                            raise ValueError(resp.status)
                        data = await resp.read()
                except Exception:  # noqa: BLE001 - Telegram says the same for any failure
                    raise _bad("wrong file identifier/HTTP URL specified") from None
                upload = (value.rsplit("/", 1)[-1] or "file", "", data)
                source = "url"
            else:
                raise _bad("wrong file identifier/HTTP URL specified")
        else:
            source = "bot"
        filename, mime, data = upload
        if kind == "photo":
            if len(data) > MAX_PHOTO_BYTES:
                raise _bad("PHOTO_SAVE_FILE_INVALID")
            size = _image_size(data)
            if size is None:
                raise _bad("IMAGE_PROCESS_FAILED")
            w, h = size
            if w + h > MAX_PHOTO_SIDES or max(w, h) > 20 * min(w, h):
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            sizes = self._store_photo(data, source=source)
            return sizes[-1], sizes
        if not data:
            raise _bad("file must be non-empty")
        stored = self._store_document(data, file_name or filename, mime, source=source)
        return stored, None

    # ------------------------------------------------------------------ chats and messages

    def _chat_for(self, params: dict) -> FakeChat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat = None
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = next((c for c in self._chats.values()
                         if c.username and c.username.lower() == chat_id[1:].lower()), None)
        if chat is None or chat.deleted:
            raise _bad("chat not found")
        if chat.type == "private" and chat.user is not None and chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type == "private" and chat.user is not None and not chat.user.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat.is_group and not chat.bot_member:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        return chat

    def _message_for(self, params: dict, verb: str) -> FakeMessage:
        if verb == "edit" and params.get("chat_id") in (None, "") and not params.get("message_id"):
            msg = self._inline_messages.get(str(params.get("inline_message_id") or ""))
            if msg is None:
                raise _bad("invalid inline message identifier specified")
            return msg
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message_id is empty" if verb != "delete" else
                       "message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise _bad(f"message to {verb} not found")
        return msg

    def _markup(self, params: dict, chat: FakeChat | None = None) -> dict | None:
        """The reply_markup of a send or an edit, checked as Telegram checks it."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        try:
            markup = self._parse_markup(markup)
        except _ParseError as exc:
            raise _bad(_lower_first(str(exc))) from None
        self._check_markup(markup, chat)
        return markup

    def _parse_markup(self, markup: Any) -> dict:
        """What the Bot API server checks while reading the JSON (raises _ParseError).

        Returns the markup with ``switch_inline_query_chosen_chat`` buttons as Telegram
        echoes them (all four flags; all four true is a plain ``switch_inline_query``).
        """
        if not isinstance(markup, dict):
            raise _ParseError("Can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if not ({"keyboard", "remove_keyboard", "force_reply"} & markup.keys()):
                raise _ParseError("Can't parse reply keyboard markup JSON object")
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise _ParseError('Field "inline_keyboard" must be of type Array')
        echoed_rows = []
        for row in rows:
            if not isinstance(row, list):
                raise _ParseError('Field "inline_keyboard" of the InlineKeyboardMarkup must be '
                                  'an Array of Arrays')
            echoed = []
            for button in row:
                try:
                    echoed.append(self._parse_button(button))
                except _ParseError as exc:
                    raise _ParseError(f"Can't parse inline keyboard button: {exc}") from None
            echoed_rows.append(echoed)
        return {**markup, "inline_keyboard": echoed_rows}

    @staticmethod
    def _parse_button(button: Any) -> dict:
        if not isinstance(button, dict):
            raise _ParseError("InlineKeyboardButton must be an Object")
        _json_str(button, "text", required=True)
        if not button["text"]:
            raise _ParseError("Text buttons are unallowed in the inline keyboard")
        for key in ("url", "callback_data"):
            _json_str(button, key)
        kind = _button_kind(button)
        if kind is None:
            raise _ParseError("Text buttons are unallowed in the inline keyboard")
        if kind in ("switch_inline_query", "switch_inline_query_current_chat"):
            _json_str(button, kind)
        elif kind == "switch_inline_query_chosen_chat":
            options = _json_object(button, kind, required=True)  # present: it is the kind
            query = _json_str(options, "query")
            flags = {flag: _json_bool(options, flag) for flag in CHOSEN_CHAT_FLAGS}
            button = {k: v for k, v in button.items() if k != kind}
            if all(flags.values()):
                button["switch_inline_query"] = query
            else:
                button[kind] = {"query": query, **flags}
        elif kind in ("login_url", "web_app"):
            _json_str(_json_object(button, kind, required=True), "url", required=True)
        elif kind == "copy_text":
            _json_str(_json_object(button, kind, required=True), "text", required=True)
        return dict(button)

    @staticmethod
    def _checked_url(url: str) -> str:
        """TDLib's check of a URL button; a URL without a scheme gets http:// (as echoed)."""
        if re.match(r"^tg://\S+$", url, re.IGNORECASE):
            return url
        m = re.match(r"^(?:(https?)://)?([^\s/?#]+)([/?#]\S*)?$", url, re.IGNORECASE)
        if m is None or "." not in m.group(2):
            raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        return url if m.group(1) else "http://" + url

    def _check_markup(self, markup: dict, chat: FakeChat | None, *,
                      inline_result: bool = False) -> None:
        """TDLib's checks, then Telegram's (raise ApiError)."""
        buttons = [b for row in markup.get("inline_keyboard") or [] for b in row]
        for button in buttons:
            kind = _button_kind(button)
            if kind == "switch_inline_query_chosen_chat" and not any(
                    button[kind][flag] for flag in CHOSEN_CHAT_FLAGS):
                raise _bad("at least one chat type must be allowed")
            if kind == "url":
                button["url"] = self._checked_url(str(button["url"]))
            elif kind == "web_app":  # HTTPS only, normalized (tests/support/fake_webapps.py)
                button["web_app"] = {"url": self._checked_web_app_url(
                    str(button["web_app"]["url"]), "inline keyboard button")}
        if len(buttons) > 100:
            raise _bad("reply markup is too long")
        for button in buttons:
            kind = _button_kind(button)
            if kind == "callback_data" and not (
                    0 < len(str(button[kind]).encode()) <= MAX_CALLBACK_DATA):
                raise _bad("BUTTON_DATA_INVALID")
            if kind == "web_app" and (inline_result or (chat is not None and
                                                        chat.type != "private")):
                raise _bad("BUTTON_TYPE_INVALID")  # Web App buttons only in private chats

    def _reply_target(self, chat: FakeChat, params: dict) -> FakeMessage | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = reply.get("allow_sending_without_reply", False)
            if reply.get("chat_id") not in (None, chat.id):
                raise _bad("replies to other chats are not supported by the fake server")
        else:
            message_id = params.get("reply_to_message_id")
            allow = params.get("allow_sending_without_reply", False)
        if message_id is None:
            return None
        msg = chat.messages.get(int(message_id))
        if msg is None or msg.deleted:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return msg

    def _caption_fields(self, params: dict) -> dict:
        caption = params.get("caption")
        if caption is None or caption == "":
            return {}
        text, entities = format_text(caption, params.get("parse_mode"),
                                     params.get("caption_entities"))
        if len(text) > MAX_CAPTION:
            raise _bad("message caption is too long")
        out: dict = {"caption": text}
        if entities:
            out["caption_entities"] = entities
        if params.get("show_caption_above_media"):
            out["show_caption_above_media"] = True
        return out

    def _bot_message(self, chat: FakeChat, fields: dict, params: dict,
                     reply_to: FakeMessage | None, markup: dict | None) -> FakeMessage:
        data = {"message_id": next(chat._ids), "from": self.bot_user, "chat": chat.json,
                "date": int(time.time())}
        if reply_to is not None:
            data["reply_to_message"] = self._reply_json(reply_to)
        data.update(fields)
        if markup and "inline_keyboard" in markup:
            data["reply_markup"] = markup
        msg = FakeMessage(data, server=self, chat=chat, user=None)
        msg.sent_reply_markup = markup
        chat.messages[msg.message_id] = msg
        return msg

    def _editable(self, params: dict) -> FakeMessage:
        """The message to edit: the bot's own, or one sent via the bot (by inline_message_id)."""
        msg = self._message_for(params, "edit")
        if not msg.from_bot and not self._by_inline_id(params):
            raise _bad("message can't be edited")
        return msg

    @staticmethod
    def _by_inline_id(params: dict) -> bool:
        return params.get("chat_id") in (None, "") and not params.get("message_id")

    def _edit(self, msg: FakeMessage, fields: dict, drop: Iterable[str],
              markup: dict | None) -> dict | bool:
        """Apply an edit as Telegram does: an omitted inline keyboard is removed.

        Returns the message, or True for a message sent via the bot (inline_message_id).
        """
        skip = {"reply_markup", "edit_date", *drop}
        new = {k: v for k, v in msg.items() if k not in skip}
        new.update(fields)
        if markup and "inline_keyboard" in markup:
            new["reply_markup"] = markup
        old = {k: v for k, v in msg.items() if k != "edit_date"}
        if _plain(new) == _plain(old):
            raise _bad(NOT_MODIFIED[len("Bad Request: "):])
        new["edit_date"] = int(time.time())
        msg.clear()
        msg.update(new)
        msg.sent_reply_markup = markup
        msg.versions.append((time.monotonic(), _plain(msg)))
        return True if msg.user is not None else _plain(msg)

    # ------------------------------------------------------------------ methods

    async def _m_getMe(self, params: dict, files: dict) -> dict:
        return {**self.bot_user, "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy,
                "supports_inline_queries": self.inline, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _m_logOut(self, params: dict, files: dict) -> bool:
        return True

    async def _m_close(self, params: dict, files: dict) -> bool:
        return True

    async def _m_getUpdates(self, params: dict, files: dict) -> list[dict]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                "active; use deleteWebhook to delete the webhook first")
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older poll still waiting gets its 409 now
        offset = params.get("offset")
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = max(params.get("timeout") or 0, 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self.allowed_updates = list(allowed) or list(DEFAULT_UPDATES)
        if offset:
            if offset < 0:
                del self._pending[: max(len(self._pending) + offset, 0)]
            else:
                self._pending[:] = [u for u in self._pending if u["update_id"] >= offset]
            self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                    "sure that only one bot instance is running")
            if self._pending or self._closing or loop.time() >= deadline or self.webhook:
                return _plain(self._pending[:limit]) if not self.webhook else []
            await self._changed(deadline - loop.time())

    async def _m_getFile(self, params: dict, files: dict) -> dict:
        stored = self._files.get(params.get("file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        if stored.file_path is None:
            folder = "photos" if stored.kind == "photo" else "documents"
            ext = ""
            if stored.kind == "photo":
                ext = ".jpg"
            elif stored.file_name and "." in stored.file_name:
                ext = "." + stored.file_name.rsplit(".", 1)[1].lower()
            stored.file_path = f"{folder}/file_{len(self._paths)}{ext}"
            self._paths[stored.file_path] = stored
        return stored.file_json()

    async def _m_sendMessage(self, params: dict, files: dict) -> dict:
        chat = self._chat_for(params)
        raw = params.get("text")
        if raw is None or str(raw).strip() == "":
            raise _bad("message text is empty")
        text, entities = format_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("message is too long")
        markup = self._markup(params, chat)
        reply_to = self._reply_target(chat, params)
        fields: dict = {"text": text}
        if entities:
            fields["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            fields["link_preview_options"] = params["link_preview_options"]
        return _plain(self._bot_message(chat, fields, params, reply_to, markup))

    async def _send_media(self, params: dict, files: dict, kind: str) -> dict:
        chat = self._chat_for(params)
        markup = self._markup(params, chat)
        reply_to = self._reply_target(chat, params)
        caption = self._caption_fields(params)
        stored, sizes = await self._resolve_file(params.get(kind), files, kind, kind)
        fields: dict = {}
        if kind == "photo":
            fields["photo"] = _photo_json(sizes)
            if params.get("has_spoiler"):
                fields["has_media_spoiler"] = True
        else:
            fields["document"] = self._document_json(stored)
        fields.update(caption)
        return _plain(self._bot_message(chat, fields, params, reply_to, markup))

    async def _m_sendPhoto(self, params: dict, files: dict) -> dict:
        return await self._send_media(params, files, "photo")

    async def _m_sendDocument(self, params: dict, files: dict) -> dict:
        return await self._send_media(params, files, "document")

    async def _m_sendAnimation(self, params: dict, files: dict) -> dict:
        """An MP4 (or GIF) shown as an animation.  Telegram reads the size and length
        from the file itself (the width/height/duration parameters are only hints);
        a file that is not a video it can play becomes a plain ``document``."""
        chat = self._chat_for(params)
        markup = self._markup(params, chat)
        reply_to = self._reply_target(chat, params)
        caption = self._caption_fields(params)
        stored, _ = await self._resolve_file(params.get("animation"), files, "document",
                                             "animation")
        if stored.file_size > MAX_UPLOAD_BYTES:
            raise _bad("file is too big")
        fields = self._moving_fields(stored, "animation")
        fields.update(caption)
        return _plain(self._bot_message(chat, fields, params, reply_to, markup))

    async def _m_sendVideo(self, params: dict, files: dict) -> dict:
        """A video: Telegram reads its size and length from the file (an MP4 it can
        play becomes a ``video``; anything else a plain ``document``)."""
        chat = self._chat_for(params)
        markup = self._markup(params, chat)
        reply_to = self._reply_target(chat, params)
        caption = self._caption_fields(params)
        stored, _ = await self._resolve_file(params.get("video"), files, "document", "video")
        if stored.file_size > MAX_UPLOAD_BYTES:
            raise _bad("file is too big")
        fields = self._moving_fields(stored, "video")
        fields.update(caption)
        return _plain(self._bot_message(chat, fields, params, reply_to, markup))

    def _moving_fields(self, stored: StoredFile, kind: str) -> dict:
        """A message's fields for an animation (with its ``document`` twin, as Telegram
        gives it) or a video; a plain ``document`` when Telegram could not play it."""
        doc = self._document_json(stored)
        info = _video_info(stored.data)
        if info is None or (kind == "video" and stored.data[:3] == b"GIF"):
            return {"document": doc}
        stored.played_as = stored.played_as or kind  # TDLib's file type from now on
        width, height, duration = info
        moving = {**doc, "width": width, "height": height, "duration": duration}
        return {"document": doc, "animation": moving} if kind == "animation" else \
            {"video": moving}

    async def _m_sendMediaGroup(self, params: dict, files: dict) -> list[dict]:
        chat = self._chat_for(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of media specified: must be between 2 and 10")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if not kinds <= {"photo", "document"}:
            raise _bad(f"media types not supported by the fake server: {sorted(kinds, key=str)}")
        if len(kinds) > 1:
            raise _bad("document can't be mixed with other media types")
        reply_to = self._reply_target(chat, params)
        resolved = []
        for item in media:
            stored, sizes = await self._resolve_file(item.get("media"), files, item["type"],
                                                     "media")
            resolved.append((item, stored, sizes, self._caption_fields(item)))
        group_id = str(next(self._media_group_ids))
        sent = []
        for item, stored, sizes, caption in resolved:
            fields: dict = {"media_group_id": group_id}
            if item["type"] == "photo":
                fields["photo"] = _photo_json(sizes)
            else:
                fields["document"] = self._document_json(stored)
            fields.update(caption)
            sent.append(_plain(self._bot_message(chat, fields, params, reply_to, None)))
        return sent

    async def _m_editMessageText(self, params: dict, files: dict) -> dict | bool:
        msg = self._editable(params)
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        raw = params.get("text")
        if raw is None or str(raw).strip() == "":
            raise _bad("message text is empty")
        text, entities = format_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if len(text) > MAX_TEXT:
            raise _bad("message is too long")
        markup = self._markup(params, msg.chat)
        fields: dict = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._edit(msg, fields, ("text", "entities"), markup)

    async def _m_editMessageCaption(self, params: dict, files: dict) -> dict | bool:
        msg = self._editable(params)
        if not {"photo", "document", "video", "animation"} & set(msg):
            raise _bad("there is no caption in the message to edit")
        markup = self._markup(params, msg.chat)
        return self._edit(msg, self._caption_fields(params),
                          ("caption", "caption_entities", "show_caption_above_media"), markup)

    async def _m_editMessageMedia(self, params: dict, files: dict) -> dict | bool:
        msg = self._editable(params)
        if not {"photo", "document", "video", "animation"} & set(msg):
            raise _bad("there is no media in the message to edit")
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in ("photo", "document",
                                                                     "animation", "video"):
            raise _bad("can't parse InputMedia: media type not supported by the fake server")
        markup = self._markup(params, msg.chat)
        kind = "photo" if media["type"] == "photo" else "document"
        stored, sizes = await self._resolve_file(media.get("media"), files, kind, "media")
        fields: dict = {}
        if media["type"] == "photo":
            fields["photo"] = _photo_json(sizes)
        elif media["type"] == "document":
            fields["document"] = self._document_json(stored)
        else:
            if stored.file_size > MAX_UPLOAD_BYTES:
                raise _bad("file is too big")
            fields = self._moving_fields(stored, media["type"])
        fields.update(self._caption_fields(media))
        current = msg.get("photo", [{}])[-1].get("file_unique_id") or \
            msg.get("video", msg.get("document", {})).get("file_unique_id")
        if current == stored.file_unique_id and media["type"] in msg:
            for key in ("photo", "document", "video", "animation"):  # same file: not a change
                if key in msg:
                    fields[key] = msg[key]
        return self._edit(msg, fields, ("photo", "document", "video", "animation", "caption",
                                        "caption_entities", "show_caption_above_media",
                                        "has_media_spoiler"), markup)

    async def _m_editMessageReplyMarkup(self, params: dict, files: dict) -> dict | bool:
        msg = self._editable(params)
        return self._edit(msg, {}, (), self._markup(params, msg.chat))

    async def _m_deleteMessage(self, params: dict, files: dict) -> bool:
        msg = self._message_for(params, "delete")
        if msg.chat.is_group and not msg.from_bot:
            raise _bad("message can't be deleted")
        msg.deleted = True
        return True

    async def _m_answerCallbackQuery(self, params: dict, files: dict) -> bool:
        press = self._callbacks.get(str(params.get("callback_query_id")))
        if press is None or press.answer is not None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        url = params.get("url")
        # Outside games, only a link that opens this bot with a start parameter.
        if url is not None and not re.fullmatch(
                rf"https://t\.me/{re.escape(self.bot_username)}\?start=[A-Za-z0-9_-]{{1,64}}",
                str(url), re.IGNORECASE):
            raise _bad("URL_INVALID")
        press.answer = {k: v for k, v in params.items() if k != "callback_query_id"}
        return True

    async def _m_answerInlineQuery(self, params: dict, files: dict) -> bool:
        # What the Bot API server parses, then what TDLib checks, then Telegram's servers.
        button = self._parse_results_button(params)
        results = self._parse_inline_results(params.get("results"))
        if button is not None:
            self._check_results_button(button)
        contents = [self._inline_content(result) for result in results]
        inline = self._inline_by_id.get(str(params.get("inline_query_id") or ""))
        if (inline is None or inline.answer is not None
                or time.monotonic() - inline.time > self.inline_query_timeout):
            raise _bad(QUERY_TOO_OLD)
        if len(str(params.get("next_offset") or "").encode()) > MAX_NEXT_OFFSET:
            raise _bad("NEXT_OFFSET_INVALID")
        seen: set[str] = set()
        for result, content in zip(results, contents, strict=True):
            if not 0 < len(result["id"].encode()) <= MAX_RESULT_ID:
                raise _bad("RESULT_ID_INVALID")
            if result["id"] in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result["id"])
            if result["type"] == "article" and not result["title"]:
                raise _bad("ARTICLE_TITLE_EMPTY")
            fields = content["fields"]
            if len(fields.get("caption", "")) > MAX_CAPTION:
                raise _bad("MEDIA_CAPTION_TOO_LONG")
            if len(fields.get("text", "")) > MAX_TEXT:
                raise _bad("MESSAGE_TOO_LONG")
        if button is not None and "start_parameter" in button and not button["text"]:
            raise _bad("SWITCH_PM_TEXT_EMPTY")
        answer = {k: v for k, v in params.items() if k not in ("inline_query_id", "results",
                                                                  "button")}
        answer["results"] = [result["json"] for result in results]
        if button is not None:
            answer["button"] = button
        inline.contents = {result["id"]: content
                           for result, content in zip(results, contents, strict=True)}
        inline.answer = answer
        return True

    def _parse_results_button(self, params: dict) -> dict | None:
        """InlineQueryResultsButton as the Bot API server reads it (or the legacy
        switch_pm_text and switch_pm_parameter)."""
        raw = params.get("button")
        if raw is None or raw == "":
            if params.get("switch_pm_text"):
                return {"text": str(params["switch_pm_text"]),
                        "start_parameter": str(params.get("switch_pm_parameter") or "")}
            return None
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise _bad("can't parse inline query results button JSON object") from None
        try:
            if not isinstance(raw, dict):
                raise _ParseError("InlineQueryResultsButton must be an Object")
            _json_str(raw, "text", required=True)
            # Telegram: "You must use exactly one of the optional fields" (the Bot API server
            # would take start_parameter when both are given; the fake insists, as the docs).
            if ("start_parameter" in raw) == ("web_app" in raw):
                raise _ParseError("InlineQueryResultsButton must have exactly one optional field")
            if "start_parameter" in raw:
                _json_str(raw, "start_parameter", required=True)
            else:
                _json_str(_json_object(raw, "web_app", required=True), "url", required=True)
        except _ParseError as exc:
            raise _bad(f"can't parse inline query results button: {exc}") from None
        return raw

    @staticmethod
    def _check_results_button(button: dict) -> None:
        """TDLib's checks of the results button."""
        if "start_parameter" in button:
            parameter = str(button["start_parameter"])
            if not parameter:
                raise _bad("can't use empty start_parameter")
            if len(parameter.encode()) > 64:
                raise _bad("too long start_parameter specified")
            if not START_PARAM_RE.match(parameter):
                raise _bad("unallowed characters in start_parameter are used")
        else:
            url = str(button["web_app"]["url"])
            if not url.startswith("https://"):
                raise _bad(f"inline query button Web App URL '{url}' is invalid: Only HTTPS "
                           "links are allowed")

    def _parse_inline_results(self, raw: Any) -> list[dict]:
        if raw is None or raw == "":
            return []
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise _bad(f"can't parse JSON encoded inline query results: {exc}") from None
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _bad("expected an Array of inline query results")
        if len(raw) > MAX_INLINE_RESULTS:
            raise _bad("too many inline query results specified")
        parsed = []
        for item in raw:
            try:
                parsed.append(self._parse_inline_result(item))
            except _ParseError as exc:
                raise _bad(f"can't parse inline query result: {exc}") from None
        return parsed

    def _parse_inline_result(self, obj: Any) -> dict:
        """One InlineQueryResult as the Bot API server reads it (raises _ParseError)."""
        if not isinstance(obj, dict):
            raise _ParseError("Inline query result must be an object")
        kind = _json_str(obj, "type", required=True).lower()
        out: dict = {"json": obj, "type": kind, "id": _json_str(obj, "id", required=True),
                     "text": None, "caption": None, "markup": None, "file_id": None,
                     "title": None}
        content = _json_object(obj, "input_message_content")
        if content is None:  # the legacy fields, still read by the Bot API server
            message_text = _json_str(obj, "message_text", required=kind == "article")
            if kind == "article" or message_text:
                out["text"] = self._inline_text(message_text, _json_str(obj, "parse_mode"),
                                                obj.get("entities"))
        else:
            message_text = _json_str(content, "message_text")
            if message_text:
                out["text"] = self._inline_text(message_text, _json_str(content, "parse_mode"),
                                                content.get("entities"))
            elif {"latitude", "phone_number", "payload"} & content.keys():
                raise _bad("input_message_content other than text is not supported by the "
                           "fake server")
            elif kind == "article":
                raise _ParseError("Input message content is not specified")
        caption = _json_str(obj, "caption")
        out["caption"] = self._inline_format(caption, _json_str(obj, "parse_mode"),
                                             obj.get("caption_entities"))
        out["show_caption_above_media"] = _json_bool(obj, "show_caption_above_media")
        markup = _json_object(obj, "reply_markup")
        if markup is not None:
            out["markup"] = self._parse_markup(markup)
        if kind == "article":
            _json_str(obj, "url")
            _json_bool(obj, "hide_url")
            out["title"] = _json_str(obj, "title", required=True)
            _json_str(obj, "description")
        elif kind in INLINE_FILE_FIELDS:
            if kind in ("document", "video"):
                out["title"] = _json_str(obj, "title", required=True)
            else:
                out["title"] = _json_str(obj, "title") or None
            _json_str(obj, "description")
            field = INLINE_FILE_FIELDS[kind]
            if _json_str(obj, field.replace("_file_id", "_url")):
                raise _bad(f"inline query results with a {field.replace('_file_id', '_url')} "
                           "are not supported by the fake server: send a file_id")
            out["file_id"] = _json_str(obj, field, required=True)
        elif kind in INLINE_RESULT_TYPES:
            raise _bad(f'inline query results of type "{kind}" are not supported by the fake '
                       "server")
        else:
            raise _ParseError(f'type "{kind}" is unsupported for the inline query result')
        return out

    @staticmethod
    def _inline_format(text: str, parse_mode: str, entities: Any) -> tuple[str, list[dict]]:
        """parse_mode or entities applied by the Bot API server (raises _ParseError)."""
        mode = (parse_mode or "").lower()
        if mode not in ("", "none", "html", "markdown", "markdownv2"):
            raise _ParseError("Unsupported parse_mode")
        try:
            return format_text(text, None if mode == "none" else mode,
                               entities if isinstance(entities, list) else None)
        except ApiError as exc:
            raise _ParseError(_upper_first(exc.description[len("Bad Request: "):])) from None

    def _inline_text(self, text: str, parse_mode: str, entities: Any) -> tuple[str, list[dict]]:
        if text == "":
            raise _ParseError("Message text is empty")
        return self._inline_format(text, parse_mode, entities)

    def _inline_file(self, file_id: str, kind: str) -> StoredFile:
        """A result's file as TDLib resolves a file_id for answerInlineQuery."""
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad("wrong remote file identifier specified: can't unserialize it. Wrong "
                       "last symbol")
        if stored.kind == "photo":
            real = "Photo" if stored.photo_set is not None else "Thumbnail"
        else:
            real = {"animation": "Animation", "video": "Video"}.get(stored.played_as or "",
                                                                    "Document")
        wanted = INLINE_FILE_TYPES[kind]
        if real != wanted:
            raise _bad(f"can't use file of type {real} as {wanted}")
        return stored

    def _inline_content(self, result: dict) -> dict:
        """TDLib's checks of one result; the message it sends when chosen."""
        markup = result["markup"]
        if markup is not None:
            if "inline_keyboard" not in markup:
                raise _bad("inline keyboard expected")
            self._check_markup(markup, None, inline_result=True)
            if not any(markup["inline_keyboard"]):
                markup = None
        fields: dict = {}
        stored = self._inline_file(result["file_id"], result["type"]) \
            if result["file_id"] is not None else None
        if result["text"] is not None:
            text, entities = result["text"]
            if not text.strip():
                raise _bad("text must be non-empty")
            fields["text"] = text
            if entities:
                fields["entities"] = entities
        elif stored is not None:
            if result["type"] == "photo":
                fields["photo"] = _photo_json(stored.photo_set)
            elif result["type"] == "document":
                fields["document"] = self._document_json(stored)
            else:  # an animation (with its document twin) or a video
                fields.update(self._moving_fields(
                    stored, "animation" if result["type"] == "mpeg4_gif" else "video"))
            caption, entities = result["caption"]
            if caption:
                fields["caption"] = caption
                if entities:
                    fields["caption_entities"] = entities
                if result["show_caption_above_media"]:
                    fields["show_caption_above_media"] = True
        return {"fields": fields, "markup": markup}

    async def _m_sendChatAction(self, params: dict, files: dict) -> bool:
        self._chat_for(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _scope_key(self, scope: Any) -> str:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        scope = dict(scope)
        if "chat_id" in scope:
            scope["chat_id"] = self._coerce("chat_id", str(scope["chat_id"]))
        return json.dumps(scope, sort_keys=True)

    async def _m_setMyCommands(self, params: dict, files: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            if not BOT_COMMAND_NAME_RE.match(str(command.get("command", "")).lstrip("/")):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("command description is empty" if not command.get("description")
                           else "BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        key = (self._scope_key(params.get("scope")), language)
        self._commands[key] = [{"command": c["command"].lstrip("/"),
                                "description": c["description"]} for c in commands]
        return True

    async def _m_getMyCommands(self, params: dict, files: dict) -> list[dict]:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        return _plain(self._commands.get(key, []))

    async def _m_deleteMyCommands(self, params: dict, files: dict) -> bool:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self._commands.pop(key, None)
        return True

    async def _m_setWebhook(self, params: dict, files: dict) -> bool:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.match(secret):
            raise _bad("secret token contains unallowed characters")
        if url and not re.match(r"^https?://\S+$", url):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"]) or list(DEFAULT_UPDATES)
        self.webhook = {"url": url, "secret_token": secret,
                        "max_connections": params.get("max_connections") or 40} if url else None
        self._poll_generation += 1  # a waiting getUpdates ends with 409
        self._notify()
        return True

    async def _m_deleteWebhook(self, params: dict, files: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        self._notify()
        return True

    async def _m_getWebhookInfo(self, params: dict, files: dict) -> dict:
        hook = self.webhook or {}
        info = {"url": hook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._pending)}
        if hook:
            info["max_connections"] = hook["max_connections"]
            info["allowed_updates"] = list(self.allowed_updates)
            for key in ("last_error_date", "last_error_message"):
                if key in hook:
                    info[key] = hook[key]
        return info


def _format(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.format
    except Exception:  # noqa: BLE001
        return None
