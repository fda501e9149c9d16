"""A print's result in the chat (``bot.printing``; docs/architecture.md, "Prints").

The print is a file, not a photo (Telegram would shrink a photo to 2560 px and
recompress it): its status message - the painting sent back, captioned with the
print's progress - becomes the JPEG (quality 95: what print shops and every viewer
take, a few MB even at 4096 px) as a document, by the same exactly-once edit as a
painting's (``bot.status.deliver``).  Then, as a reply to it, the lossless PNG as a
second document when it fits the 50 MB a bot may upload (``fits_upload``); when it
does not, the JPEG's caption says so.  The PNG goes at most once: a delivery redone
after a restart finds the edit made and sends nothing more.

The caption names the print's size, says when the photo was upscaled first (the
worker's ``upscaled_from``) and when the time limit stopped it (the best so far).
A print is not an artwork of its own: it is not kept for /gallery, inline mode or the
result cache (its painting is).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.jobs import Job
from bot.jobs.meta import JobMeta
from bot.status import ResultMedia, StatusMessage, deliver
from bot.texts import PARSE_MODE, t
from engine.queue import JobResult

log = logging.getLogger("lienzo.delivery")

MB = 1024 * 1024
UPLOAD_LIMIT_BYTES = 50 * MB  # what a bot may upload (the whole request: a 413 beyond)
UPLOAD_ROOM_BYTES = 64 * 1024  # the request's other fields and its multipart framing


def fits_upload(size: int) -> bool:
    """Whether a file of ``size`` bytes can go in one sendDocument."""
    return size + UPLOAD_ROOM_BYTES <= UPLOAD_LIMIT_BYTES


def print_caption(lang: str, meta: JobMeta, outcome: JobResult) -> str:
    """"🖨 <style> / Printed at W×H px", the upscaling, the time limit, a PNG too big."""
    stats: dict[str, Any] = outcome.stats or {}
    width, height = stats.get("size") or ("?", "?")
    text = t(lang, "print.caption", style=meta.label, width=width, height=height)
    upscaled = stats.get("upscaled_from")
    if isinstance(upscaled, list) and len(upscaled) == 2:
        text += "\n" + t(lang, "print.upscaled", width=upscaled[0], height=upscaled[1])
    if outcome.partial:
        limit = stats.get("time_limit_s") or meta.style.time_budget_s or 0
        text += "\n\n" + t(lang, "done.time_limit", limit=round(float(limit)))
    png_bytes = len(outcome.png) if outcome.png else stats.get("png_bytes") or 0
    if png_bytes and not fits_upload(int(png_bytes)):  # too big to send, or to carry
        text += "\n" + t(lang, "print.png_too_big", mb=round(int(png_bytes) / MB, 1),
                         limit_mb=UPLOAD_LIMIT_BYTES // MB)
    return text


async def send_print(bot: Bot, job: Job, meta: JobMeta, outcome: JobResult,
                     status: StatusMessage | None, reply_to: ReplyParameters | None
                     ) -> Message | None:
    """The print's JPEG in place of its status message, then its PNG when it fits; the
    JPEG's message, or None when it was delivered before a restart."""
    assert outcome.jpeg is not None, "JobResult refuses a done result without its JPEG"
    lang = meta.lang
    await bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_DOCUMENT)
    sent = await deliver(bot, job.chat_id, status, ResultMedia(
        "document", outcome.jpeg, f"lienzo-print-{job.id[:8]}.jpg",
        print_caption(lang, meta, outcome), None), reply_to, job.id)
    if sent is None or not outcome.png or not fits_upload(len(outcome.png)):
        return sent
    try:
        await bot.send_document(job.chat_id, outcome.png, filename=f"lienzo-print-{job.id[:8]}.png",
                                caption=t(lang, "print.png"), parse_mode=PARSE_MODE,
                                reply_parameters=ReplyParameters(sent.message_id))
    except TelegramError as exc:  # the JPEG is the print: the PNG is a bonus
        log.warning("job %s: the print's PNG was not sent (%s)", job.id, exc)
    return sent
