"""Coarse-to-fine Gatys style transfer: the optimisation loop
(docs/architecture.md, "The engine").

``Engine`` holds what is expensive and reused across jobs - the VGG19 feature
net, the compiled steps and an LRU cache of style Gram targets - so a worker
builds one at start-up (``get_engine``: one per weights and pooling).
``Engine.stylize`` paints one picture:

1. plan the scales (``StyleParams.schedule``: ×√2 apart up to the output size),
   dropping coarse ones too small for VGG19 (a 16 px short side);
2. at each scale, measure the content features and the blended style Grams
   (each style at ``style_scale`` times the scale's size, recoloured to the
   photo first for ``color_mode="match"``), and start from the content or
   seeded noise at the first scale, from the previous result upscaled after;
3. optimise with Adam in pixel units, clamped to 0-255 every step, its learning
   rate held at ``learning_rate`` for the first ``lr_hold`` of each scale, then
   taken to zero on a half cosine so that the last iterate is the answer
   (``learning_rate_at``); or with SciPy's L-BFGS-B (bounded history, box
   constraints 0-255), keeping the best iterate;
4. report progress after every step (work weighted by pixels, with an ETA), ask
   ``should_stop`` before every step (Cancelled), and at the time budget stop
   with the picture so far; a budget also paces each scale's annealing by its
   share of the time left, so a scale cut short has still settled (the step
   accounting is engine.progress's ``Run``);
5. upscale the result to the output size; ``color_mode="keep"`` then puts the
   photo's colours back under the stylised luminance.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypedDict

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from engine import backend, colors, images, losses
from engine.backend import Tensor
from engine.errors import InvalidParams
from engine.images import RGB, Floats
from engine.model import CONTENT_LAYERS, STYLE_LAYERS, FeatureNet, feature_net
from engine.params import StyleParams
from engine.progress import ProgressFn, Run

Targets: TypeAlias = dict[str, Tensor]  # layer name -> content features or Gram matrix
StyleImages: TypeAlias = Sequence[tuple[RGB, float]]  # (painting, blend weight)
PreviewFn: TypeAlias = Callable[[RGB], None]

ADAM_BETAS = (0.9, 0.99)  # KC's betas: a shorter second-moment memory than 0.999
ADAM_EPS = 1e-8
GRAM_CACHE_SIZE = 64
MIN_VGG_SIDE = 16
DEFAULT_PARAMS = StyleParams()  # frozen, so a safe shared default


class Stats(TypedDict):
    """What a painting took, besides the picture (the worker stores it with the result)."""

    iterations: int  # steps done, over all scales
    seconds: float
    loss: float | None  # of the last step; None if none ran
    size: list[int]  # [width, height] of the output
    scales: list[list[int]]  # [width, height] per scale, coarse to fine
    backend: str
    device: str
    weights: str  # the weights' spec: "imagenet", "random" or a file
    stopped: str | None  # "time_budget" when the budget ended it early


@dataclass
class Result:
    image: RGB
    stats: Stats


def _adam_update(x: Tensor, m: Tensor, v: Tensor, t: Tensor, grad: Tensor,
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


class Engine:
    """The feature net and compiled steps for one weights file and pooling mode."""

    def __init__(self, weights: str | None = None, pooling: str = "max") -> None:
        self.net: FeatureNet = feature_net(weights, STYLE_LAYERS + CONTENT_LAYERS, pooling)
        self.backend = backend.name()
        self.device = backend.device()
        net = self.net

        def objective(x: Tensor, weights: Sequence[Tensor], content_t: Targets,
                      gram_t: Targets, coefs: Tensor) -> tuple[Tensor, Tensor]:
            return losses.objective(net, weights, x, content_t, gram_t, coefs)

        value_and_grad = backend.value_and_grad(objective)

        def adam_step(x: Tensor, m: Tensor, v: Tensor, t: Tensor, weights: Sequence[Tensor],
                      content_t: Targets, gram_t: Targets, coefs: Tensor,
                      lr: Tensor) -> tuple[Tensor, ...]:
            loss, parts, grad = value_and_grad(x, weights, content_t, gram_t, coefs)
            return (*_adam_update(x, m, v, t, grad, lr), loss, parts)

        def content_features(weights: Sequence[Tensor], x: Tensor) -> Targets:
            feats = net.features(weights, x)
            return {name: feats[name] for name in CONTENT_LAYERS}

        def style_grams(weights: Sequence[Tensor], x: Tensor) -> Targets:
            feats = net.features(weights, x)
            return {name: losses.gram(feats[name]) for name in STYLE_LAYERS}

        self._adam_step = backend.compile(adam_step)
        self._value_and_grad = backend.compile(value_and_grad)
        self._objective = backend.compile(objective)
        self._content_features = backend.compile(content_features)
        self._style_grams = backend.compile(style_grams)
        self._grams: OrderedDict[tuple[str, tuple[int, ...], int], Targets] = OrderedDict()

    # -- targets -------------------------------------------------------------
    def style_grams(self, style: RGB, side: int) -> Targets:
        """Gram targets of one style image at ``side`` px, cached (LRU)."""
        key = (hashlib.sha1(style.tobytes()).hexdigest(), style.shape, side)
        if key in self._grams:
            self._grams.move_to_end(key)
            return self._grams[key]
        grams: Targets = self._style_grams(self.net.weights,
                                           _batch(_resize_for_vgg(style, side)))
        self._grams[key] = grams
        if len(self._grams) > GRAM_CACHE_SIZE:
            self._grams.popitem(last=False)
        return grams

    def targets(self, content: RGB, styles: StyleImages, params: StyleParams,
                side: int) -> tuple[Targets, Targets]:
        """Content features and blended Gram targets for a scale of ``side`` px."""
        content_t: Targets = self._content_features(self.net.weights, _batch(content))
        style_side = max(MIN_VGG_SIDE, round(side * params.style_scale))
        grams = [self.style_grams(image, style_side) for image, _ in styles]
        return content_t, losses.blend_grams(grams, [w for _, w in styles])

    def coefs(self, params: StyleParams) -> Tensor:
        return ops.convert_to_tensor(
            [params.content_weight, params.style_weight * params.strength, params.tv_weight],
            dtype="float32",
        )

    def evaluate(self, image: RGB | Floats, content: RGB, styles: StyleImages,
                 params: StyleParams) -> dict[str, float]:
        """The objective of ``image`` against ``content`` at ``image``'s size."""
        h, w = image.shape[:2]
        content = images.resize_to(content, w, h)
        styles = _prepare_styles(styles, content, params)
        content_t, gram_t = self.targets(content, styles, params, max(h, w))
        total, parts = self._objective(
            _batch(image), self.net.weights, content_t, gram_t, self.coefs(params)
        )
        c, s, tv = (float(p) for p in np.asarray(parts))
        return {"total": float(total), "content": c, "style": s, "tv": tv}

    # -- the optimisation ------------------------------------------------------
    def stylize(
        self,
        content: RGB,
        styles: StyleImages,
        params: StyleParams = DEFAULT_PARAMS,
        on_progress: ProgressFn | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_preview: PreviewFn | None = None,
        preview_every: int = 50,
    ) -> Result:
        """Repaint ``content`` (H×W×3 uint8) in the blend of ``styles`` ((image, weight)…)."""
        if not styles:
            raise InvalidParams("at least one style is needed")
        if any(w <= 0 for _, w in styles):
            raise InvalidParams("style blend weights must be positive")
        started = time.monotonic()
        deadline = started + params.time_budget_s if params.time_budget_s else None
        styles = _prepare_styles(styles, content, params)
        plan, sizes = _plan_sizes(params, content.shape[1], content.shape[0])
        full_w, full_h = sizes[-1]
        total_work = sum(n * w * h for (_, n), (w, h) in zip(plan, sizes, strict=True))
        run = Run(plan, total_work, started, on_progress, should_stop, deadline)

        x: Floats | None = None
        for scale, ((side, iterations), (w, h)) in enumerate(zip(plan, sizes, strict=True), 1):
            scaled = images.resize_to(content, w, h)
            if x is None:
                x = _initial_image(scaled, params)
            else:
                x = images.resize_to(x, w, h)
            content_t, gram_t = self.targets(scaled, styles, params, side)
            run.begin_scale(scale, (w, h))
            optimise = self._adam if params.optimizer == "adam" else self._lbfgs
            x = optimise(x, iterations, content_t, gram_t, params, run, on_preview, preview_every)
            if run.stopped:
                break

        assert x is not None  # the plan has at least one scale
        out = images.to_uint8(images.resize_to(x, full_w, full_h))
        if params.color_mode == "keep":
            out = colors.keep_luminance(out, images.resize_to(content, full_w, full_h))
        return Result(
            image=out,
            stats={
                "iterations": run.step,
                "seconds": round(time.monotonic() - started, 3),
                "loss": run.last_loss,
                "size": [full_w, full_h],
                "scales": [list(s) for s in sizes],
                "backend": self.backend,
                "device": self.device,
                "weights": self.net.spec,
                "stopped": run.stopped,
            },
        )

    def _adam(self, x: Floats, iterations: int, content_t: Targets, gram_t: Targets,
              params: StyleParams, run: Run, on_preview: PreviewFn | None,
              preview_every: int) -> Floats:
        coefs = self.coefs(params)
        xt = _batch(x)
        m, v = ops.zeros_like(xt), ops.zeros_like(xt)
        for t in range(1, iterations + 1):
            if not run.may_continue():
                break
            fraction = run.scale_fraction(t - 1, iterations)
            lr = learning_rate_at(params.learning_rate, fraction, params.lr_hold)
            xt, m, v, loss, _ = self._adam_step(
                xt, m, v, ops.convert_to_tensor(t, "float32"),
                self.net.weights, content_t, gram_t, coefs,
                ops.convert_to_tensor(lr, "float32"),
            )
            run.stepped(float(loss))
            if on_preview and run.step % preview_every == 0:
                on_preview(images.to_uint8(_unbatch(xt)))
        return _unbatch(xt)

    def _lbfgs(self, x: Floats, iterations: int, content_t: Targets, gram_t: Targets,
               params: StyleParams, run: Run, on_preview: PreviewFn | None,
               preview_every: int) -> Floats:
        from scipy.optimize import Bounds, minimize

        coefs = self.coefs(params)
        shape = (1, *x.shape)
        best_loss, best_x = np.inf, x.astype(np.float32)
        first_step = run.step

        def fun(flat: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
            nonlocal best_loss, best_x
            # SciPy may overrun maxfun inside a line search; the plan is exact.
            if run.step - first_step >= iterations or not run.may_continue():
                raise _Stop
            xt = ops.convert_to_tensor(flat.reshape(shape), dtype="float32")
            loss, _, grad = self._value_and_grad(
                xt, self.net.weights, content_t, gram_t, coefs
            )
            loss = float(loss)
            if loss < best_loss:
                best_loss, best_x = loss, flat.reshape(x.shape).astype(np.float32)
            run.stepped(loss)
            if on_preview and run.step % preview_every == 0:
                on_preview(images.to_uint8(best_x))
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


def _vgg_fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    """``fit_within``, but never a short side under MIN_VGG_SIDE (VGG19 pools 4 times
    before block5_conv1: a smaller picture has no pixels left there)."""
    w, h = images.fit_within(width, height, long_side)
    if min(w, h) < MIN_VGG_SIDE:
        w, h = images.fit_within(width, height, math.ceil(
            long_side * MIN_VGG_SIDE / min(w, h)))
    return w, h


def _resize_for_vgg(image: RGB, long_side: int) -> RGB:
    return images.resize_to(image, *_vgg_fit(image.shape[1], image.shape[0], long_side))


def _plan_sizes(params: StyleParams, width: int,
                height: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The schedule's scales as (w, h), dropping coarse scales too small for VGG19.

    A very narrow picture gets a longer long side than asked rather than a crash.
    """
    plan = params.schedule()
    kept = [(side, n) for i, (side, n) in enumerate(plan) if i == len(plan) - 1
            or min(images.fit_within(width, height, side)) >= MIN_VGG_SIDE]
    return kept, [_vgg_fit(width, height, side) for side, _ in kept]


def _prepare_styles(styles: StyleImages, content: RGB,
                    params: StyleParams) -> list[tuple[RGB, float]]:
    if params.color_mode == "match":
        return [(colors.match_colors(image, content), w) for image, w in styles]
    return list(styles)


def _initial_image(content: RGB, params: StyleParams) -> Floats:
    if params.init == "content":
        return content.astype(np.float32)
    rng = np.random.default_rng(params.seed)
    return rng.uniform(0, 255, content.shape).astype(np.float32)


def _batch(image: npt.ArrayLike) -> Tensor:
    return ops.convert_to_tensor(np.asarray(image, dtype=np.float32)[None], dtype="float32")


def _unbatch(tensor: Tensor) -> Floats:
    image: Floats = np.asarray(keras.ops.convert_to_numpy(tensor))[0]
    return image


_engines: dict[tuple[str | None, str], Engine] = {}


def get_engine(weights: str | None = None, pooling: str = "max") -> Engine:
    """One Engine per weights and pooling per process (VGG19 loads once)."""
    key = (weights, pooling)
    if key not in _engines:
        _engines[key] = Engine(weights, pooling)
    return _engines[key]

