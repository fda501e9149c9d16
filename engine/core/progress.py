"""Step accounting for one painting: progress, ETA, cancel and the time budget.

``Run`` follows ``engine.core.transfer``'s optimisers across the scales of the
schedule: it counts their steps, reports ``Progress`` after each (the work
done weighted by each step's pixel count, so the ETA holds across scales),
asks ``should_stop`` before each, and stops the run at its deadline.  With a
deadline it also tells each scale how far through its share of the time it is,
so that Adam's learning rate anneals in time (``scale_fraction``).
A clip (engine.clip.stylize) is one run per frame; its progress carries
``frame`` of ``frames``, with steps, work and ETA counted over the whole clip.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from engine.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    step: int  # steps done, over all scales
    steps: int  # steps planned, over all scales
    fraction: float  # work done, weighting each step by its pixel count
    eta_s: float | None
    loss: float  # of the optimiser's current iterate
    scale: int  # 1-based
    scales: int
    size: tuple[int, int]  # (width, height) of the current scale
    frame: int = 0  # 1-based frame of a clip (engine.clip.stylize); 0 for a photo
    frames: int = 0  # frames in the clip; 0 for a photo


ProgressFn: TypeAlias = Callable[[Progress], None]


class Run:
    """Step accounting across scales: progress, ETA, cancel and deadline."""

    def __init__(self, plan: Sequence[tuple[int, int]], total_work: int, started: float,
                 on_progress: ProgressFn | None, should_stop: Callable[[], bool] | None,
                 deadline: float | None) -> None:
        self.steps = sum(n for _, n in plan)
        self.scales = len(plan)
        self.total_work = total_work
        self.started = started
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.deadline = deadline
        self.step, self.work = 0, 0
        self.last_loss: float | None = None
        self.stopped: str | None = None
        self.scale, self.size = 0, (0, 0)

    def begin_scale(self, scale: int, size: tuple[int, int]) -> None:
        self.scale, self.size = scale, size
        self.scale_started, self.work_before = time.monotonic(), self.work

    def scale_fraction(self, done: int, steps: int) -> float:
        """How far through this scale the run is: by steps, or, with a time budget,
        by this scale's share of the time left, whichever is further - so that a
        run cut short by its deadline has still annealed (Adam's learning rate)."""
        fraction = done / steps
        if self.deadline is None:
            return fraction
        scale_work = steps * self.size[0] * self.size[1]
        share = scale_work / max(1, self.total_work - self.work_before)
        allotted = (self.deadline - self.scale_started) * share
        return max(fraction, (time.monotonic() - self.scale_started) / max(allotted, 1e-9))

    def may_continue(self) -> bool:
        """False at the time budget; raises Cancelled when asked to stop."""
        if self.should_stop and self.should_stop():
            raise Cancelled("stopped on request")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = "time_budget"
            return False
        return True

    def stepped(self, loss: float) -> None:
        self.step += 1
        self.work += self.size[0] * self.size[1]
        self.last_loss = loss
        if self.on_progress is None:
            return
        fraction = min(1.0, self.work / self.total_work)
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        if eta is not None and self.deadline is not None:
            eta = min(eta, max(0.0, self.deadline - time.monotonic()))
        self.on_progress(
            Progress(self.step, self.steps, fraction, eta, loss, self.scale, self.scales, self.size)
        )
