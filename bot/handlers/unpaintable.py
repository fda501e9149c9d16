"""What the bot cannot paint, and the one short reply that says so (issue #10).

A painting starts from a still picture that ``engine.media.images`` decodes.  Telegram
sends a picture as a ``photo`` (always a JPEG) or as a ``document`` with the
MIME type the sender's app gave it; everything else - PDFs, zips, text, voice
notes, audio, videos, video notes, GIFs, stickers - used to get no answer at
all, or reached the intake only to fail after a download.  Deciding from what
Telegram announces costs no download (no ``getFile``), so the answer is
immediate and the same for a 20 MB video as for a 1 KB text file.

The decisions:

- Paintable documents: JPEG, PNG and WebP (what the reply names), plus BMP and
  TIFF, which Pillow reads as well and which always worked (``PICTURE_TYPES``;
  tests check that ``engine.media.images.check_image`` takes each one).  Other
  ``image/*`` types (HEIC, AVIF, SVG, …) would fail after the download with
  "not an image", so they get the plain reply at once instead.
- Clips are painted (``CLIPS``: animations - Telegram turns a GIF
  into an MP4 ``animation`` and fills ``document`` too -, videos and video
  notes; ``bot.state.Media.of(…, clips=True)``).  Those sent otherwise get
  their own reply, which says how to send them: ``video/*`` and ``image/gif``
  documents, animated or video stickers, and clips in an album.
- Stickers are never painted, static ones included: a static sticker is a WebP,
  but a 512 px cut-out on transparency (flattened to white, it paints poorly),
  and ``bot.state.Media`` and the buttons know photos and documents only.  The
  reply says what to send instead.
- In private every such file gets the reply.  In groups the bot answers only
  what is addressed to it: a ``/style`` caption for this bot (``command_target``)
  or a reply to one of the bot's own messages; ``/style`` as a text reply to
  such a file is answered by ``Photos.style_command``.
"""

from __future__ import annotations

from telegram import Bot, Message, User
from telegram.constants import ChatType
from telegram.ext import filters

from bot.handlers.common import Services, reply
from bot.request import command_target, split_command
from bot.texts import t

# Document MIME types the engine paints.  Lower case; "image/jpg" and "image/pjpeg"
# are what some apps call JPEG, "image/x-ms-bmp" what some call BMP.
PICTURE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/webp",
                           "image/bmp", "image/x-ms-bmp", "image/tiff"})
FILE = "unpaintable.file"  # the reply's text keys
CLIP = "unpaintable.clip"  # a clip sent otherwise (a file, a sticker, in an album)


def _mime(message: Message) -> str:
    return (message.document.mime_type or "").lower() if message.document else ""


def is_picture(message: Message) -> bool:
    """A photo, or a still-picture document the engine decodes."""
    if message.photo:
        return True
    return message.animation is None and _mime(message) in PICTURE_TYPES


def is_clip(message: Message) -> bool:
    """An animation (a GIF), a video or a video note: a clip to paint."""
    return bool(message.animation or message.video or message.video_note)


def refusal(message: Message | None) -> str | None:
    """The text key that says why the message's file cannot be painted; None when it
    is a picture, or when the message carries no file at all (a text, a poll…)."""
    if message is None or is_picture(message):
        return None
    if is_clip(message):
        return None  # painted (CLIPS)
    if message.sticker:
        return CLIP if message.sticker.is_animated or message.sticker.is_video else FILE
    if message.document:
        mime = _mime(message)
        return CLIP if mime == "image/gif" or mime.startswith("video/") else FILE
    if message.voice or message.audio:
        return FILE
    return None


class _Pictures(filters.MessageFilter):
    """Messages with a picture to paint (``is_picture``)."""

    def filter(self, message: Message) -> bool:
        return is_picture(message)


class _Clips(filters.MessageFilter):
    """Messages with a clip to paint (``is_clip``)."""

    def filter(self, message: Message) -> bool:
        return is_clip(message)


class _Unpaintable(filters.MessageFilter):
    """Messages with a file that is not a picture to paint (``refusal``)."""

    def filter(self, message: Message) -> bool:
        return refusal(message) is not None


PICTURES = _Pictures(name="lienzo.Pictures")
CLIPS = _Clips(name="lienzo.Clips")
UNPAINTABLE = _Unpaintable(name="lienzo.Unpaintable")


def addressed(message: Message, caption: str | None, bot: Bot) -> bool:
    """Whether the bot should answer the message: always in private; in groups a
    ``/style`` for this bot, or a reply to the bot's own message (a caption with a
    command for another bot, or another command, is not for it)."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    command = split_command(caption)
    if command is not None:
        return command[0] == "style" and command_target(caption, bot.username)
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None \
        and replied.from_user.id == bot.id


async def refuse(services: Services, message: Message, user: User, key: str) -> None:
    """The one reply, quoting the user's message (in private too, where PTB would not)."""
    lang = await services.lang(user)
    await reply(message, t(lang, key), do_quote=True)
