"""What the bot keeps between updates, as typed values (docs/architecture.md, "Processes").

- ``Media``: a picture Telegram holds (not downloaded): what a job's ``content``
  and ``style_media`` meta say, and what ``UserState.own_for`` waits with.
- ``UserState``: one user's conversation, PTB's ``context.user_data``
  (``CONTEXT_TYPES`` makes it this dataclass instead of a dict; PTB creates one
  per user on first use and keeps it in memory, so a restart forgets it).
- ``Context``, ``LienzoApp``, ``Callback``: the PTB types those give, for
  annotations.

Nothing here is per chat: the bot keeps no chat state; a job's chat lives in
the job table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from engine.catalogue.styles import Style

Catalog = Mapping[str, Style]


@dataclass(frozen=True)
class Media:
    """A picture in a message, as Telegram knows it (not yet downloaded)."""

    file_id: str
    unique_id: str
    size: int | None
    message_id: int
    kind: str = "photo"  # or "document", "animation", "video", "video_note": how Telegram
    # takes the file id back (the last three: a clip, engine.worker.painting)

    @property
    def clip(self) -> str | None:
        """A clip's kind for the queue ("gif": a GIF, which Telegram delivers
        as an MP4 animation, goes back as one; "video"); None for a still picture."""
        return {"animation": "gif", "video": "video", "video_note": "video"}.get(self.kind)

    @classmethod
    def of(cls, message: Message | None, clips: bool = False) -> Media | None:
        """The message's photo (its largest size) or image document, if it has one;
        with ``clips``, its animation, video or video note too."""
        if message is None:
            return None
        clip = message.animation or message.video or message.video_note
        if clips and clip is not None:
            kind = "animation" if message.animation else \
                "video" if message.video else "video_note"
            return cls(clip.file_id, clip.file_unique_id, clip.file_size,
                       message.message_id, kind=kind)
        if clip is not None:  # an animation fills ``document`` too: not a picture
            return None
        if message.photo:
            best = message.photo[-1]
            return cls(best.file_id, best.file_unique_id, best.file_size, message.message_id)
        doc = message.document
        if doc and (doc.mime_type or "").startswith("image/"):
            return cls(doc.file_id, doc.file_unique_id, doc.file_size, message.message_id,
                       kind="document")
        return None


@dataclass
class UserState:
    """One user's conversation with the bot.

    ``preselected``: a style request (its text) for the user's next photo, set by
    ``/start style_<id>``, ``/style <styles>`` without a photo, or a pick in the
    ``/styles`` picker; it stays until another replaces it.
    ``own_for``: the photo waiting for the user's own painting (the "use my own
    painting" button); the next photo in private is that painting, once.
    ``last_photo``: the last photo they sent in private to be painted, and when:
    the studio's "Paint my last photo" (``bot.studio``) paints it in another style.
    """

    preselected: str | None = None
    own_for: Media | None = None
    last_photo: Media | None = None
    last_photo_at: float = 0.0

    def saw_photo(self, photo: Media) -> None:
        """``photo`` came to be painted in private (a clip is not a photo)."""
        if photo.clip is None:
            self.last_photo, self.last_photo_at = photo, time.time()


Context = CallbackContext[ExtBot[Any], UserState, dict[Any, Any], dict[Any, Any]]
CONTEXT_TYPES = ContextTypes(user_data=UserState)
LienzoApp = Application[ExtBot[Any], Context, UserState, dict[Any, Any], dict[Any, Any], Any]
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def user_state(context: Context) -> UserState:
    """The update's ``UserState``; a fresh, unkept one when the update has no user."""
    return context.user_data if context.user_data is not None else UserState()
