"""One job's painting, on the worker: a spec in, a ``JobResult`` out.

The spec's photo (or clip) and styles are decoded and checked, its parameters
clamped to this machine (``LIENZO_MAX_SIDE``, ``LIENZO_JOB_TIME_LIMIT``), and
the engine runs with the worker's callbacks for this job (``JobCallbacks``):
``Engine.stylize`` for a photo, ``engine.clip.stylize.stylize_clip`` for a clip.
Engine errors become failed results, never crashes; out of memory is retried
once at a smaller size (docs/architecture.md, "The life of a job").

A print (``JobSpec.is_print``, the bot's 🖨 Print) is a photo's painting with its own
size, time limit, upscaled photo and starting picture (``engine.worker.printing``),
its JPEG at ``printing.JPEG_QUALITY`` and no timelapse.

The first look (engine.look, docs/architecture.md "The first look") is painted here
too, by the ``LookNetwork`` the ``Painter`` holds (one per process): at
``quality=instant`` it is the artwork (a photo's: no optimisation, no timelapse; a
clip's: every frame's look, encoded as any painted clip), and with ``init=look`` the
optimisation starts from it (``Engine.stylize``'s ``start``; a look the network
refuses is logged and the painting starts from the photo).  Its vectors come from the
job's decoded style images.

A photo's timelapse is kept here, as the painting forms (``timelapse.Snapshots``,
sized for the attempt that ran), and comes back in the result.  A clip gets no
previews and no timelapse: its status message is the clip itself, and a
frame-by-frame painting is its own timelapse.  A clip's time limit is decided
here, once (``clip_time_limit``): the photo limit (the spec's ``time_budget_s``,
capped by ``LIENZO_JOB_TIME_LIMIT``) is the first frame's, and each later frame
adds its share by work, as ``stylize.estimate_seconds`` counts it, up to
``CLIP_LIMIT_CAP`` photo limits: a 48-frame clip must not hold a worker for hours.
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from engine import config
from engine.config import EngineSettings
from engine.core.progress import ProgressFn
from engine.errors import Cancelled, LienzoError, OutOfMemory, is_out_of_memory
from engine.look.network import LookFailed, LookNetwork
from engine.params import MIN_SIZE, StyleParams
from engine.queue import BadPayload, JobResult, JobSpec
from engine.queue.payloads import MAX_BLOB_BYTES, MAX_MESSAGE_CHARS, ResultStatus
from engine.worker import printing

if TYPE_CHECKING:  # engine.core.transfer loads Keras: the worker imports it in start()
    from engine.clip.reading import Clip
    from engine.core.transfer import Stylize

log = logging.getLogger("lienzo.worker")

Image = npt.NDArray[np.uint8]
StyleList = list[tuple[Image, float]]
CLIP_LIMIT_CAP = 6.0  # a clip takes at most this many photo time limits
LOOK_THREADS = 2  # onnxruntime's threads for a worker's looks (~0.1 s at 384 px)
LOOK_STATS = {"backend": "onnxruntime", "device": "CPU", "weights": "magenta-arbitrary"}


@dataclass(frozen=True)
class Painter:
    """This worker's way to paint, the same for every job: the engine's ``stylize``
    (tests pass their own), its settings, whether it paints on a GPU, its name, and
    the first look's network (loaded on its first use)."""

    stylize: Stylize
    settings: EngineSettings
    has_gpu: bool
    worker: str
    look: LookNetwork = field(default_factory=lambda: LookNetwork(threads=LOOK_THREADS))


@dataclass(frozen=True)
class JobCallbacks:
    """The worker's side of one job, built once per job (``Worker.process``):
    progress reports, the stop check (cancel or shutdown), and the live preview,
    which the engine calls every ``preview_every`` steps (None: about
    ``timelapse.TARGET_SNAPSHOTS`` times a job)."""

    on_progress: ProgressFn
    should_stop: Callable[[], bool]
    on_preview: Callable[[Image], None]
    preview_every: int | None = None


def finite(value: Any) -> float | None:
    """A float, or None for None/NaN/inf (JSON has no NaN)."""
    return float(value) if value is not None and math.isfinite(float(value)) else None


def jsonable(obj: Any) -> Any:
    """Stats → JSON values (NaN/inf → None, tuples → lists, numpy scalars → Python)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    try:
        return finite(obj)
    except (TypeError, ValueError):
        return str(obj)


def machine_params(raw: dict[str, Any], settings: EngineSettings, has_gpu: bool) -> StyleParams:
    """The spec's parameters, with this machine's defaults and caps applied (its time
    limit too)."""
    params = settings.defaults_for(has_gpu).params(raw)
    limit = settings.job_time_limit_s
    return params.replace(time_budget_s=min(params.time_budget_s or limit, limit))


def job_styles(spec: JobSpec, settings: EngineSettings) -> StyleList:
    """The styles, decoded and checked (catalogue styles from the cache)."""
    from engine.catalogue import styles
    from engine.media.images import decode_image

    catalog = None
    chosen: StyleList = []
    for ref in spec.styles:
        if ref.id is not None:
            catalog = catalog if catalog is not None else styles.load_catalog(
                settings.styles_dir, settings.style_cache_dir)
            chosen.append((styles.style_image(ref.id, catalog), ref.weight))
        else:
            chosen.append((decode_image(ref.image or b""), ref.weight))
    return chosen


def clip_time_limit(params: StyleParams, frames: int, width: int, height: int,
                    photo_limit: float) -> float:
    """The whole clip's time limit: ``photo_limit`` for its first frame, each later
    frame its share by work, at most ``CLIP_LIMIT_CAP`` × ``photo_limit``."""
    from engine.clip.stylize import estimate_seconds

    return min(estimate_seconds(params, frames, width, height, photo_limit),
               photo_limit * CLIP_LIMIT_CAP)


def paint_spec(spec: JobSpec, attempt: int, painter: Painter, callbacks: JobCallbacks,
               picked_at: float) -> JobResult:
    """The job's result: done with JPEG + PNG and the timelapse (a clip's: JPEG and
    MP4), or failed with a code and a message.  Raises Cancelled (the caller decides
    between "cancelled" and handing it back)."""

    def failed(code: str, message: str) -> JobResult:
        return JobResult(spec.job_id, attempt, ResultStatus.FAILED, painter.worker,
                         error_code=code, error_message=message[:MAX_MESSAGE_CHARS],
                         finished=time.time())

    try:
        if spec.clip is not None:
            return _clip_result(spec, attempt, painter, callbacks, picked_at)
        return _photo_result(spec, attempt, painter, callbacks, picked_at)
    except Cancelled:
        raise
    except LienzoError as e:
        return failed(e.code, str(e))
    except Exception as e:
        log.exception("job %s.%d: internal error", spec.job_id, attempt)
        return failed("engine_error", f"The painting failed because of an internal error "
                                      f"({type(e).__name__}).")


def _photo_result(spec: JobSpec, attempt: int, painter: Painter, callbacks: JobCallbacks,
                  picked_at: float) -> JobResult:
    from engine.media import images

    settings, styles = painter.settings, job_styles(spec, painter.settings)
    printed = printing.prepare(spec.params, spec.content, spec.start, settings,
                               painter.has_gpu) if spec.is_print else None
    if printed is not None:  # its own size, time limit, photo and start (engine.worker.printing)
        content, params = printed.content, printed.params
    else:
        content = images.decode_image(spec.content)
        params = machine_params(spec.params, settings, painter.has_gpu)
    if params.instant:
        image, stats, frames = _instant(content, styles, params, painter, callbacks)
    else:
        image, stats, frames = _paint(spec.job_id, content, styles, params, painter, callbacks,
                                      printed.start if printed else None)
    stats["picked_at"] = picked_at
    jpeg = images.encode_jpeg(image, printing.JPEG_QUALITY) if printed else \
        images.encode_jpeg(image)
    png: bytes | None = images.encode_png(image)
    if printed is not None:  # an 8K print's PNG is over the queue's blob cap: JPEG only
        stats["png_bytes"] = len(png or b"")
        png = png if len(png or b"") <= MAX_BLOB_BYTES else None
    done = JobResult(spec.job_id, attempt, ResultStatus.DONE, painter.worker,
                     jpeg=jpeg, png=png, stats=stats | (printed.stats if printed else {}),
                     partial=stats.get("stopped") == "time_budget", finished=time.time())
    if printed is not None:  # a print is a file: no timelapse (its painting has one)
        return done
    try:
        return replace(done, timelapse=tuple(frames))
    except BadPayload as e:  # over the caps: the painting goes without it
        log.warning("job %s: timelapse dropped: %s", spec.job_id, e)
        return done


def _instant(content: Image, styles: StyleList, params: StyleParams, painter: Painter,
             callbacks: JobCallbacks) -> tuple[Image, dict[str, Any], list[bytes]]:
    """``quality=instant``: the first look is the artwork (no timelapse: nothing formed)."""
    if callbacks.should_stop():
        raise Cancelled("stopped on request")
    from engine.look import painting

    started = time.monotonic()
    image = painting.paint_pictures(painter.look, content, styles, params)
    stats: dict[str, Any] = {
        "instant": True, "iterations": 0, "seconds": round(time.monotonic() - started, 3),
        "loss": None, "size": [image.shape[1], image.shape[0]], "scales": [], **LOOK_STATS,
        "stopped": None, "faces": 0, "requested_size": params.size, "retried_smaller": False}
    return image, stats, []


def _start(job_id: str, content: Image, styles: StyleList, params: StyleParams,
           painter: Painter) -> tuple[StyleParams, Image | None]:
    """``init=look``: the parameters and the look to start from; a look the network
    refuses is logged, and the painting starts from the photo."""
    from engine.look import painting

    if params.init != "look":
        return params, None
    try:
        return params, painting.paint_pictures(painter.look, content, styles, params)
    except LookFailed as e:
        log.warning("job %s: no first look to start from (%s); starting from the photo",
                    job_id, e)
        return params.replace(init="content"), None


def _paint(job_id: str, content: Image, styles: StyleList, params: StyleParams,
           painter: Painter, callbacks: JobCallbacks, start: Image | None = None
           ) -> tuple[Image, dict[str, Any], list[bytes]]:
    """The painting, its stats and its timelapse's frames; once more, smaller, on
    out-of-memory.  ``start``: a print's painting to start from (else ``init`` says)."""
    if start is None:
        params, start = _start(job_id, content, styles, params, painter)
    oom = None
    try:
        image, stats, frames = _stylize(content, styles, params, painter, callbacks, start)
    except Exception as e:
        if not is_out_of_memory(e):
            raise
        oom = type(e).__name__
    retried = oom is not None
    if retried:  # outside the except block, so the failed attempt's buffers can be freed
        smaller = max(MIN_SIZE, round(params.size / math.sqrt(2)))
        if smaller >= params.size:
            raise OutOfMemory(_oom_message(params.size))
        log.warning("job %s: out of memory at %d px (%s); retrying at %d px", job_id,
                    params.size, oom, smaller)
        gc.collect()
        try:
            image, stats, frames = _stylize(content, styles, params.replace(size=smaller),
                                            painter, callbacks, start)
        except Exception as e:
            if is_out_of_memory(e):
                raise OutOfMemory(_oom_message(smaller)) from None
            raise
    stats.update(requested_size=params.size, retried_smaller=retried)
    for key in ("seconds", "iterations", "size", "backend", "device"):
        stats.setdefault(key, None)
    return image, stats, frames


def _stylize(content: Image, styles: StyleList, params: StyleParams, painter: Painter,
             callbacks: JobCallbacks, start: Image | None = None
             ) -> tuple[Image, dict[str, Any], list[bytes]]:
    """One attempt: ``Engine.stylize`` with the job's callbacks, every preview kept
    as a timelapse snapshot too (a ``start``, the first look, is the first of them)."""
    from engine.media import timelapse

    snapshots = timelapse.Snapshots(*timelapse.frame_size(content.shape[1], content.shape[0],
                                                          params.size))

    def on_preview(image: Image) -> None:
        snapshots.add(image)
        callbacks.on_preview(image)

    if start is not None:
        on_preview(start)
    result = painter.stylize(content, styles, params, on_progress=callbacks.on_progress,
                             should_stop=callbacks.should_stop, on_preview=on_preview,
                             preview_every=callbacks.preview_every
                             or timelapse.preview_every(params), start=start)
    stats: dict[str, Any] = jsonable(dict(result.stats))
    return result.image, stats, snapshots.finish(content, result.image)


def _clip_result(spec: JobSpec, attempt: int, painter: Painter, callbacks: JobCallbacks,
                 picked_at: float) -> JobResult:
    """The clip read (``engine.clip.reading.read_clip``: the first 4 s, ≤ 12 fps, long
    side ≤ this machine's ``clip_side``), painted frame by frame with the job's
    progress and stop callbacks, and encoded as an MP4 (``engine.media.mp4``)."""
    from engine.clip.reading import read_clip
    from engine.clip.stylize import stylize_clip
    from engine.media import images, mp4

    settings, has_gpu = painter.settings, painter.has_gpu
    styles = job_styles(spec, settings)
    params = machine_params(spec.params, settings, has_gpu)
    clip = read_clip(spec.content, max_side=settings.defaults_for(has_gpu).clip_side)
    height, width = clip.frames[0].shape[:2]
    params = params.replace(size=min(params.size, max(width, height)))
    if params.instant:
        return _instant_clip(spec, attempt, painter, callbacks, picked_at, clip, styles, params)
    limit = clip_time_limit(params, len(clip.frames), width, height,
                            params.time_budget_s or settings.job_time_limit_s)
    result = stylize_clip(painter.stylize, clip.frames, styles,
                          params.replace(time_budget_s=limit), config.CLIP_TEMPORAL_WEIGHT,
                          on_progress=callbacks.on_progress, should_stop=callbacks.should_stop)
    stats: dict[str, Any] = jsonable(dict(result.stats))
    stats.update(fps=clip.fps, cut=clip.cut, time_limit_s=round(limit, 1),
                 picked_at=picked_at, clip=spec.clip)
    return JobResult(spec.job_id, attempt, ResultStatus.DONE, painter.worker,
                     jpeg=images.encode_jpeg(result.frames[0]),
                     mp4=mp4.encode(result.frames, clip.fps), stats=stats,
                     partial=stats.get("stopped") == "time_budget", finished=time.time())


def _instant_clip(spec: JobSpec, attempt: int, painter: Painter, callbacks: JobCallbacks,
                  picked_at: float, clip: Clip, styles: StyleList,
                  params: StyleParams) -> JobResult:
    """``quality=instant`` for a clip: every frame's first look, in one style vector
    (``engine.look.painting.paint_frames``), encoded as a painted clip is."""
    from engine.look import painting
    from engine.media import images, mp4

    if callbacks.should_stop():
        raise Cancelled("stopped on request")
    started = time.monotonic()
    frames = painting.paint_frames(painter.look, clip.frames,
                                   painting.vectors_of(painter.look, styles), params)
    stats: dict[str, Any] = {
        "instant": True, "frames": len(frames), "iterations": 0,
        "seconds": round(time.monotonic() - started, 3),
        "size": [frames[0].shape[1], frames[0].shape[0]], **LOOK_STATS, "stopped": None,
        "faces": 0, "fps": clip.fps, "cut": clip.cut, "picked_at": picked_at, "clip": spec.clip}
    return JobResult(spec.job_id, attempt, ResultStatus.DONE, painter.worker,
                     jpeg=images.encode_jpeg(frames[0]), mp4=mp4.encode(frames, clip.fps),
                     stats=stats, finished=time.time())


def _oom_message(size: int) -> str:
    return (f"The picture did not fit in the accelerator's memory, even at {size} px. "
            "Try a smaller size.")
