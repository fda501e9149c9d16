"""The fake Bot API server (tests/support/fake_telegram.py), driven by the real PTB stack.

Every test talks HTTP to the fake through ``telegram.Bot`` or a running ``Application``;
nothing is mocked.  Waiting is on conditions with deadlines, never bare sleeps.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta

import av
import numpy as np
import pytest
import pytest_asyncio
from PIL import Image
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedDocument,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputMediaDocument,
    InputMediaPhoto,
    InputTextMessageContent,
    ReplyKeyboardMarkup,
    SwitchInlineQueryChosenChat,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from engine.media import mp4
from tests.support.clips import moving
from tests.support.fake_telegram import QUERY_TOO_OLD, FakeTelegram, format_text, user_entities

pytestmark = pytest.mark.asyncio


def picture(width: int = 64, height: int = 48, seed: int = 0, fmt: str = "JPEG") -> bytes:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1),
                     np.full_like(xx, rng.integers(0, 255))], -1)
    buf = io.BytesIO()
    Image.fromarray(base.astype(np.uint8)).save(buf, fmt)
    return buf.getvalue()


# --------------------------------------------------------------------------- basics


async def test_get_me_and_token_checks(tg, bot):
    me = await bot.get_me()
    assert me.username == "LienzoBot" and me.is_bot and me.id == tg.bot_id
    assert me.can_read_all_group_messages is False  # privacy mode on
    assert tg.calls[0].method == "getMe" and tg.calls[0].ok

    for token in (f"{tg.bot_id}:AAwrongwrongwrongwrongwrongwrongwrong", "nonsense-token"):
        with pytest.raises(InvalidToken, match="rejected by the server"):
            async with tg.make_bot(token):
                pass  # initialize() calls getMe
    assert len(tg.calls) == 2  # requests with a bad token are not recorded...
    # ...but are answered like Telegram: 401 for a wrong token, 404 for a malformed one
    async with tg._session.get(f"{tg.url}/bot{tg.bot_id}:AAx/getMe") as resp:
        assert resp.status == 401 and (await resp.json())["description"] == "Unauthorized"
    async with tg._session.get(f"{tg.url}/botnonsense/getMe") as resp:
        assert resp.status == 404 and (await resp.json())["description"] == "Not Found"


async def test_long_poll_returns_as_soon_as_an_update_is_queued(tg, bot):
    ana = tg.user(1001, "Ana")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await tg.wait_for(lambda calls: any(c.method == "getUpdates" and c.status is None
                                        for c in calls), 5, "the long poll to arrive")
    sent = await ana.send_text(ana.chat, "hola")
    updates = await asyncio.wait_for(poll, 20)  # less than the 30 s poll timeout
    assert [u.message.text for u in updates] == ["hola"]
    assert updates[0].message.message_id == sent.message_id
    assert updates[0].message.from_user.language_code == "en"
    # unconfirmed until a later getUpdates passes a higher offset
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    await tg.wait_until_consumed(1)
    # allowed_updates is remembered: later callback queries are not queued at all
    await bot.get_updates(timeout=0, allowed_updates=["message"])
    menu = await bot.send_message(ana.id, "m", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("b", callback_data="b")]]))
    await ana.press(menu, "b")  # a PTB Message works as well as a FakeMessage
    await ana.send_text(ana.chat, "after")
    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["after"]


async def test_a_newer_poll_terminates_the_older_with_conflict(tg, bot):
    first = asyncio.create_task(bot.get_updates(timeout=20))
    await tg.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls), 5)
    async with tg.make_bot() as other:  # a second bot process with the same token
        second = asyncio.create_task(other.get_updates(timeout=0))
        with pytest.raises(Conflict, match="(?i)terminated by other getUpdates"):
            await asyncio.wait_for(first, 20)
        assert await asyncio.wait_for(second, 20) == ()


# --------------------------------------------------------------------------- an Application


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


async def photo_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_chat_action(update.effective_chat.id, "upload_photo")
    file = await update.message.photo[-1].get_file()
    buf = io.BytesIO()
    await file.download_to_memory(buf)
    await update.message.reply_photo(buf.getvalue(), caption=f"{len(buf.getvalue())} bytes",
                                     do_quote=True)


async def test_application_echoes_text_and_sends_a_downloaded_photo_back(tg):
    app = tg.app_builder().build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.PHOTO, photo_back))
    async with tg.running(app):
        ana = tg.user(1001, "Ana", language_code="es", username="ana")
        chat = tg.private_chat(ana)
        await ana.send_text(chat, "hola")
        reply = await tg.wait_for_message(chat, "echo: hola")
        assert reply.from_bot and reply["from"]["username"] == "LienzoBot"

        original = picture(64, 48)
        sent = await ana.send_photo(chat, original, caption="/style starry_night")
        assert sent["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        back = await tg.wait_for_message(chat, lambda m: m.photo, after=sent)
    assert back.reply_to_message_id == sent.message_id
    assert back.caption == f"{len(original)} bytes"
    assert back.photo_bytes == original  # downloaded, re-uploaded, stored byte for byte
    assert back.image().size == (64, 48)
    assert back.photo[-1]["width"] == 64 and back.photo[-1]["height"] == 48
    assert tg.uploads[-1].data == original and tg.uploads[-1].source == "bot"
    assert [c.params["action"] for c in tg.calls_to("sendChatAction", chat)] == ["upload_photo"]
    download = tg.calls_to("download")[-1]
    assert download.ok and download.result == len(original)


async def test_big_photos_get_real_thumbnail_sizes(tg, bot):
    ana = tg.user(1001, "Ana")
    sent = await ana.send_photo(ana.chat, picture(1000, 500))
    sides = [(p["width"], p["height"]) for p in sent.photo]
    assert sides == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    small = await bot.get_file(sent.photo[0]["file_id"])
    data = await small.download_as_bytearray()
    assert Image.open(io.BytesIO(data)).size == (90, 45)


async def test_inline_keyboard_press_and_answer(tg):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Stronger", callback_data="s+"),
                                          InlineKeyboardButton("Weaker", callback_data="s-")]])
        await update.message.reply_text("pick", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer(f"got {query.data}", show_alert=True)
        await query.edit_message_text(f"chose {query.data}")

    app = tg.app_builder().build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with tg.running(app):
        ana = tg.user(1001, "Ana")
        await ana.send_text(ana.chat, "/start")
        menu = await tg.wait_for_message(ana.chat, "pick")
        assert menu.callback_data == ["s+", "s-"]
        with pytest.raises(AssertionError, match="cannot press"):
            await ana.press(menu, "nope")
        press = await ana.press(menu, text="Stronger")
        assert await press.answered() == {"text": "got s+", "show_alert": True}
        await tg.wait_for(lambda _: menu.text == "chose s+", 30, "the edit")
    assert menu.edited and menu.buttons == []  # an edit without reply_markup drops it
    assert [v["text"] for _, v in menu.versions] == ["pick", "chose s+"]


async def test_edit_not_modified_and_missing_messages(tg, bot):
    ana = tg.user(1001, "Ana")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]])
    msg = await bot.send_message(ana.id, "50%", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("50%", ana.id, msg.message_id, reply_markup=keyboard)
    await bot.edit_message_text("50%", ana.id, msg.message_id)  # dropping the keyboard edits
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_reply_markup(ana.id, msg.message_id)
    await bot.edit_message_reply_markup(ana.id, msg.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)no caption"):
        await bot.edit_message_caption(ana.id, msg.message_id, caption="c")
    with pytest.raises(BadRequest, match="(?i)to edit not found"):
        await bot.edit_message_text("x", ana.id, 999)
    assert await bot.delete_message(ana.id, msg.message_id)
    with pytest.raises(BadRequest, match="(?i)to delete not found"):
        await bot.delete_message(ana.id, msg.message_id)
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(ana.id, "re", reply_to_message_id=msg.message_id)
    ok = await bot.send_message(ana.id, "re", reply_to_message_id=msg.message_id,
                                allow_sending_without_reply=True)
    assert ok.reply_to_message is None
    assert [c.error for c in tg.calls_to("editMessageText") if not c.ok] == [
        "Bad Request: message is not modified: specified new message content and reply markup"
        " are exactly the same as a current content and reply markup of the message",
        "Bad Request: message to edit not found"]


async def test_media_uploads_resends_groups_and_edits(tg, bot):
    ana = tg.user(1001, "Ana")
    png = picture(40, 30, fmt="PNG")
    doc = await bot.send_document(ana.id, png, filename="full.png", caption="<b>full</b>",
                                  parse_mode="HTML")
    assert doc.document.file_name == "full.png" and doc.document.mime_type == "image/png"
    assert doc.document.thumbnail.width == 40
    assert doc.caption == "full" and doc.caption_entities[0].type == "bold"
    stored = tg.chat(ana.id).message(doc.message_id)
    assert stored.document_bytes == png and stored.document_name == "full.png"

    photo = await bot.send_photo(ana.id, picture(32, 32, seed=1))
    again = await bot.send_photo(ana.id, photo.photo[-1].file_id)  # re-send by file_id
    assert again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id
    assert len(tg.uploads) == 2  # doc + photo: the re-send uploaded nothing
    with pytest.raises(BadRequest, match="(?i)type of file mismatch"):
        await bot.send_photo(ana.id, doc.document.file_id)
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.send_photo(ana.id, "no-such-file")
    path = (await bot.get_file(photo.photo[-1].file_id)).file_path  # a full URL, from PTB
    by_url = await bot.send_photo(ana.id, path)  # Telegram fetches http(s) URLs itself
    assert tg.file(by_url.photo[-1].file_id).source == "url"
    assert by_url.photo[-1].file_unique_id == photo.photo[-1].file_unique_id

    album = await bot.send_media_group(ana.id, [InputMediaPhoto(picture(20, 20, seed=2),
                                                                caption="one"),
                                                InputMediaPhoto(picture(30, 20, seed=3))])
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert [m.caption for m in album] == ["one", None]
    assert [m.photo[-1].width for m in album] == [20, 30]
    with pytest.raises(BadRequest, match="(?i)can't be mixed"):
        await bot.send_media_group(ana.id, [InputMediaPhoto(picture(seed=4)),
                                            InputMediaDocument(png, filename="a.png")])

    preview = tg.chat(ana.id).message(photo.message_id)
    edited = await bot.edit_message_media(InputMediaPhoto(picture(48, 24, seed=5),
                                                          caption="80%"),
                                          ana.id, photo.message_id)
    assert edited.caption == "80%" and preview.image().size == (48, 24)
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_media(InputMediaPhoto(edited.photo[-1].file_id, caption="80%"),
                                     ana.id, photo.message_id)
    await bot.edit_message_caption(ana.id, photo.message_id, caption="90%")
    assert preview.caption == "90%" and len(preview.versions) == 3


async def test_telegram_limits_answer_like_telegram(tg, bot):
    ana = tg.user(1001, "Ana")
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_photo(ana.id, picture(), caption="x" * 1025)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(ana.id, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(ana.id, picture(2100, 100))  # ratio over 20
    with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ana.id, b"not an image", filename="x.jpg")
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ana.id, "k", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("long", callback_data="x" * 65)]]))
    with pytest.raises(BadRequest, match="(?i)Chat not found"):
        await bot.send_message(424242, "hello?")
    big = await ana.send_document(ana.chat, b"\0" * (20 * 1024 * 1024 + 1), "big.bin",
                                  "application/octet-stream")
    assert big["document"]["file_size"] == 20 * 1024 * 1024 + 1
    with pytest.raises(BadRequest, match="(?i)File is too big"):
        await bot.get_file(big["document"]["file_id"])
    with pytest.raises(BadRequest, match="(?i)wrong parameter action"):
        await bot.send_chat_action(ana.id, "dancing")
    ana.chat.delete()
    with pytest.raises(BadRequest, match="(?i)Chat not found"):
        await bot.send_message(ana.id, "still there?")


async def test_an_upload_over_50_mb_is_refused_by_nginx_as_telegrams_is(tg, bot):
    """Bots upload at most 50 MB: a bigger request is refused before the Bot API sees it,
    with nginx's HTML "413 Request Entity Too Large" (PTB: a NetworkError); a document a
    little under the limit goes through (sendDocument and editMessageMedia alike)."""
    ana = tg.user(1001, "Ana")
    limit = 50 * 1024 * 1024
    with pytest.raises(NetworkError, match="Request Entity Too Large"):
        await bot.send_document(ana.id, b"\0" * (limit + 1), filename="print.png")
    assert [c.status for c in tg.calls_to("sendDocument")] == [413]
    sent = await bot.send_document(ana.id, b"\0" * (limit - 64 * 1024), filename="print.png")
    assert sent.document.file_size == limit - 64 * 1024
    with pytest.raises(NetworkError, match="Request Entity Too Large"):
        await bot.edit_message_media(InputMediaDocument(b"\1" * (limit + 1), filename="p.png"),
                                     chat_id=ana.id, message_id=sent.message_id)


async def test_parse_modes_give_plain_text_and_entities(tg, bot):
    ana = tg.user(1001, "Ana")
    msg = await bot.send_message(ana.id, "<b>Ana</b> &lt;3 <a href='https://x.org'>é😀</a>",
                                 parse_mode="HTML")
    assert msg.text == "Ana <3 é😀"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [
        ("bold", 0, 3), ("text_link", 7, 3)]  # UTF-16 units: 😀 counts 2
    with pytest.raises(BadRequest, match="(?i)can't parse entities: Unsupported start tag"):
        await bot.send_message(ana.id, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)Character '.' is reserved"):
        await bot.send_message(ana.id, "50.5%", parse_mode="MarkdownV2")
    ok = await bot.send_message(ana.id, r"*50\.5%* done \(ok\)", parse_mode="MarkdownV2")
    assert ok.text == "50.5% done (ok)" and ok.entities[0].type == "bold"
    assert format_text("_a_ `b`", "Markdown") == ("a b", [
        {"type": "italic", "offset": 0, "length": 1}, {"type": "code", "offset": 2, "length": 1}])
    assert user_entities("hi /style@LienzoBot great_wave") == [
        {"type": "bot_command", "offset": 3, "length": 16}]


# --------------------------------------------------------------------------- faults


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_on_demand_and_the_rate_limiter_honours_it(tg, bot):
    ana = tg.user(1001, "Ana")
    msg = await bot.send_message(ana.id, "10%")
    tg.fail_next("editMessageText", retry_after=1)
    with pytest.raises(RetryAfter, match="Retry in 0:00:01"):
        await bot.edit_message_text("20%", ana.id, msg.message_id)
    assert tg.chat(ana.id).message(msg.message_id).text == "10%"  # the 429 changed nothing

    app = tg.app_builder().rate_limiter(AIORateLimiter(max_retries=1)).build()
    async with app:
        tg.fail_next("editMessageText", retry_after=1, chat=ana.chat)
        await app.bot.edit_message_text("30%", ana.id, msg.message_id)  # retried after 1 s
    edits = tg.calls_to("editMessageText", ana.chat)
    assert [c.status for c in edits] == [429, 429, 200]
    assert edits[2].time - edits[1].time >= 0.9
    assert edits[1].error == "Too Many Requests: retry after 1"


async def test_blocked_user_gets_forbidden_and_the_bot_is_told(tg, bot):
    ana = tg.user(1001, "Ana")
    await bot.send_message(ana.id, "hi")
    ana.block_bot()
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(ana.id, "still there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(ana.id, "typing")
    updates = await bot.get_updates(timeout=0)
    change = updates[-1].my_chat_member
    assert change.new_chat_member.status == "kicked" and change.chat.id == ana.id
    ana.unblock_bot()
    assert (await bot.send_message(ana.id, "welcome back")).text == "welcome back"
    group = tg.group("Old group", supergroup=False)
    group.remove_bot(by=ana)
    with pytest.raises(Forbidden, match="(?i)bot was kicked from the group chat"):
        await bot.send_message(group.id, "hello?")


async def test_dropped_connection_is_a_network_error(tg, bot):
    tg.fail_next("sendMessage", disconnect=True)
    with pytest.raises(NetworkError):
        await bot.send_message(tg.user(1001).id, "lost")
    assert (await bot.send_message(1001, "fine")).text == "fine"
    tg.fail_next("*", status=502)
    with pytest.raises(NetworkError, match="(?i)Bad Gateway"):
        await bot.get_me()


async def test_wait_for_timeout_lists_recent_calls(tg, bot):
    ana = tg.user(1001, "Ana")
    await bot.send_message(ana.id, "something else")
    with pytest.raises(AssertionError) as caught:
        await tg.wait_for_message(ana.chat, "never said", timeout=0.2)
    report = str(caught.value)
    assert "never said" in report and "sendMessage(chat_id=1001, text=something else" in report
    assert "FakeMessage #1" in report


# --------------------------------------------------------------------------- people


async def test_album_arrives_as_messages_sharing_a_media_group_id(tg, bot):
    ana = tg.user(1001, "Ana")
    album = await ana.send_album(ana.chat, [picture(seed=1), picture(32, 64, seed=2)],
                                 caption="/style")
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates]
    assert [m.message_id for m in messages] == [m.message_id for m in album] == [1, 2]
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    assert messages[0].caption == "/style" and messages[1].caption is None
    assert (messages[1].photo[-1].width, messages[1].photo[-1].height) == (32, 64)


async def test_group_privacy_mode_delivers_only_what_telegram_would(tg, bot):
    ana, bob = tg.user(1001, "Ana"), tg.user(1002, "Bob", language_code="es")
    group = tg.group("Art club", privacy=True, members=[ana, bob])
    open_group = tg.group("Open", privacy=False)
    photo = await ana.send_photo(group, picture())  # hidden
    delivered = [
        await bob.send_text(group, "/style@LienzoBot great_wave", reply_to=photo),
        await bob.send_text(group, "/help"),
        await ana.send_photo(group, picture(seed=3), caption="/style@lienzobot the_scream"),
    ]
    hidden = [photo, await ana.send_text(group, "nice picture"),
              await ana.send_text(group, "/style@OtherBot great_wave")]
    bots = await bot.send_message(group.id, "queued")
    delivered.append(await ana.send_text(group, "thanks", reply_to=bots.message_id))
    delivered.append(await tg.user(1003, "Cy").join(group))
    everything = await ana.send_text(open_group, "chatter")

    updates = await bot.get_updates(timeout=0)
    got = [(u.message.chat.id, u.message.message_id) for u in updates]
    assert got == [(m.chat.id, m.message_id) for m in delivered + [everything]]
    assert tg.hidden == hidden
    command = updates[0].message
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 16
    assert command.reply_to_message.message_id == photo.message_id  # the photo comes along
    assert command.reply_to_message.photo[-1].file_id == photo.photo[-1]["file_id"]
    assert updates[4].message.new_chat_members[0].first_name == "Cy"
    assert group.json["type"] == "supergroup" and group.id < -1000000000000


async def test_set_my_commands_per_language_and_scope(tg, bot):
    await bot.set_my_commands([BotCommand("style", "Paint a photo"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("style", "Pinta una foto")], language_code="es")
    await bot.set_my_commands([BotCommand("style", "Paint (groups)")],
                              scope=BotCommandScopeAllGroupChats())
    assert [c.description for c in await bot.get_my_commands(language_code="es")] == [
        "Pinta una foto"]
    assert [c.command for c in await bot.get_my_commands()] == ["style", "help"]
    assert tg.commands("es") == [{"command": "style", "description": "Pinta una foto"}]
    assert tg.commands(scope={"type": "all_group_chats"})[0]["description"] == "Paint (groups)"
    assert tg.commands("fr") is None
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_webhook_mode_delivers_with_the_secret_and_checks_it(tg):
    app = tg.app_builder().build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with tg.running(app, webhook=True, secret_token="s3cret-token"):
        assert tg.webhook["secret_token"] == "s3cret-token"
        assert tg.webhook["url"].startswith("http://127.0.0.1:")
        ana = tg.user(1001, "Ana")
        await ana.send_text(ana.chat, "by webhook")
        await tg.wait_for_message(ana.chat, "echo: by webhook")
        assert tg.webhook_deliveries[-1]["status"] == 200

        stray = await ana.send_text(ana.chat, "forged", deliver=False)
        status, _ = await tg.post_webhook(stray, secret_token="wrong")
        assert status == 403
        status, _ = await tg.post_webhook(stray, secret_token=None)
        assert status == 403
        status, _ = await tg.post_webhook(stray)
        assert status == 200
        await tg.wait_for_message(ana.chat, "echo: forged")
        async with tg.make_bot() as other:
            with pytest.raises(Conflict, match="(?i)webhook is active"):
                await other.get_updates()
            info = await other.get_webhook_info()
            assert info.url == tg.webhook["url"] and info.pending_update_count == 0


async def test_the_token_stays_out_of_the_servers_logs(tg, bot, caplog):
    """The fake logs no request paths.  (httpx, on the bot's side, logs every URL with the
    token at INFO: the bot must turn the "httpx" logger down to WARNING.)"""
    caplog.set_level(logging.DEBUG)
    await bot.get_me()
    await bot.send_message(tg.user(1001).id, "hi")
    tg.fail_next("sendMessage", disconnect=True)
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "lost")
    server_side = [r.getMessage() for r in caplog.records if r.name.startswith("aiohttp")]
    assert not [line for line in server_side if tg.token in line]


# --------------------------------------------------------------------------- inline mode


@pytest_asyncio.fixture
async def itg():
    """A bot with inline mode on (BotFather's /setinline) and inline feedback off."""
    async with FakeTelegram(bot_username="LienzoBot", inline=True) as server:
        yield server


@pytest_asyncio.fixture
async def ibot(itg):
    async with itg.make_bot() as b:
        yield b


async def test_inline_mode_is_off_unless_enabled(tg, bot, itg, ibot):
    assert (await bot.get_me()).supports_inline_queries is False
    with pytest.raises(AssertionError, match="inline mode is off"):
        await tg.user(1001).inline_query("cats")
    assert tg.updates == [] and tg.inline_queries == []
    assert (await ibot.get_me()).supports_inline_queries is True


async def test_inline_query_update_fields(itg, ibot):
    ana = itg.user(1001, "Ana", username="ana")
    group = itg.group("Art club", members=[ana])
    asked = [await ana.inline_query("cats"), await ana.inline_query("", chat=group),
             await ana.inline_query("dogs", chat=ana.chat, offset="20"),
             await ana.inline_query("x", chat=itg.user(1002, "Bob")),
             await ana.inline_query("y", chat_type=None)]
    updates = [u.inline_query for u in await ibot.get_updates(timeout=0)]
    assert [(q.id, q.query, q.offset, q.chat_type) for q in updates] == [
        (asked[0].id, "cats", "", "private"), (asked[1].id, "", "", "supergroup"),
        (asked[2].id, "dogs", "20", "sender"), (asked[3].id, "x", "", "private"),
        (asked[4].id, "y", "", None)]
    assert updates[0].from_user.username == "ana"
    with pytest.raises(AssertionError, match="at most 256"):
        await ana.inline_query("x" * 257)
    with pytest.raises(AssertionError, match="chat_type"):
        await ana.inline_query("x", chat_type="secret")


@pytest.mark.filterwarnings("ignore:Please use 'Bot.answerInlineQuery'")
async def test_answer_inline_query_checks_like_telegram(itg, ibot):
    ana = itg.user(1001, "Ana")
    photo_id = (await ibot.send_photo(ana.id, picture(40, 30))).photo[-1].file_id
    doc = await ibot.send_document(ana.id, b"%PDF-1.4 art", filename="art.pdf")
    doc_id = doc.document.file_id
    query = await ana.inline_query("art")

    def cached(n: int = 1, **extra):
        return [InlineQueryResultCachedPhoto(str(i), photo_id, **extra) for i in range(n)]

    def keyboard(**button):
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", **button)]])

    async def refused(description: str, results=None, *, raw: dict | None = None, **kwargs):
        """The call fails with exactly Telegram's description (PTB re-cases it)."""
        with pytest.raises(BadRequest):
            if raw is not None:
                await ibot.do_api_request("answerInlineQuery",
                                          api_kwargs={"inline_query_id": query.id, **raw})
            else:
                await ibot.answer_inline_query(kwargs.pop("query_id", query.id),
                                               cached() if results is None else results,
                                               **kwargs)
        assert itg.calls_to("answerInlineQuery")[-1].error == "Bad Request: " + description

    # the Bot API server's own checks
    await refused("too many inline query results specified", cached(51))
    await refused('can\'t parse inline query result: Can\'t find field "id"',
                  raw={"results": [{"type": "photo", "photo_file_id": photo_id}]})
    await refused('can\'t parse inline query result: type "poster" is unsupported for the '
                  "inline query result", raw={"results": [{"type": "poster", "id": "1"}]})
    await refused("can't parse inline query result: Can't parse entities: Unsupported start tag "
                  '"blink" at byte offset 0', cached(caption="<blink>x</blink>",
                                                    parse_mode="HTML"))
    await refused("can't parse inline query results button: InlineQueryResultsButton must have "
                  "exactly one optional field", button=InlineQueryResultsButton(
                      "Open", web_app=WebAppInfo("https://example.org"), start_parameter="both"))
    # TDLib's
    await refused("wrong remote file identifier specified: can't unserialize it. Wrong last "
                  "symbol", [InlineQueryResultCachedPhoto("1", "no-such-file")])
    await refused("can't use file of type Document as Photo",
                  [InlineQueryResultCachedPhoto("1", doc_id)])
    await refused("can't use file of type Photo as Document",
                  [InlineQueryResultCachedDocument("1", "Art", photo_id)])
    await refused("at least one chat type must be allowed", cached(reply_markup=keyboard(
        switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(query="x"))))
    await refused("inline keyboard expected", cached(reply_markup=ReplyKeyboardMarkup([["a"]])))
    await refused("unallowed characters in start_parameter are used",
                  button=InlineQueryResultsButton("Open", start_parameter="not ok!"))
    await refused("too long start_parameter specified",
                  button=InlineQueryResultsButton("Open", start_parameter="a" * 65))
    await refused("can't use empty start_parameter",
                  button=InlineQueryResultsButton("Open", start_parameter=""))
    await refused("inline query button Web App URL 'http://example.org' is invalid: Only HTTPS "
                  "links are allowed",
                  button=InlineQueryResultsButton("Open", web_app=WebAppInfo("http://example.org")))
    # Telegram's servers
    await refused(QUERY_TOO_OLD, query_id="12345")
    await refused("NEXT_OFFSET_INVALID", next_offset="9" * 65)
    await refused("RESULT_ID_DUPLICATE", [*cached(), *cached()])
    await refused("RESULT_ID_INVALID", [InlineQueryResultCachedPhoto("x" * 65, photo_id)])
    await refused("RESULT_ID_INVALID", [InlineQueryResultCachedPhoto("", photo_id)])
    await refused("BUTTON_DATA_INVALID", cached(reply_markup=keyboard(callback_data="x" * 65)))
    await refused("BUTTON_TYPE_INVALID", cached(reply_markup=keyboard(
        web_app=WebAppInfo("https://example.org"))))
    await refused("SWITCH_PM_TEXT_EMPTY",
                  button=InlineQueryResultsButton("", start_parameter="ok"))
    await refused("ARTICLE_TITLE_EMPTY", [InlineQueryResultArticle(
        "a", "", InputTextMessageContent("hi"))])
    # captions are counted after entity parsing: 1024 characters in <b> tags pass
    await refused("MEDIA_CAPTION_TOO_LONG", cached(caption="<b>" + "x" * 1025 + "</b>",
                                                   parse_mode="HTML"))
    assert await ibot.answer_inline_query((await ana.inline_query("ok")).id, cached(
        caption="<b>" + "x" * 1024 + "</b>", parse_mode="HTML"))
    assert query.answer is None  # refused answers leave nothing behind

    assert await ibot.answer_inline_query(
        query.id, [InlineQueryResultCachedPhoto("p", photo_id, caption="*art*",
                                                parse_mode="MarkdownV2"),
                   InlineQueryResultCachedDocument("d", "The PDF", doc_id),
                   InlineQueryResultArticle("a", "Help", InputTextMessageContent("Send a photo"))],
        cache_time=0, is_personal=True, next_offset="3",
        button=InlineQueryResultsButton("Open Lienzo", start_parameter="from-inline_1"))
    answer = await query.answered(1)
    assert [r["id"] for r in answer["results"]] == ["p", "d", "a"] == \
        [r["id"] for r in query.results]
    assert answer["results"][0]["photo_file_id"] == photo_id
    assert answer["cache_time"] == 0 and answer["is_personal"] is True
    assert answer["next_offset"] == "3"
    assert answer["button"] == {"text": "Open Lienzo", "start_parameter": "from-inline_1"}
    await refused(QUERY_TOO_OLD)  # answered already

    late = await ana.inline_query("late")
    late.time -= itg.inline_query_timeout + 1  # as if it had waited that long for the bot
    await refused(QUERY_TOO_OLD, query_id=late.id)


async def test_share_a_painting_inline_into_a_group(itg):
    """The happy path: Share button → inline query → cached photo → chosen into a group."""
    itg.inline_feedback = True  # BotFather's /setinlinefeedback
    chosen: list[tuple[str, str]] = []

    async def paint(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sent = await update.message.reply_photo(update.message.photo[-1].file_id)
        context.bot_data[f"art{sent.message_id}"] = sent.photo[-1].file_id
        share = SwitchInlineQueryChosenChat(f"art{sent.message_id}", allow_user_chats=True,
                                            allow_group_chats=True)
        await sent.edit_reply_markup(InlineKeyboardMarkup(
            [[InlineKeyboardButton("Share", switch_inline_query_chosen_chat=share)]]))

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        file_id = context.bot_data[query.query]
        try_it = InlineKeyboardButton("Try it", url="https://t.me/LienzoBot?start=from_share")
        await query.answer([InlineQueryResultCachedPhoto(
            "p1", file_id, caption="<b>Painted</b> by @LienzoBot", parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup([[try_it]]))],
            cache_time=0, is_personal=True,
            button=InlineQueryResultsButton("Open Lienzo", start_parameter="inline"))

    async def remember(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        result = update.chosen_inline_result
        chosen.append((result.result_id, result.query))
        await context.bot.send_message(result.from_user.id, f"shared {result.result_id}")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"start:{' '.join(context.args)}")

    app = itg.app_builder().build()
    app.add_handler(MessageHandler(filters.PHOTO, paint))
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(ChosenInlineResultHandler(remember))
    app.add_handler(CommandHandler("start", start))
    async with itg.running(app):
        ana, bob = itg.user(1001, "Ana"), itg.user(1002, "Bob")
        group = itg.group("Art club", privacy=True, members=[ana, bob])
        sent = await ana.send_photo(ana.chat, picture(64, 48, seed=7))
        painting = await itg.wait_for_message(ana.chat, lambda m: m.buttons, after=sent)
        button = painting.button("Share")["switch_inline_query_chosen_chat"]
        assert button == {"query": f"art{painting.message_id}", "allow_user_chats": True,
                          "allow_bot_chats": False, "allow_group_chats": True,
                          "allow_channel_chats": False}  # as Telegram echoes it
        with pytest.raises(AssertionError, match="does not offer channel chats"):
            await ana.press_switch_inline(painting, "Share", chat_type="channel")

        query = await ana.press_switch_inline(painting, "Share", chat=group)
        assert (query.query, query.chat_type) == (f"art{painting.message_id}", "supergroup")
        answer = await query.answered()
        assert answer["results"][0]["photo_file_id"] == painting.photo[-1]["file_id"]

        shared = await query.choose("p1")  # into the group the query was typed in
        assert shared.via_bot == itg.bot_user and shared.user is ana
        assert group.messages[shared.message_id] is shared
        assert shared.photo_bytes == painting.photo_bytes
        assert shared.caption == "Painted by @LienzoBot"
        assert shared.entities == [{"type": "bold", "offset": 0, "length": 7}]
        assert shared.button("Try it")["url"] == "https://t.me/LienzoBot?start=from_share"
        assert shared.inline_message_id  # it has a keyboard
        await itg.wait_for_message(ana.chat, "shared p1")  # the chosen_inline_result arrived
        assert chosen == [("p1", f"art{painting.message_id}")]
        # privacy mode on, yet "messages sent via this bot" reach it
        assert shared not in itg.hidden
        assert any(u.get("message", {}).get("via_bot") for u in itg.updates)
        with pytest.raises(AssertionError, match="typed in a supergroup chat"):
            await query.choose("p1", bob)

        await bob.open_deep_link(shared.button("Try it")["url"])
        await itg.wait_for_message(bob.chat, "start:from_share")
        await query.press_button()  # "Open Lienzo" above the results
        await itg.wait_for_message(ana.chat, "start:inline")


async def test_switch_inline_buttons_are_checked_and_echoed(itg, ibot):
    ana = itg.user(1001, "Ana")
    group = itg.group("Art club", members=[ana])

    def keyboard(**button):
        return InlineKeyboardMarkup([[InlineKeyboardButton("Share", **button)]])

    with pytest.raises(BadRequest, match="(?i)^at least one chat type must be allowed$"):
        await ibot.send_message(ana.id, "x", reply_markup=keyboard(
            switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat("q")))
    every = SwitchInlineQueryChosenChat("q", allow_user_chats=True, allow_bot_chats=True,
                                        allow_group_chats=True, allow_channel_chats=True)
    echoed = await ibot.send_message(ana.id, "x", reply_markup=keyboard(
        switch_inline_query_chosen_chat=every))
    assert echoed.reply_markup.inline_keyboard[0][0].switch_inline_query == "q"
    deep = await ibot.send_message(ana.id, "x", reply_markup=keyboard(
        url="t.me/LienzoBot?start=abc"))  # no scheme: Telegram adds http://
    assert deep.reply_markup.inline_keyboard[0][0].url == "http://t.me/LienzoBot?start=abc"
    with pytest.raises(BadRequest, match="(?i)^inline keyboard button url 'https://localhost' "
                                         "is invalid: wrong http url$"):
        await ibot.send_message(ana.id, "x", reply_markup=keyboard(url="https://localhost"))
    with pytest.raises(BadRequest, match="(?i)^button_type_invalid$"):
        await ibot.send_message(group.id, "x", reply_markup=keyboard(
            web_app=WebAppInfo("https://example.org")))  # Web App buttons: private chats only
    for markup, description in [
            ({"inline_keyboard": [[{"text": "t"}]]}, "can't parse inline keyboard button: Text "
             "buttons are unallowed in the inline keyboard"),
            ({"inline_keyboard": [[{"text": "t", "switch_inline_query": {"q": 1}}]]},
             "can't parse inline keyboard button: Field \"switch_inline_query\" must be of type "
             "String"),
            ({"inline_keyboard": [[{"text": "t", "switch_inline_query_chosen_chat": {
                "allow_group_chats": "yes"}}]]},
             "can't parse inline keyboard button: Field \"allow_group_chats\" must be of type "
             "Boolean")]:
        with pytest.raises(BadRequest):
            await ibot.send_message(ana.id, "x", api_kwargs={"reply_markup": markup})
        assert itg.calls_to("sendMessage")[-1].error == "Bad Request: " + description

    menu = await ibot.send_message(group.id, "pick", reply_markup=InlineKeyboardMarkup([
        [InlineKeyboardButton("Here", switch_inline_query_current_chat="cats"),
         InlineKeyboardButton("Anywhere", switch_inline_query=""),
         InlineKeyboardButton("Press", callback_data="p")]]))
    here = await ana.press_switch_inline(menu, "Here")
    anywhere = await ana.press_switch_inline(menu, "Anywhere", chat=ana.chat)
    assert (here.query, here.chat_type, here.chat) == ("cats", "supergroup", group)
    assert (anywhere.query, anywhere.chat_type) == ("", "sender")
    with pytest.raises(AssertionError, match="does not switch to inline mode"):
        await ana.press_switch_inline(menu, "Press")
    updates = await ibot.get_updates(timeout=0)
    assert [(u.inline_query.query, u.inline_query.chat_type) for u in updates] == [
        ("cats", "supergroup"), ("", "sender")]


async def test_deep_links_send_start_with_the_parameter(itg, ibot):
    ana = itg.user(1001, "Ana")
    opened = [await ana.open_deep_link(url) for url in (
        "https://t.me/LienzoBot?start=abc-1_2", "t.me/lienzobot?start=" + "a" * 64,
        "tg://resolve?domain=LienzoBot&start=x", "https://t.me/LienzoBot?start=not%20ok",
        "https://t.me/LienzoBot?start=" + "a" * 65, "https://t.me/LienzoBot")]
    assert [m.text for m in opened] == ["/start abc-1_2", "/start " + "a" * 64, "/start x",
                                        "/start", "/start", "/start"]
    updates = await ibot.get_updates(timeout=0)
    assert updates[0].message.text == "/start abc-1_2" and updates[0].message.chat.id == ana.id
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[0].message.entities[0].length == 6
    with pytest.raises(AssertionError, match="not @LienzoBot"):
        await ana.open_deep_link("https://t.me/OtherBot?start=x")


async def test_chosen_results_where_the_bot_is_and_is_not(itg, ibot):
    ana, bob = itg.user(1001, "Ana"), itg.user(1002, "Bob")
    photo_id = (await ibot.send_photo(ana.id, picture())).photo[-1].file_id
    await ibot.get_updates(timeout=0)
    seen = len(itg.updates)
    to_bob = await ana.inline_query("art", chat=bob)
    assert await ibot.answer_inline_query(to_bob.id, [
        InlineQueryResultCachedPhoto("p", photo_id, input_message_content=InputTextMessageContent(
            "<i>just text</i>", parse_mode="HTML")),
        InlineQueryResultCachedPhoto("k", photo_id, reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Like", callback_data="like")]]))],
        next_offset="2")
    with pytest.raises(AssertionError, match="no result 'zz'"):
        await to_bob.choose("zz")
    text = await to_bob.choose("p")  # into Ana's chat with Bob: the bot is not there
    assert text.chat is ana.chat_with(bob) and text.chat.json["id"] == bob.id
    assert (text.text, text.entities) == ("just text", [{"type": "italic", "offset": 0,
                                                         "length": 9}])
    assert len(itg.updates) == seen + 1  # only the inline query: no feedback, no message

    itg.inline_feedback = True
    liked = await to_bob.choose("k")
    chosen = itg.updates[-1]["chosen_inline_result"]
    assert chosen == {"result_id": "k", "from": ana.json, "query": "art",
                      "inline_message_id": liked.inline_message_id}
    # the bot edits and is pressed by the inline_message_id alone
    like = InlineKeyboardMarkup([[InlineKeyboardButton("Like", callback_data="like")]])
    assert await ibot.edit_message_caption(inline_message_id=liked.inline_message_id,
                                           caption="liked", reply_markup=like) is True
    assert liked.caption == "liked" and liked.edited
    with pytest.raises(BadRequest, match="(?i)invalid inline message identifier"):
        await ibot.edit_message_caption(inline_message_id="nope", caption="x")
    await bob.press(liked, "like")
    press = itg.updates[-1]["callback_query"]
    assert press["inline_message_id"] == liked.inline_message_id and "message" not in press

    more = await to_bob.next_page()
    assert (more.query, more.offset, more.chat_type) == ("art", "2", "private")
    in_chat = await ana.inline_query("art", chat_type="sender")
    assert await ibot.answer_inline_query(in_chat.id, [InlineQueryResultArticle(
        "a", "Help", InputTextMessageContent("/help"))])
    helped = await in_chat.choose("a")  # "sender": Ana's own chat with the bot, which sees it
    assert helped.chat is ana.chat and itg.updates[-2]["message"]["via_bot"] == itg.bot_user


@pytest.mark.asyncio
async def test_fake_telegram_plays_only_what_telegram_would_as_an_animation():
    """sendAnimation: an H.264 yuv420p MP4 (even sides) is an animation whose size and
    length come from the file; anything else is only a document."""
    good = mp4.encode(moving(20, 64, 48), fps=10)
    odd = io.BytesIO()
    with av.open(odd, "w", format="mp4") as container:  # H.264 in 4:4:4: not for phones
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
        for frame in moving(5, 64, 48):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    async with FakeTelegram(bot_username="LienzoBot") as tg, tg.make_bot() as bot:
        ana = tg.user(1001, "Ana")
        sent = await bot.send_animation(ana.id, good, filename="a.mp4", width=1, height=1,
                                        duration=60, caption="<b>hi</b>", parse_mode="HTML")
        assert sent.animation is not None and sent.document is not None
        assert (sent.animation.width, sent.animation.height) == (64, 48)
        assert sent.animation.duration in (2, timedelta(seconds=2)) and sent.caption == "hi"
        for data in (odd.getvalue(), b"not a video at all"):
            other = await bot.send_animation(ana.id, data, filename="b.mp4")
            assert other.animation is None and other.document is not None
