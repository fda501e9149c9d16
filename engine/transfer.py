"""Coarse-to-fine Gatys style transfer: the optimisation loop.

``Engine`` holds what is expensive and reused across jobs - the VGG19
feature net, the compiled steps and a cache of style Gram targets - so a
worker builds one at start-up.  ``stylize`` runs one picture:

1. plan the scales (``StyleParams.schedule``: ×√2 apart up to the output size);
2. at each scale, measure the content features and the style Grams at that
   scale (Grams cached per style image, size and net), start from the content
   (or seeded noise) or the upscaled previous result, and optimise with Adam
   (KC's recipe: clamp each step, output the moving average of the iterates)
   or L-BFGS (SciPy's L-BFGS-B, bounded history, box constraints 0-255);
3. report progress every step, poll ``should_stop`` every step, and stop at
   the time budget with the best picture so far, upscaled to the output size.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
from keras import ops

from engine import backend, colors, images, losses
from engine.errors import Cancelled, InvalidParams
from engine.model import CONTENT_LAYERS, STYLE_LAYERS, FeatureNet, feature_net
from engine.params import StyleParams

ADAM_BETAS = (0.9, 0.99)  # KC's betas: a shorter second-moment memory than 0.999
ADAM_EPS = 1e-8
GRAM_CACHE_SIZE = 64
MIN_VGG_SIDE = 16
DEFAULT_PARAMS = StyleParams()  # frozen, so a safe shared default


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


@dataclass
class Result:
    image: np.ndarray  # H×W×3 uint8
    stats: dict = field(default_factory=dict)


def _adam_update(x, m, v, t, grad, lr):
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

    def __init__(self, weights: str | None = None, pooling: str = "max"):
        self.net: FeatureNet = feature_net(weights, STYLE_LAYERS + CONTENT_LAYERS, pooling)
        self.backend = backend.name()
        self.device = backend.device()
        net = self.net

        def objective(x, weights, content_t, gram_t, coefs):
            return losses.objective(net, weights, x, content_t, gram_t, coefs)

        value_and_grad = backend.value_and_grad(objective)

        def adam_step(x, m, v, t, weights, content_t, gram_t, coefs, lr):
            loss, parts, grad = value_and_grad(x, weights, content_t, gram_t, coefs)
            return (*_adam_update(x, m, v, t, grad, lr), loss, parts)

        def content_features(weights, x):
            feats = net.features(weights, x)
            return {name: feats[name] for name in CONTENT_LAYERS}

        def style_grams(weights, x):
            feats = net.features(weights, x)
            return {name: losses.gram(feats[name]) for name in STYLE_LAYERS}

        self._adam_step = backend.compile(adam_step)
        self._value_and_grad = backend.compile(value_and_grad)
        self._objective = backend.compile(objective)
        self._content_features = backend.compile(content_features)
        self._style_grams = backend.compile(style_grams)
        self._grams: OrderedDict[tuple, dict] = OrderedDict()

    # -- targets -------------------------------------------------------------
    def style_grams(self, style: np.ndarray, side: int) -> dict:
        """Gram targets of one style image at ``side`` px, cached (LRU)."""
        key = (hashlib.sha1(style.tobytes()).hexdigest(), style.shape, side)
        if key in self._grams:
            self._grams.move_to_end(key)
            return self._grams[key]
        grams = self._style_grams(self.net.weights, _batch(_resize_for_vgg(style, side)))
        self._grams[key] = grams
        if len(self._grams) > GRAM_CACHE_SIZE:
            self._grams.popitem(last=False)
        return grams

    def targets(self, content, styles, params: StyleParams, side: int):
        """Content features and blended Gram targets for a scale of ``side`` px."""
        content_t = self._content_features(self.net.weights, _batch(content))
        style_side = max(16, round(side * params.style_scale))
        grams = [self.style_grams(image, style_side) for image, _ in styles]
        return content_t, losses.blend_grams(grams, [w for _, w in styles])

    def coefs(self, params: StyleParams):
        return ops.convert_to_tensor(
            [params.content_weight, params.style_weight * params.strength, params.tv_weight],
            dtype="float32",
        )

    def evaluate(self, image, content, styles, params: StyleParams) -> dict:
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
        content: np.ndarray,
        styles: Sequence[tuple[np.ndarray, float]],
        params: StyleParams = DEFAULT_PARAMS,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_preview: Callable[[np.ndarray], None] | None = None,
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
        run = _Run(plan, total_work, started, on_progress, should_stop, deadline)

        x = None
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

    def _adam(self, x, iterations, content_t, gram_t, params, run, on_preview, preview_every):
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

    def _lbfgs(self, x, iterations, content_t, gram_t, params, run, on_preview, preview_every):
        from scipy.optimize import Bounds, minimize

        coefs = self.coefs(params)
        shape = (1, *x.shape)
        best = {"loss": np.inf, "x": x.astype(np.float32)}
        first_step = run.step

        def fun(flat):
            # SciPy may overrun maxfun inside a line search; the plan is exact.
            if run.step - first_step >= iterations or not run.may_continue():
                raise _Stop
            xt = ops.convert_to_tensor(flat.reshape(shape), dtype="float32")
            loss, _, grad = self._value_and_grad(
                xt, self.net.weights, content_t, gram_t, coefs
            )
            loss = float(loss)
            if loss < best["loss"]:
                best.update(loss=loss, x=flat.reshape(x.shape).astype(np.float32))
            run.stepped(loss)
            if on_preview and run.step % preview_every == 0:
                on_preview(images.to_uint8(best["x"]))
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
        return best["x"]


class _Stop(Exception):
    """Unwinds SciPy's minimiser at the time budget or the planned step count."""


class _Run:
    """Step accounting across scales: progress, ETA, cancel and deadline."""

    def __init__(self, plan, total_work, started, on_progress, should_stop, deadline):
        self.steps = sum(n for _, n in plan)
        self.scales = len(plan)
        self.total_work = total_work
        self.started = started
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.deadline = deadline
        self.step, self.work = 0, 0
        self.last_loss = None
        self.stopped: str | None = None
        self.scale, self.size = 0, (0, 0)

    def begin_scale(self, scale, size):
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

    def stepped(self, loss: float):
        self.step += 1
        self.work += self.size[0] * self.size[1]
        self.last_loss = loss
        if self.on_progress is None:
            return
        fraction = min(1.0, self.work / self.total_work)
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        if self.deadline is not None:
            eta = min(eta, max(0.0, self.deadline - time.monotonic()))
        self.on_progress(
            Progress(self.step, self.steps, fraction, eta, loss, self.scale, self.scales, self.size)
        )


def _vgg_fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    """``fit_within``, but never a short side under MIN_VGG_SIDE (VGG19 pools 4 times
    before block5_conv1: a smaller picture has no pixels left there)."""
    w, h = images.fit_within(width, height, long_side)
    if min(w, h) < MIN_VGG_SIDE:
        w, h = images.fit_within(width, height, math.ceil(
            long_side * MIN_VGG_SIDE / min(w, h)))
    return w, h


def _resize_for_vgg(image: np.ndarray, long_side: int) -> np.ndarray:
    return images.resize_to(image, *_vgg_fit(image.shape[1], image.shape[0], long_side))


def _plan_sizes(params: StyleParams, width: int, height: int):
    """The schedule's scales as (w, h), dropping coarse scales too small for VGG19.

    A very narrow picture gets a longer long side than asked rather than a crash.
    """
    plan = params.schedule()
    kept = [(side, n) for i, (side, n) in enumerate(plan) if i == len(plan) - 1
            or min(images.fit_within(width, height, side)) >= MIN_VGG_SIDE]
    return kept, [_vgg_fit(width, height, side) for side, _ in kept]


def _prepare_styles(styles, content, params: StyleParams):
    if params.color_mode == "match":
        return [(colors.match_colors(image, content), w) for image, w in styles]
    return list(styles)


def _initial_image(content: np.ndarray, params: StyleParams) -> np.ndarray:
    if params.init == "content":
        return content.astype(np.float32)
    rng = np.random.default_rng(params.seed)
    return rng.uniform(0, 255, content.shape).astype(np.float32)


def _batch(image):
    return ops.convert_to_tensor(np.asarray(image, dtype=np.float32)[None], dtype="float32")


def _unbatch(tensor) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor))[0]


_engines: dict[tuple, Engine] = {}


def get_engine(weights: str | None = None, pooling: str = "max") -> Engine:
    """One Engine per weights and pooling per process (VGG19 loads once)."""
    key = (weights, pooling)
    if key not in _engines:
        _engines[key] = Engine(weights, pooling)
    return _engines[key]


def stylize(content, styles, params: StyleParams = DEFAULT_PARAMS, on_progress=None,
            should_stop=None, on_preview=None, preview_every: int = 50) -> Result:
    """Module-level entry point: ``engine.stylize`` with the process's shared Engine."""
    return get_engine(pooling=params.pooling).stylize(
        content, styles, params, on_progress, should_stop, on_preview, preview_every
    )
