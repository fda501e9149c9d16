"""A clip's way in (a GIF, a video), beside a photo's (``bot.intake``; docs/architecture.md,
"The life of a job").

A GIF (Telegram's MP4 ``animation``), a video or a video note is downloaded like
a photo (≤ 20 MB, checked on the size Telegram announced before any download),
then read here as the worker will read it (``engine.clip.reading.read_clip``: the first
4 s, ≤ 12 fps, long side ≤ the workers' ``clip_side``), in a thread.  That one
decode is the check (a damaged clip gets its message before anything is
queued) and it gives what the user is told before the painting starts: how many
frames, about how long (``engine.clip.stylize.estimate_seconds`` from a photo's time
at that size on the workers' kind of machine), and that a longer clip was cut.

``FIRST_FRAME_SECONDS`` are rough figures for one photo at clip size with the
machine's default quality (GPU: ``balanced`` at ≤ 384 px; CPU: ``fast`` at
≤ 128 px); the estimate says "about", and the worker's own time limit
(``engine.worker.painting.clip_time_limit``) is what bounds the job.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

from bot.texts import t
from engine import config
from engine.config import MachineDefaults
from engine.media.images import RGB

FIRST_FRAME_SECONDS = {True: 8.0, False: 30.0}  # has_gpu → one photo at clip size, rough
INSTANT_FRAME_SECONDS = 0.2  # one frame through the look network (engine.look), rough


@dataclass(frozen=True)
class ClipInfo:
    """What the bot learnt from reading the clip: frames painted, their size, cut."""

    frames: int
    width: int
    height: int
    cut: bool


def _read(data: bytes, max_side: int) -> tuple[ClipInfo, RGB]:
    from engine.clip import reading

    clip = reading.read_clip(data, max_side=max_side)
    height, width = clip.frames[0].shape[:2]
    return ClipInfo(len(clip.frames), width, height, clip.cut), clip.frames[0]


async def probe(data: bytes, defaults: MachineDefaults) -> tuple[ClipInfo, RGB]:
    """Read the clip as the worker will (raises NotAClip, CorruptClip, ClipTooLarge);
    what was learnt, and its first frame (its first look is made of it)."""
    return await asyncio.to_thread(_read, data, defaults.clip_side)


def estimate_seconds(info: ClipInfo, params: dict[str, Any], defaults: MachineDefaults,
                     has_gpu: bool) -> float:
    """About how long the clip takes to paint on the workers' kind of machine."""
    from engine.clip import stylize
    from engine.params import MIN_SIZE, StyleParams

    side = max(info.width, info.height)
    base = StyleParams(quality=defaults.quality, size=max(MIN_SIZE, side))
    chosen = {k: v for k, v in params.items() if k in ("quality", "style_scale")}
    style = StyleParams.from_dict(chosen, base=base)
    if style.instant:  # the workers' default is instant: every frame a look, no schedule
        return info.frames * INSTANT_FRAME_SECONDS
    first = FIRST_FRAME_SECONDS[has_gpu] * (side / defaults.clip_side) ** 2
    return stylize.estimate_seconds(style, info.frames, info.width, info.height, first)


def note(lang: str, info: ClipInfo, seconds: float) -> str:
    """"🎞 40 frames: about 2 min of painting once it starts." (and the cut, if any)."""
    if seconds < 90:
        text = t(lang, "clip.estimate.seconds", frames=info.frames,
                 seconds=max(5, 5 * math.ceil(seconds / 5)))
    else:
        text = t(lang, "clip.estimate.minutes", frames=info.frames,
                 count=math.ceil(seconds / 60))
    if info.cut:
        text += "\n" + t(lang, "clip.cut", seconds=round(config.CLIP_SECONDS))
    return text
