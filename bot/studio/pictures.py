"""The pictures the studio shows: the catalogue's thumbnails, and a person's artwork
with its photo, for the page's before/after and mix sliders and for "Send this
version" (``bot.studio``).

- ``Thumbnails``: each painting at two sides (the grid's, the painting page's),
  JPEG, made once per process and kept (a few MB for the whole catalogue); the
  ETag is the bytes' hash, so a browser asks again for nothing.
- ``ArtworkPictures``: the artwork's painting (its full-size PNG when kept, else
  the file Telegram has) and the photo it was painted from (fetched again from
  Telegram by its file id, which the job's meta keeps), the photo resized to the
  painting's pixels so the two overlay exactly.  ``display`` gives both at most
  ``DISPLAY_SIDE`` for the page (the listed artworks' kept in memory); ``mix``
  blends them at full size with the page's formula: photo × (1 − mix) + painting
  × mix, which is what the browser shows with the painting at ``opacity: mix``
  over the photo.

Decoding, resizing and blending pictures of up to 50 megapixels is heavy: it runs
on ``IMAGE_THREADS`` threads of its own (never the event loop's default pool,
which every store call of the bot uses), and two requests for the same artwork's
pictures share one piece of work.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from telegram import Bot
from telegram.error import BadRequest

from bot.jobs import JobService
from bot.stores.artworks import Artwork, Artworks
from engine.catalogue.styles import Style, style_image_bytes
from engine.errors import ImageError, LienzoError
from engine.media.images import RGB, decode_image, encode_jpeg, resize_long_side, resize_to

THUMB_SIDES = (256, 768)  # the grid's, the painting page's
DISPLAY_SIDE = 1280  # the page's pictures: sharp on a phone, light to load
KEPT_DISPLAYS = 64  # artworks whose page pictures stay in memory (≥ the API lists)
IMAGE_THREADS = 2  # the studio's picture work at once
RETRY_S = 600.0  # a painting whose image could not be fetched: tried again after this
STILL_KINDS = ("photo", "document")  # artworks with a photo to compare (not clips)

T = TypeVar("T")


class PictureGone(LienzoError):
    """Telegram no longer gives the photo or the painting, or the job is forgotten."""

    code = "picture_gone"


@dataclass(frozen=True)
class Thumbnail:
    jpeg: bytes
    etag: str


class Thumbnails:
    """The catalogue's thumbnails; ``get`` is thread-safe (one painting made at a time,
    so a grid's requests never download one painting twice)."""

    def __init__(self, catalog: Mapping[str, Style]) -> None:
        self.catalog = catalog
        self._made: dict[tuple[str, int], Thumbnail] = {}
        self._failed: dict[str, tuple[float, LienzoError]] = {}  # painting → when, why
        self._lock = threading.Lock()

    def version(self, style_id: str) -> str:
        """What changes a thumbnail's address when its painting changes (the image file's
        name and the catalogue entry): the page's links are cached for good."""
        style = self.catalog[style_id]
        return hashlib.sha256(repr(style).encode()).hexdigest()[:12]

    def get(self, style_id: str, side: int) -> Thumbnail:
        """The painting at ``side`` (blocking: the first time may download it).  A
        painting that could not be fetched is not tried again for ``RETRY_S``: a grid
        of thumbnails must not queue a download each for a site that is down."""
        with self._lock:
            if (style_id, side) not in self._made:
                failed_at, why = self._failed.get(style_id, (0.0, None))
                if why is not None and time.monotonic() - failed_at < RETRY_S:
                    raise why
                try:
                    image = decode_image(style_image_bytes(style_id, self.catalog))
                except LienzoError as exc:  # StyleUnavailable, ImageError
                    self._failed[style_id] = (time.monotonic(), exc)
                    raise
                small = resize_long_side(image, side) if max(image.shape[:2]) > side else image
                jpeg = encode_jpeg(small, quality=85)
                self._made[style_id, side] = Thumbnail(jpeg, hashlib.sha256(jpeg).hexdigest()[:20])
            return self._made[style_id, side]


@dataclass(frozen=True)
class Pair:
    """An artwork's painting and its photo, the same size."""

    photo: RGB
    painting: RGB


class ArtworkPictures:
    def __init__(self, bot: Bot, artworks: Artworks, jobs: JobService) -> None:
        self.bot, self.artworks, self.jobs = bot, artworks, jobs
        self.threads = ThreadPoolExecutor(IMAGE_THREADS, thread_name_prefix="lienzo-studio")
        self._displays: OrderedDict[str, dict[str, bytes]] = OrderedDict()
        self._making: dict[str, asyncio.Future[dict[str, bytes]]] = {}  # job → work under way

    async def run(self, work: Callable[[], T]) -> T:
        """``work`` on the studio's own threads."""
        return await asyncio.get_running_loop().run_in_executor(self.threads, work)

    async def _fetch(self, file_id: str) -> bytes:
        """A file from Telegram; PictureGone when Telegram says it has no such file (a
        network error or flood control is not that: it is raised as it is)."""
        try:
            file = await self.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except BadRequest:
            raise PictureGone("Telegram no longer gives the file") from None

    async def pair(self, artwork: Artwork) -> Pair:
        """The painting at full size and the photo at the painting's size."""
        job = await self.jobs.astatus(artwork.job_id)
        if job is None or job.meta is None or artwork.kind not in STILL_KINDS:
            raise PictureGone("no photo kept for this artwork")
        png = await self.run(lambda: self.artworks.full_size.read(artwork.job_id))
        painting_bytes = png or await self._fetch(artwork.file_id)
        photo_bytes = await self._fetch(job.meta.content.file_id)

        def decode() -> Pair:
            try:
                painting = decode_image(painting_bytes)
                photo = decode_image(photo_bytes)
            except ImageError:
                raise PictureGone("a picture no longer decodes") from None
            height, width = painting.shape[:2]
            return Pair(resize_to(photo, width, height), painting)

        return await self.run(decode)

    async def display(self, artwork: Artwork) -> dict[str, bytes]:
        """The page's two JPEGs (``photo``, ``painting``), at most ``DISPLAY_SIDE``."""
        if artwork.job_id in self._displays:
            self._displays.move_to_end(artwork.job_id)
            return self._displays[artwork.job_id]
        return await self._shared(artwork.job_id, lambda: self._make_display(artwork))

    async def _shared(self, job_id: str, make: Callable[[], Awaitable[dict[str, bytes]]]
                      ) -> dict[str, bytes]:
        """One making of a job's display pictures, however many ask at once."""
        if job_id not in self._making:
            self._making[job_id] = asyncio.ensure_future(make())
            self._making[job_id].add_done_callback(lambda _: self._making.pop(job_id, None))
        return await asyncio.shield(self._making[job_id])

    async def _make_display(self, artwork: Artwork) -> dict[str, bytes]:
        pair = await self.pair(artwork)

        def encode() -> dict[str, bytes]:
            small = {name: resize_long_side(image, DISPLAY_SIDE)
                     if max(image.shape[:2]) > DISPLAY_SIDE else image
                     for name, image in (("photo", pair.photo), ("painting", pair.painting))}
            return {name: encode_jpeg(image, quality=88) for name, image in small.items()}

        made = await self.run(encode)
        self._displays[artwork.job_id] = made
        while len(self._displays) > KEPT_DISPLAYS:
            self._displays.popitem(last=False)
        return made

    async def mix(self, artwork: Artwork, percent: int) -> tuple[bytes, tuple[int, int]]:
        """The painting over the photo at ``percent`` % (JPEG, full size), and its size."""
        pair = await self.pair(artwork)
        height, width = pair.painting.shape[:2]
        return await self.run(lambda: blend_jpeg(pair, percent)), (width, height)

    def forget(self, job_id: str) -> None:
        self._displays.pop(job_id, None)

    def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)


def blend(pair: Pair, percent: int) -> RGB:
    """photo × (1 − a) + painting × a, a = percent / 100, rounded to the nearest level."""
    alpha = min(max(percent, 0), 100) / 100.0
    mixed = pair.photo.astype(np.float32) * (1.0 - alpha) + \
        pair.painting.astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def blend_jpeg(pair: Pair, percent: int) -> bytes:
    return encode_jpeg(blend(pair, percent), quality=95)
