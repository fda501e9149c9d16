"""A moving picture's painting back to the chat (``bot.delivery`` calls it for a
result with an MP4; docs/architecture.md, "The life of a job").

The status message of a GIF is the GIF itself sent back (``sendAnimation`` by
file id), of a video the video (``sendVideo``): the painted MP4 replaces it
with ``editMessageMedia`` (``InputMediaAnimation`` for a GIF, so it loops
silently as the original did; ``InputMediaVideo`` for a video), which keeps
delivery exactly-once as for a photo: the same edit again after a restart
changes nothing ("not modified").  Where there is no picture to edit (a video
note's text status, a status the user deleted) the MP4 is sent as a new
message with ``sendAnimation`` / ``sendVideo`` and the text status goes.

The engine drops the source's audio.  A clip's result has one button, Share
(``keyboards.clip_result``), and is kept as an artwork (inline mode, /gallery):
"full resolution", re-paints and the timelapse are a still painting's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputMediaAnimation,
    InputMediaVideo,
    Message,
    ReplyParameters,
)

from bot.jobs import Job
from bot.status import StatusGone, StatusMessage
from bot.texts import PARSE_MODE

log = logging.getLogger("lienzo.delivery")


def is_gif(job: Job) -> bool:
    """Whether the job's clip came as a GIF (a Telegram animation): sent back as one."""
    return (job.meta.get("content") or {}).get("kind") == "animation"


async def deliver_clip(bot: Bot, job: Job, status: StatusMessage | None, mp4: bytes,
                       caption: str, markup: InlineKeyboardMarkup,
                       reply_to: ReplyParameters | None,
                       delete_status: Callable[[Job], Awaitable[None]]) -> Message | None:
    """The painted clip in the chat; the message it is in, or None when the same
    edit was made before a restart."""
    gif, name = is_gif(job), f"lienzo-{job.id[:8]}.mp4"
    if status is not None and status.media:
        media = InputMediaAnimation(mp4, caption=caption, parse_mode=PARSE_MODE, filename=name) \
            if gif else InputMediaVideo(mp4, caption=caption, parse_mode=PARSE_MODE,
                                        filename=name, supports_streaming=True)
        try:
            edited = await status.become(bot, media, markup)
            if edited is None:
                log.info("job %s: clip was delivered before the restart", job.id)
            return edited
        except StatusGone as exc:
            log.info("job %s: status message gone (%s); sending the clip anew", job.id, exc)
    if gif:
        sent = await bot.send_animation(job.chat_id, mp4, caption=caption, parse_mode=PARSE_MODE,
                                        filename=name, reply_parameters=reply_to,
                                        reply_markup=markup)
    else:
        sent = await bot.send_video(job.chat_id, mp4, caption=caption, parse_mode=PARSE_MODE,
                                    filename=name, supports_streaming=True,
                                    reply_parameters=reply_to, reply_markup=markup)
    await delete_status(job)
    return sent
