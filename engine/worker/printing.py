"""A print on the worker: the bot's 🖨 Print (docs/architecture.md, "Prints").

A print is an ordinary painting with three differences, all decided here, where the
machine is known: its long side is this machine's print side (``LIENZO_PRINT_SIDE``:
4096 px with a GPU, 1536 on a CPU), not ``LIENZO_MAX_SIDE``; its time limit is
``LIENZO_PRINT_TIME_LIMIT``; and it starts from the painting the person already has
(``JobSpec.start``), so the schedule begins at that painting's own size
(``min_side``) instead of re-painting coarse scales below it - the engine's
schedule does the rest, block by block where the picture does not fit in memory.

A photo smaller than the print is upscaled first (Pillow's Lanczos), so the
strokes are painted at the print's resolution rather than blown up afterwards;
the result's stats say from what size (``upscaled_from``), and the bot's caption
says so.  A print is always optimised: a spec asking ``quality=instant`` paints at
the machine's own quality (a sketch is not worth a print's half hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.config import EngineSettings, machine_defaults
from engine.params import StyleParams

Image = npt.NDArray[np.uint8]
JPEG_QUALITY = 95  # the print's JPEG: what print shops take, nearly lossless


@dataclass(frozen=True)
class Print:
    """What a print spec becomes on this machine: the photo at the print's size, the
    painting it starts from, the parameters, and what the stats report."""

    content: Image
    start: Image
    params: StyleParams
    upscaled_from: tuple[int, int] | None  # the photo's (width, height) when smaller

    @property
    def stats(self) -> dict[str, Any]:
        return {"print": True, "print_side": self.params.size,
                "upscaled_from": list(self.upscaled_from) if self.upscaled_from else None,
                "time_limit_s": self.params.time_budget_s}


def print_params(raw: dict[str, Any], settings: EngineSettings, has_gpu: bool,
                 start_side: int) -> StyleParams:
    """The spec's parameters as this machine prints them: the long side its print side
    (or less, if the spec asks less), the print's time limit, the schedule from the
    start picture's side (``start_side``), never instant, starting from the picture."""
    machine = settings.defaults_for(has_gpu)
    params = StyleParams.from_dict(raw, base=StyleParams(quality=machine.quality,
                                                         size=machine.print_side))
    side = min(params.size, machine.print_side)
    limit = settings.print_time_limit_s
    quality = machine_defaults(has_gpu).quality if params.instant else params.quality
    return params.replace(size=side, quality=quality, init="content",
                          min_side=max(16, min(start_side, side)),
                          time_budget_s=min(params.time_budget_s or limit, limit))


def prepare(raw: dict[str, Any], photo: bytes, start: bytes | None, settings: EngineSettings,
            has_gpu: bool) -> Print:
    """The print of ``photo`` from ``start`` (a spec's blobs, decoded and checked here):
    InvalidParams when a print comes without its start picture."""
    from engine.errors import InvalidParams
    from engine.media import images

    if start is None:
        raise InvalidParams("a print needs the painting it starts from")
    content, painted = images.decode_image(photo), images.decode_image(start)
    params = print_params(raw, settings, has_gpu, max(painted.shape[:2]))
    height, width = content.shape[:2]
    upscaled = None
    if max(width, height) < params.size:
        content, upscaled = images.resize_long_side(content, params.size), (width, height)
    return Print(content, painted, params, upscaled)
