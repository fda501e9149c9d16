"""The optimiser's step, compiled once per objective: Adam in pixel units (the
default) and the value-and-gradient L-BFGS calls, plus Adam's learning-rate shape.

``Steps(objective)`` compiles an objective ``f(x, weights, content_t, second,
coefs) -> (loss, parts)`` — ``second`` is the Gram targets (the plain objective)
or a ``losses.Guide`` (regions) — into the three functions ``Engine`` calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from keras import ops

from engine.core import backend
from engine.core.backend import Tensor

ADAM_BETAS = (0.9, 0.99)  # KC's betas: a shorter second-moment memory than 0.999
ADAM_EPS = 1e-8


def adam_update(x: Tensor, m: Tensor, v: Tensor, t: Tensor, grad: Tensor,
                lr: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One clamped Adam step in pixel units."""
    b1, b2 = ADAM_BETAS
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * ops.square(grad)
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    x = ops.clip(x - lr * m_hat / (ops.sqrt(v_hat) + ADAM_EPS), 0.0, 255.0)
    return x, m, v


def learning_rate_at(peak: float, fraction: float, hold: float) -> float:
    """Adam's learning rate ``fraction`` (0-1) of the way through a scale: ``peak``
    for the first ``hold`` of it, then down to zero on a half cosine (the
    warmup-stable-decay shape, without the warmup: Adam's bias correction already
    keeps the first steps small).  Large steps held long find a lower basin than a
    rate that starts decaying at once, and the quick anneal settles the picture in
    it, so the last iterate is the answer (bench part b: docs/benchmarks.md)."""
    if fraction < hold:
        return peak
    decay = min(1.0, (fraction - hold) / (1.0 - hold))
    return peak * 0.5 * (1.0 + math.cos(math.pi * decay))


class Steps:
    """One objective's compiled functions: the Adam step, value-and-gradient (for
    L-BFGS) and the value."""

    def __init__(self, objective: Callable[..., tuple[Tensor, Tensor]]) -> None:
        value_and_grad = backend.value_and_grad(objective)

        def adam_step(x: Tensor, m: Tensor, v: Tensor, t: Tensor, weights: Sequence[Tensor],
                      content_t: Any, second: Any, coefs: Tensor,
                      lr: Tensor) -> tuple[Tensor, ...]:
            loss, parts, grad = value_and_grad(x, weights, content_t, second, coefs)
            return (*adam_update(x, m, v, t, grad, lr), loss, parts)

        self.adam_step = backend.compile(adam_step)
        self.value_and_grad = backend.compile(value_and_grad)
        self.objective = backend.compile(objective)
