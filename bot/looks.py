"""The first look and instant paintings, made in the bot process (docs/architecture.md,
"The first look").

A look is ``engine.look``'s feed-forward painting: ~0.1 s of one CPU core at
384 px, no Keras.  It runs here rather than behind the engine queue because
its whole point is to come at once: behind a queue of ten on a busy GPU it
would come minutes late.  Two uses:

- **the first look** (``first_look``): the status message's picture while the
  job waits and paints.  A nicety, so it never holds anything up: one thread
  makes looks, one after another, and a look that would wait more than
  ``MAX_WAIT_S`` behind the others (a burst: the looks waiting times the
  recent time of one) is skipped - the person sees their photo, as before.  A look that fails is
  skipped too, and logged.
- **an instant painting** (``instant``): the look at the job's full size *is*
  the artwork (``quality=instant``, or the button offered while the painter is
  offline).  The person asked for it, so it waits its turn in the same thread
  rather than being skipped, and a failure is theirs to hear about.

``LIENZO_FIRST_LOOK=off`` turns the first look off; instant paintings stay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.metrics import Metrics
from bot.state import Catalog
from engine.config import MachineDefaults
from engine.look import painting
from engine.look.network import NETWORK_SIDE, LookNetwork, StyleVector
from engine.look.vectors import StyleVectors
from engine.media import images
from engine.media.images import RGB
from engine.params import StyleParams
from engine.queue import JobResult, JobSpec, ResultStatus, StyleRef

log = logging.getLogger("lienzo.looks")

MAX_WAIT_S = 1.5  # a first look that would wait longer for the thread is skipped
FIRST_GUESS_S = 0.2  # one look's time before any was timed (~0.1-0.2 s on one core)
LOOK_JPEG_QUALITY = 88  # a status picture, shown at phone size
WORKER_NAME = "bot (instant)"  # an instant result's ``worker``
T = TypeVar("T")


@dataclass(frozen=True)
class LookInput:
    """What a look is made of: the photo (or a clip's first frame), its styles as the
    job carries them, and the job's parameters with the machine defaults applied."""

    photo: bytes | RGB
    styles: Sequence[StyleRef]
    params: StyleParams


class Looks:
    """One ``LookNetwork`` for the process, the catalogue's vectors kept, and the one
    thread that runs both kinds of look."""

    def __init__(self, catalog: Catalog, metrics: Metrics, *, first_look: bool = True) -> None:
        self.first_look_on = first_look
        self.metrics = metrics
        self.network = LookNetwork(threads=1)
        self.vectors = StyleVectors(self.network, catalog)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lienzo-look")
        self._waiting = 0  # first looks asked for and not done (changed on the loop only)
        self._look_s = FIRST_GUESS_S  # a recent look's seconds (moving average)

    async def first_look(self, given: LookInput) -> bytes | None:
        """The status message's first look as a JPEG, at most 384 px (the network's own
        detail); None when it is off, skipped (busy) or failed."""
        if not self.first_look_on:
            return None
        if self._waiting * self._look_s > MAX_WAIT_S:
            self.metrics.looks.labels("skipped").inc()
            log.info("first look skipped: %d waiting", self._waiting)
            return None
        self._waiting += 1
        try:
            shown = given.params.replace(size=min(given.params.size, NETWORK_SIDE))
            jpeg, took = await self._run(self._first_look_jpeg,
                                         LookInput(given.photo, given.styles, shown))
        except Exception as exc:  # the look is a nicety: the painting still comes
            self.metrics.looks.labels("failed").inc()
            log.warning("first look failed (%s: %s); the painting still comes",
                        type(exc).__name__, exc)
            return None
        finally:
            self._waiting -= 1
        self._look_s = 0.8 * self._look_s + 0.2 * took
        self.metrics.looks.labels("shown").inc()
        return jpeg

    async def instant(self, spec: JobSpec, defaults: MachineDefaults) -> JobResult:
        """The job's instant painting, as a worker's done result (JPEG, full-size PNG,
        stats with ``instant``).  Raises LienzoError (a style that cannot be had, a
        picture the network refuses)."""
        started = time.monotonic()
        given = LookInput(spec.content, spec.styles, defaults.params(spec.params))
        look = await self._run(self._paint, given)
        jpeg = await self._run(images.encode_jpeg, look)
        png = await self._run(images.encode_png, look)
        self.metrics.looks.labels("instant").inc()
        height, width = look.shape[:2]
        return JobResult(spec.job_id, 1, ResultStatus.DONE, worker=WORKER_NAME, jpeg=jpeg,
                         png=png, finished=time.time(),
                         stats={"size": [width, height], "instant": True,
                                "seconds": round(time.monotonic() - started, 3)})

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    # -- in the look thread -------------------------------------------------------------
    def _first_look_jpeg(self, given: LookInput) -> tuple[bytes, float]:
        """The look as a JPEG, and the seconds it took (without its wait)."""
        started = time.monotonic()
        jpeg = images.encode_jpeg(self._paint(given, may_download=False), LOOK_JPEG_QUALITY)
        return jpeg, time.monotonic() - started

    def _paint(self, given: LookInput, may_download: bool = True) -> RGB:
        """``may_download``: a catalogue painting not on disk yet is fetched (an instant
        picture, which the person asked for) or the look fails (a first look)."""
        photo = given.photo if not isinstance(given.photo, bytes) \
            else images.decode_image(given.photo)
        vectors = [(self._vector(ref, may_download), ref.weight) for ref in given.styles]
        return painting.paint(self.network, photo, vectors, given.params)

    def _vector(self, ref: StyleRef, may_download: bool) -> StyleVector:
        if ref.id is not None:
            return self.vectors.of(ref.id, may_download=may_download)
        return self.network.style_vector(images.decode_image(ref.image or b""))


