"""One moving picture's painting, on the worker: a clip spec in, an MP4 result out
(docs/architecture.md, "The life of a job" and "The engine", moving pictures).

Kept out of ``painting.py`` and ``loop.py``: the spec's clip is read
(``engine.clips.read_clip``: the first 4 s, ≤ 12 fps, long side ≤ this
machine's ``clip_side``), painted by ``engine.video.stylize_clip`` with the
worker's progress and cancel callbacks (which check the cancel flag before
every step and between frames), and encoded by ``engine.mp4.encode``.  The
worker sends no live previews and keeps no timelapse for a clip: its status
message is the moving picture itself, and a frame-by-frame painting is its own
timelapse.

The job's time limit is decided here, once (``clip_time_limit``): the photo
limit (the spec's ``time_budget_s``, capped by ``LIENZO_JOB_TIME_LIMIT``) is the
first frame's, and each later frame adds its share by work, as
``engine.video.estimate_seconds`` counts it, up to ``CLIP_LIMIT_CAP`` photo
limits: a 48-frame clip must not hold a worker for hours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from engine import config
from engine.config import EngineSettings
from engine.params import StyleParams
from engine.progress import ProgressFn

if TYPE_CHECKING:
    from engine.video import ClipResult

CLIP_LIMIT_CAP = 6.0  # a clip takes at most this many photo time limits


#: Run by the worker with the engine's ``stylize`` and its own progress and cancel
#: callbacks (``Worker._stylize_once``): the clip painted, frame by frame.
ClipRun = Callable[[Callable[..., Any], ProgressFn, Callable[[], bool]], "ClipResult"]


def clip_time_limit(params: StyleParams, frames: int, width: int, height: int,
                    photo_limit: float) -> float:
    """The whole clip's time limit: ``photo_limit`` for its first frame, each later
    frame its share by work, at most ``CLIP_LIMIT_CAP`` × ``photo_limit``."""
    from engine import video

    return min(video.estimate_seconds(params, frames, width, height, photo_limit),
               photo_limit * CLIP_LIMIT_CAP)


def paint_clip(content: bytes, settings: EngineSettings, has_gpu: bool,
               styles: Sequence[tuple[Any, float]], params: StyleParams,
               stylize_once: Callable[..., Any]) -> tuple[bytes, bytes, dict[str, Any]]:
    """The clip painted: (frame 1 as a JPEG, the MP4, stats).  ``params`` are the
    machine's (``painting.machine_params``); engine errors propagate
    (``painting.paint_spec`` turns them into failed results)."""
    from engine import clips, images, mp4, video

    clip = clips.read_clip(content, max_side=settings.defaults_for(has_gpu).clip_side)
    height, width = clip.frames[0].shape[:2]
    params = params.replace(size=min(params.size, max(width, height)))
    limit = clip_time_limit(params, len(clip.frames), width, height,
                            params.time_budget_s or settings.job_time_limit_s)
    params = params.replace(time_budget_s=limit)

    def run(stylize: Callable[..., Any], on_progress: ProgressFn,
            should_stop: Callable[[], bool]) -> ClipResult:
        return video.stylize_clip(stylize, clip.frames, list(styles), params,
                                  config.CLIP_TEMPORAL_WEIGHT, on_progress=on_progress,
                                  should_stop=should_stop)

    result: ClipResult = stylize_once(clip.frames[0], list(styles), params, run)
    stats: dict[str, Any] = dict(result.stats)
    stats.update(fps=clip.fps, cut=clip.cut, time_limit_s=round(limit, 1))
    return images.encode_jpeg(result.frames[0]), mp4.encode(result.frames, clip.fps), stats
