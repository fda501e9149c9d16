"""What the studio does in the person's chat (``bot.studio``): a painting chosen for
the next photo, the last photo painted in another, an artwork's mix sent.

Each is what the chat itself would do: the choice is the same ``preselected``
request the style picker sets (``bot.state``), and it is said in the chat, where
the next photo will be sent; the last photo goes through ``Intake.submit`` like a
re-paint from a result's buttons (fair use, the queue's limits, the status
message, all the same); the mix is sent as a photo, or as a file when Telegram
would refuse it as one.  Everything goes to the person's private chat with the
bot: the only chat a Mini App opened from the menu or a private button speaks for.
"""

from __future__ import annotations

import time

from telegram import Chat, User
from telegram.error import Forbidden

from bot.delivery import fits_as_photo
from bot.handlers.common import Services
from bot.state import LienzoApp, UserState
from bot.stores.artworks import Artwork
from bot.studio.init_data import WebAppUser
from bot.studio.pictures import ArtworkPictures
from bot.texts import PARSE_MODE, style_label, t

RECENT_PHOTO_S = 86400.0  # "Paint my last photo": a photo sent within a day


class CannotWrite(Exception):
    """Telegram will not let the bot write to the person (blocked, never started)."""


class Actions:
    def __init__(self, services: Services, application: LienzoApp,
                 pictures: ArtworkPictures) -> None:
        self.s, self.application, self.pictures = services, application, pictures

    def _state(self, person: WebAppUser) -> UserState:
        """The person's conversation (PTB's user data; created on first use)."""
        return self.application.user_data[person.id]

    def has_recent_photo(self, person: WebAppUser) -> bool:
        """Whether the person sent a photo to be painted lately ("Paint my last photo")."""
        state = self._state(person)
        return state.last_photo is not None \
            and time.time() - state.last_photo_at <= RECENT_PHOTO_S

    def _chat(self, person: WebAppUser) -> tuple[Chat, User]:
        chat = Chat(person.id, Chat.PRIVATE)
        chat.set_bot(self.application.bot)
        user = User(person.id, person.first_name, False, language_code=person.language_code)
        user.set_bot(self.application.bot)
        return chat, user

    async def choose(self, person: WebAppUser, lang: str, style_id: str) -> str:
        """``style_id`` for the person's next photo, said in the chat; chosen only once
        the chat has heard it (raises CannotWrite, or Telegram's error)."""
        label = style_label(lang, self.s.catalogue.styles[style_id])
        try:
            await self.application.bot.send_message(
                person.id, t(lang, "style.chosen", style=label), parse_mode=PARSE_MODE)
        except Forbidden:
            raise CannotWrite() from None
        self._state(person).preselected = style_id
        return t(lang, "page.answer.chosen", style=label)

    async def paint_last(self, person: WebAppUser, lang: str, style_id: str) -> bool:
        """The person's recent photo painted in ``style_id``; False: there is none.
        Refusals after this point (the queue full, fair use) are said in the chat,
        where the painting would have come (``Intake.submit``)."""
        photo = self._state(person).last_photo
        if photo is None or not self.has_recent_photo(person):
            return False
        await self.s.jobs.acheck_user_limit(person.id)  # UserLimitReached: the page says it
        chat, user = self._chat(person)
        try:
            await self.s.intake.submit(chat, user, photo,
                                       self.s.catalogue.parse(style_id), lang=lang)
        except Forbidden:
            raise CannotWrite() from None
        return True

    async def send_mix(self, person: WebAppUser, lang: str, artwork: Artwork,
                       percent: int, label: str) -> None:
        """The artwork at ``percent`` % over its photo, into the person's chat."""
        jpeg, (width, height) = await self.pictures.mix(artwork, percent)
        caption = t(lang, "studio.mix_caption", style=label, percent=percent)
        bot = self.application.bot
        try:
            if fits_as_photo(len(jpeg), width, height):
                await bot.send_photo(person.id, jpeg, caption=caption, parse_mode=PARSE_MODE)
            else:
                await bot.send_document(person.id, jpeg, caption=caption, parse_mode=PARSE_MODE,
                                        filename=f"lienzo-{artwork.job_id[:8]}-{percent}.jpg")
        except Forbidden:
            raise CannotWrite() from None
