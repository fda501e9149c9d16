"""One scale's optimisation (docs/architecture.md, "The engine"): Adam in pixel units,
or SciPy's L-BFGS-B keeping its best iterate, on the steps ``Engine`` picked for the
scale - the whole picture's (engine.core.steps) or the blocks' (engine.core.block_steps),
which share one interface.

``Scale`` is what both loops need of the scale: the compiled steps, their targets and
weights, the loss's coefficients, and the run's accounting (engine.core.progress).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from engine.core.backend import Tensor
from engine.core.progress import Run
from engine.core.steps import learning_rate_at
from engine.media import images
from engine.media.images import RGB, Floats
from engine.params import StyleParams

PreviewFn = Callable[[RGB], None]


class StepFunctions(Protocol):
    """``Steps`` and ``BlockSteps``: what the loops call."""

    def adam_step(self, x: Tensor, m: Tensor, v: Tensor, t: Tensor, weights: Sequence[Tensor],
                  content_t: Any, second: Any, coefs: Tensor,
                  lr: Tensor) -> tuple[Tensor, ...]: ...

    def value_and_grad(self, x: Tensor, weights: Sequence[Tensor], content_t: Any,
                       second: Any, coefs: Tensor) -> tuple[Tensor, Tensor, Tensor]: ...


@dataclass(frozen=True)
class Scale:
    steps: StepFunctions
    weights: Sequence[Tensor]
    targets: tuple[Any, Any]  # (content targets, Gram targets or a losses.Guide)
    coefs: Tensor
    run: Run
    on_preview: PreviewFn | None
    preview_every: int


def adam(x: Floats, iterations: int, scale: Scale, params: StyleParams,
         pace: Floats | None = None) -> Floats:
    """Adam; ``pace`` (1×H×W×1) scales its step per pixel (regions.pace)."""
    run = scale.run
    pace_t = None if pace is None else tensor(pace)
    xt = batch(x)
    m, v = ops.zeros_like(xt), ops.zeros_like(xt)
    for t in range(1, iterations + 1):
        if not run.may_continue():
            break
        fraction = run.scale_fraction(t - 1, iterations)
        lr = ops.convert_to_tensor(
            learning_rate_at(params.learning_rate, fraction, params.lr_hold), "float32")
        xt, m, v, loss, _ = scale.steps.adam_step(
            xt, m, v, ops.convert_to_tensor(t, "float32"), scale.weights, *scale.targets,
            scale.coefs, lr if pace_t is None else lr * pace_t,
        )
        run.stepped(float(loss))
        if scale.on_preview and run.step % scale.preview_every == 0:
            scale.on_preview(images.to_uint8(unbatch(xt)))
    return unbatch(xt)


def lbfgs(x: Floats, iterations: int, scale: Scale, params: StyleParams) -> Floats:
    """SciPy's L-BFGS-B (bounded history, box constraints 0-255); the best iterate."""
    from scipy.optimize import Bounds, minimize

    run = scale.run
    shape = (1, *x.shape)
    best_loss, best_x = np.inf, x.astype(np.float32)
    first_step = run.step

    def fun(flat: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        nonlocal best_loss, best_x
        # SciPy may overrun maxfun inside a line search; the plan is exact.
        if run.step - first_step >= iterations or not run.may_continue():
            raise _Stop
        xt = ops.convert_to_tensor(flat.reshape(shape), dtype="float32")
        loss, _, grad = scale.steps.value_and_grad(xt, scale.weights, *scale.targets,
                                                   scale.coefs)
        loss = float(loss)
        if loss < best_loss:
            best_loss, best_x = loss, flat.reshape(x.shape).astype(np.float32)
        run.stepped(loss)
        if scale.on_preview and run.step % scale.preview_every == 0:
            scale.on_preview(images.to_uint8(best_x))
        return loss, np.asarray(grad, dtype=np.float64).ravel()

    try:
        minimize(
            fun, x.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
            bounds=Bounds(0.0, 255.0),
            options={"maxiter": iterations, "maxfun": iterations,
                     "maxcor": params.lbfgs_history},
        )
    except _Stop:
        pass
    return best_x


class _Stop(Exception):
    """Unwinds SciPy's minimiser at the time budget or the planned step count."""


def tensor(array: npt.ArrayLike) -> Tensor:
    return ops.convert_to_tensor(np.asarray(array, dtype=np.float32), dtype="float32")


def batch(image: npt.ArrayLike) -> Tensor:
    return tensor(np.asarray(image, dtype=np.float32)[None])


def unbatch(t: Tensor) -> Floats:
    image: Floats = np.asarray(keras.ops.convert_to_numpy(t))[0]
    return image
