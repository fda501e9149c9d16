"""One job's painting, on the worker: a spec in, a ``JobResult`` out.

The spec's photo and styles are decoded and checked, its parameters clamped to
this machine (``LIENZO_MAX_SIDE``, ``LIENZO_JOB_TIME_LIMIT``), and the engine's
``stylize`` runs with progress, preview and cancel callbacks supplied by the
worker.  Engine errors become failed results, never crashes; out of memory is
retried once at a smaller size (docs/architecture.md, "The life of a job").
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from engine.config import EngineSettings
from engine.errors import Cancelled, LienzoError, OutOfMemory
from engine.params import MIN_SIZE, StyleParams
from engine.progress import ProgressFn
from engine.queue import JobResult, JobSpec
from engine.queue.payloads import MAX_MESSAGE_CHARS, ResultStatus

if TYPE_CHECKING:  # engine.transfer loads Keras: the worker imports it in start()
    from engine.transfer import Result

log = logging.getLogger("lienzo.worker")

Image = npt.NDArray[np.uint8]
StyleList = list[tuple[Image, float]]


class Stylize(Protocol):
    """``engine.transfer.Engine.stylize``'s signature (tests pass their own)."""

    def __call__(self, content: Image, styles: StyleList, params: StyleParams, *,
                 on_progress: ProgressFn | None = ...,
                 should_stop: Callable[[], bool] | None = ...,
                 on_preview: Callable[[Image], None] | None = ...,
                 preview_every: int = ...) -> Result: ...


def is_out_of_memory(exc: BaseException) -> bool:
    """TensorFlow's ResourceExhaustedError, JAX's RESOURCE_EXHAUSTED, MemoryError."""
    if isinstance(exc, MemoryError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"ResourceExhaustedError", "OutOfMemoryError"}:
        return True
    text = str(exc)
    return "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower()


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
    """The spec's parameters, with this machine's defaults and caps applied."""
    defaults = settings.defaults_for(has_gpu)
    params = StyleParams.from_dict(raw, base=StyleParams(quality=defaults.quality,
                                                         size=defaults.size))
    limit = settings.job_time_limit_s
    budget = min(params.time_budget_s or limit, limit)
    return params.replace(size=min(params.size, defaults.max_side), time_budget_s=budget)


def job_images(spec: JobSpec, settings: EngineSettings) -> tuple[Image, StyleList]:
    """The photo and the styles, decoded and checked (catalogue styles from the cache)."""
    from engine.images import decode_image

    return decode_image(spec.content), job_styles(spec, settings)


def job_styles(spec: JobSpec, settings: EngineSettings) -> StyleList:
    """The styles, decoded and checked (catalogue styles from the cache)."""
    from engine import styles as catalogue
    from engine.images import decode_image

    catalog = None
    chosen: StyleList = []
    for ref in spec.styles:
        if ref.id is not None:
            catalog = catalog if catalog is not None else catalogue.load_catalog(
                settings.styles_dir, settings.style_cache_dir)
            chosen.append((catalogue.style_image(ref.id, catalog), ref.weight))
        else:
            chosen.append((decode_image(ref.image or b""), ref.weight))
    return chosen


def paint_spec(spec: JobSpec, attempt: int, worker: str, settings: EngineSettings,
               has_gpu: bool, stylize_once: Callable[..., Any], picked_at: float) -> JobResult:
    """The job's result: done with JPEG + PNG (a clip's: an MP4, engine.worker.
    clip_painting; ``stylize_once`` then takes its ``ClipRun`` as a fourth argument),
    or failed with a code and a message.  Raises Cancelled (the caller decides
    between "cancelled" and handing it back)."""

    def failed(code: str, message: str) -> JobResult:
        return JobResult(spec.job_id, attempt, ResultStatus.FAILED, worker, error_code=code,
                         error_message=message[:MAX_MESSAGE_CHARS], finished=time.time())

    try:
        if spec.clip is not None:  # a moving picture: engine.worker.clip_painting
            from engine.worker.clip_painting import paint_clip

            jpeg, data, stats = paint_clip(spec.content, settings, has_gpu,
                                           job_styles(spec, settings),
                                           machine_params(spec.params, settings, has_gpu),
                                           stylize_once)
            stats = dict(jsonable(stats), picked_at=picked_at, clip=spec.clip)
            return JobResult(spec.job_id, attempt, ResultStatus.DONE, worker, jpeg=jpeg, mp4=data,
                             stats=stats, partial=stats.get("stopped") == "time_budget",
                             finished=time.time())
        content, styles = job_images(spec, settings)
        params = machine_params(spec.params, settings, has_gpu)
        image, stats = _paint(spec.job_id, content, styles, params, stylize_once)
        from engine import images

        stats["picked_at"] = picked_at
        return JobResult(spec.job_id, attempt, ResultStatus.DONE, worker,
                         jpeg=images.encode_jpeg(image), png=images.encode_png(image), stats=stats,
                         partial=stats.get("stopped") == "time_budget", finished=time.time())
    except Cancelled:
        raise
    except LienzoError as e:
        return failed(e.code, str(e))
    except Exception as e:
        log.exception("job %s.%d: internal error", spec.job_id, attempt)
        return failed("engine_error", f"The painting failed because of an internal error "
                                      f"({type(e).__name__}).")


def _paint(job_id: str, content: Image, styles: StyleList, params: StyleParams,
           stylize_once: Callable[[Image, StyleList, StyleParams], Result]
           ) -> tuple[Image, dict[str, Any]]:
    """stylize; once more, smaller, on out-of-memory."""
    oom = None
    try:
        result = stylize_once(content, styles, params)
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
            result = stylize_once(content, styles, params.replace(size=smaller))
        except Exception as e:
            if is_out_of_memory(e):
                raise OutOfMemory(_oom_message(smaller)) from None
            raise
    stats: dict[str, Any] = jsonable(dict(result.stats))
    stats.update(requested_size=params.size, retried_smaller=retried)
    for key in ("seconds", "iterations", "size", "backend", "device"):
        stats.setdefault(key, None)
    return result.image, stats


def _oom_message(size: int) -> str:
    return (f"The picture did not fit in the accelerator's memory, even at {size} px. "
            "Try a smaller size.")
