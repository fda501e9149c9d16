"""Painting a clip without flicker (Ruder, Dosovitskiy and Brox 2016,
"Artistic style transfer for videos"; docs/architecture.md, "The engine").

Painted one by one, a clip's frames flicker: each optimisation finds its own
strokes.  So only the first frame gets the full coarse-to-fine schedule
(``Engine.stylize`` as for a photo); each later frame starts from the previous
painting carried along the motion to it (engine.clip.flow: DIS backward flow) and
optimises the Gatys loss plus a temporal loss that holds it to that carried
painting, except where the flow cannot be trusted (occlusions, motion
boundaries), so new content gets painted and the rest stays put.  A later frame
is one scale at the output size with fewer steps (``frame_params``): it starts
from a finished painting.

``temporal_weight`` is the temporal loss's weight in the objective's units
(the default is Ruder et al.'s, whose code shares jcjohnson/neural-style's
normalisation with ours); 0 turns the loss off (each frame still starts from
the carried painting), to compare.  Progress counts steps, work and ETA over
the whole clip and says which frame; ``should_stop`` is asked before every step
and between frames; a time budget is the clip's, shared out over the frames by
their work, so that every frame gets its turn.  ``estimate_seconds`` tells how
long a clip takes from how long its first frame alone (a photo) takes.

No Keras is imported here: the engine's ``stylize`` (``Engine.stylize``, or a test's
stand-in) comes in as an argument.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from engine import config
from engine.clip import flow
from engine.core import colors, scales
from engine.core.progress import Progress, ProgressFn
from engine.errors import Cancelled, InvalidParams
from engine.media import images
from engine.media.images import RGB
from engine.params import QUALITIES, StyleParams

if TYPE_CHECKING:
    from engine.core.regions import Mask
    from engine.core.transfer import Stylize

DEFAULT_TEMPORAL_WEIGHT = config.CLIP_TEMPORAL_WEIGHT  # Ruder et al.'s (artistic-videos)
# A later frame starts from a finished painting: half the preset's per-scale steps,
# and a gentler Adam (its first steps move every pixel by about the learning rate,
# which would shake the carried strokes before the temporal loss can hold them).
LATER_ITERATIONS = 0.5
LATER_LEARNING_RATE = 0.3


class ClipStats(TypedDict):
    """What painting a clip took (the worker stores it with the result)."""

    frames: int
    iterations: int  # steps over all frames
    seconds: float
    first_frame_seconds: float
    later_frame_seconds: float | None  # the mean over the later frames
    size: list[int]  # [width, height] of every frame
    backend: str
    device: str
    weights: str
    stopped: str | None  # "time_budget" when the budget cut a frame short
    faces: int  # the most faces protected in one frame
    temporal_weight: float
    warp_error: float | None  # mean |frame − previous painting carried to it|, trusted pixels


@dataclass
class ClipResult:
    frames: list[RGB]
    stats: ClipStats


def frame_params(params: StyleParams) -> StyleParams:
    """What a frame after the first is painted with: one scale at the output size,
    ``LATER_ITERATIONS`` of the preset's per-scale steps (or ``params.iterations``)
    and Adam's peak rate times ``LATER_LEARNING_RATE``."""
    steps = params.iterations or max(1, round(QUALITIES[params.quality].iterations
                                              * LATER_ITERATIONS))
    return params.replace(min_side=params.size, iterations=steps, time_budget_s=None,
                          learning_rate=params.learning_rate * LATER_LEARNING_RATE)


def _work(params: StyleParams, width: int, height: int) -> tuple[int, int]:
    """(steps, work) of one painting of a ``width``×``height`` frame."""
    plan, sizes = scales.plan_sizes(params, width, height)
    return sum(n for _, n in plan), scales.work(plan, sizes)


def estimate_seconds(params: StyleParams, frames: int, width: int, height: int,
                     first_frame_seconds: float) -> float:
    """How long a clip of ``frames`` frames of ``width``×``height`` takes, given how
    long its first frame takes painted alone (as a photo): later frames cost their
    share of the first one's work (steps × pixels).  Flow is negligible beside it."""
    _, first = _work(params, width, height)
    _, later = _work(frame_params(params), width, height)
    return first_frame_seconds * (1 + max(0, frames - 1) * later / first)


def stylize_clip(
    stylize: Stylize,
    frames: Sequence[RGB],
    styles: Sequence[tuple[RGB, float]],
    params: StyleParams,
    temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    mask: Mask | None = None,
) -> ClipResult:
    """Paint ``frames`` (H×W×3 uint8, one size) in the blend of ``styles``; every
    frame of the result is the first's output size.  ``init="look"`` starts the first
    frame from the photo, as ``content`` does (no look here: it needs engine.look)."""
    if not frames:
        raise InvalidParams("a moving picture needs at least one frame")
    if not temporal_weight >= 0:
        raise InvalidParams("temporal weight must be 0 or more")
    if params.instant:
        raise InvalidParams("an instant clip is not optimised: engine.look paints it")
    if params.init == "look":  # the first look is a photo's (engine.look, not here)
        params = params.replace(init="content")
    if params.color_mode == "match":  # one recolouring for the clip, not one per frame
        styles = [(colors.match_colors(image, frames[0]), w) for image, w in styles]
        params = params.replace(color_mode="style")
    started = time.monotonic()
    deadline = started + params.time_budget_s if params.time_budget_s else None
    later = frame_params(params)
    height, width = frames[0].shape[:2]
    (first_steps, first_work), (later_steps, later_work) = (
        _work(params, width, height), _work(later, width, height))
    n = len(frames)
    total_steps, total_work = first_steps + (n - 1) * later_steps, first_work + (n - 1) * later_work

    out: list[RGB] = []
    errors: list[float] = []
    seconds: list[float] = []
    steps_done, stopped, faces = 0, None, 0
    previous_photo: RGB | None = None
    for i, frame in enumerate(frames):
        if should_stop and should_stop():
            raise Cancelled("stopped on request")
        frame_started = time.monotonic()
        base, work = (params, first_work) if i == 0 else (later, later_work)
        work_before = first_work + (i - 1) * later_work if i else 0
        report = _reporter(on_progress, started, deadline, i + 1, n, steps_done, total_steps,
                           work_before, work, total_work)
        budget = _budget(deadline, work, total_work - work_before)
        warped = None
        if previous_photo is not None:
            h, w = out[-1].shape[:2]
            photo = images.resize_to(frame, w, h)
            warped = flow.follow(previous_photo, photo, out[-1], temporal_weight)
        result = stylize(frame, styles, base.replace(time_budget_s=budget),
                         on_progress=report, should_stop=should_stop, mask=mask,
                         previous=warped)
        if warped is not None:
            errors.append(flow.warp_error(result.image, warped.image, warped.trusted))
        out.append(result.image)
        h, w = result.image.shape[:2]
        previous_photo = images.resize_to(frame, w, h)
        steps_done += result.stats["iterations"]
        stopped = stopped or result.stats["stopped"]
        faces = max(faces, result.stats["faces"])
        seconds.append(time.monotonic() - frame_started)
    s = result.stats
    return ClipResult(out, {
        "frames": n, "iterations": steps_done,
        "seconds": round(time.monotonic() - started, 3),
        "first_frame_seconds": round(seconds[0], 3),
        "later_frame_seconds": round(sum(seconds[1:]) / (n - 1), 3) if n > 1 else None,
        "size": s["size"], "backend": s["backend"], "device": s["device"],
        "weights": s["weights"], "stopped": stopped, "faces": faces,
        "temporal_weight": temporal_weight,
        "warp_error": round(sum(errors) / len(errors), 3) if errors else None,
    })


def _budget(deadline: float | None, work: int, work_left: int) -> float | None:
    """A frame's share of the clip's time left, by its share of the work left (a
    frame past the deadline gets an instant: it keeps the carried painting)."""
    if deadline is None:
        return None
    return max(1e-3, (deadline - time.monotonic()) * work / max(1, work_left))


def _reporter(on_progress: ProgressFn | None, started: float, deadline: float | None,
              frame: int, frames: int, steps_before: int, total_steps: int,
              work_before: int, work: int, total_work: int) -> ProgressFn | None:
    """A frame's progress callback, restated over the whole clip."""
    if on_progress is None:
        return None
    report = on_progress

    def on_frame_progress(p: Progress) -> None:
        fraction = min(1.0, (work_before + p.fraction * work) / total_work)
        elapsed = time.monotonic() - started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        if eta is not None and deadline is not None:
            eta = min(eta, max(0.0, deadline - time.monotonic()))
        report(dataclasses.replace(p, step=steps_before + p.step, steps=total_steps,
                                   fraction=fraction, eta_s=eta, frame=frame, frames=frames))

    return on_frame_progress
