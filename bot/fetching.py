"""A person's picture fetched from Telegram and checked (``bot.intake``'s download):
the sizes Telegram announced, before anything is fetched, then the bytes; and what
intake has once the picture is fetched and its job submitted."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.error import TelegramError

from bot.jobs import Submitted
from bot.looks import LookInput
from bot.state import Media
from engine.errors import LienzoError
from engine.media import images

log = logging.getLogger("lienzo.intake")

MB = 1024 * 1024


class FileTooBig(LienzoError):
    """Telegram says the file is over what a bot may download."""

    code = "file_too_big"

    def __init__(self, limit_bytes: int, clip: bool = False) -> None:
        super().__init__(f"files over {limit_bytes} bytes cannot be downloaded",
                         key="error.clip_file_too_big" if clip else None,
                         max_mb=limit_bytes // MB)


class PhotoGone(LienzoError):
    """Telegram no longer gives the file (deleted, or its id went stale)."""

    code = "photo_gone"


class ChatLeft(LienzoError):
    """The chat blocked or removed the bot while its picture was being fetched."""

    code = "chat_left"


@dataclass(frozen=True)
class Fetched:
    """A picture fetched and its job submitted: the job, a clip's note, what its look
    is made of, and whether it is held (no painting left to spend on it)."""

    submitted: Submitted
    note: str
    look: LookInput
    held: bool


def check_sizes(*pictures: Media | None) -> None:
    """FileTooBig for a picture Telegram announced over ``images.MAX_BYTES``, the Bot
    API's getFile limit: nothing larger arrives."""
    for media in pictures:
        if media is not None and media.size is not None and media.size > images.MAX_BYTES:
            raise FileTooBig(images.MAX_BYTES, clip=media.clip is not None)


async def download(bot: Bot, media: Media) -> bytes:
    """The picture's bytes, checked as an image (a clip is checked by reading it:
    ``bot.clip_intake``); PhotoGone, or ``engine.errors.ImageError``'s kinds."""
    try:
        file = await bot.get_file(media.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.info("download failed: %s", exc.__class__.__name__)
        raise PhotoGone("Telegram no longer gives the file") from None
    if media.clip is None:
        await asyncio.to_thread(images.check_image, data)  # raises ImageError subclasses
    return data
