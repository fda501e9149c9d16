"""Engine benchmarks (docs/architecture.md, "Benchmarks"): step overhead, time to quality,
TF vs JAX.

    .venv/bin/python -m bench.engine_speed                  # a, b, c: ~25 min on 2 CPU cores
    .venv/bin/python -m bench.engine_speed --parts a,c      # overhead and backends only
    .venv/bin/python -m bench.engine_speed --backend jax --parts b --size 96
    .venv/bin/python -m bench.engine_speed --parts x        # what-if Lienzo variants
    .venv/bin/python -m bench.engine_speed --tables-only    # tables + docs from the JSON
    .venv/bin/python -m bench.engine_speed --quick          # smoke test, ~5 min
    .venv/bin/python -m bench.engine_speed --parts b --look-only --no-docs \
        --json bench/results/engine-look.json               # from the photo vs the look

Parts (each backend runs in its own subprocess, KERAS_BACKEND set before keras loads):

a) overhead: one compiled Adam step of the Engine (``Engine._plain.adam_step``, driven as
   ``Engine._adam`` drives it) ÷ a bare compiled VGG19 forward+backward to the same
   depth (gradient of the sum of the same net's outputs w.r.t. the input, through
   ``engine.core.backend.value_and_grad`` + ``engine.core.backend.compile``), interleaved
   repeats, fastest chunk of each kind (noise only adds time).  Also the objective's
   value-and-gradient alone and the whole ``Engine.stylize`` loop's time per step.
b) time to quality: the JJ objective (content 5, style 100, tv 1e-3) on seeded random
   VGG19 weights; full-resolution-equivalent evaluations and seconds each method
   needs to reach a target loss.  Lienzo runs through ``Engine.stylize``; the
   baselines are re-implemented below on ``Engine._plain.value_and_grad``.  Each
   preset runs twice: from the photo, and from the first look (``init=look``, the
   look of engine.look as ``start``; issue 25), so the two can be compared on the
   same pair (``--look-only``: just those runs, ~4 min a pair at 128 px).
c) backends: seconds per step, TensorFlow vs JAX (from the part-a workers, run
   alternately so drift hits both).
x) what-if: Lienzo variants that are not presets (the peak learning rate, two scales
   instead of one), on part b's loss.

Results: Markdown tables on stdout, the generated block of docs/benchmarks.md, and
the raw numbers (curves included) in bench/results/engine.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np

from bench import common

BACKENDS = ("tensorflow", "jax")
NOMINAL_SIZE = 512  # the presets are tuned for a 512 px output; part b scales them down
LOOK_BUDGETS = (10, 30, 100)  # part b, first look: the losses shown after so many evaluations


class Weights(TypedDict):
    content_weight: float
    style_weight: float
    tv_weight: float


JJ: Weights = {"content_weight": 5.0, "style_weight": 100.0, "tv_weight": 1e-3}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# =============================================================================
# workers (run inside a subprocess with KERAS_BACKEND set)
# =============================================================================
def _setup_worker():
    os.environ.setdefault("LIENZO_VGG19_WEIGHTS", "random")
    import keras

    from engine import config
    from engine.core.transfer import Engine

    settings = config.load()
    t0 = time.perf_counter()
    e = Engine(settings.weights, gpu=settings.gpu, keras_home=settings.keras_home)
    log(f"[{keras.backend.backend()}] Engine built in {time.perf_counter() - t0:.1f}s "
        f"({e.device}, weights={e.net.spec})")
    return e


def _to_numpy(t):
    from keras import ops

    return np.asarray(ops.convert_to_numpy(t))


def bare_step(e):
    """Compiled value-and-grad of sum(all of the net's outputs) w.r.t. the input."""
    from keras import ops

    from engine.core import backend

    net = e.net

    def f(x, weights):
        feats = net.features(weights, x)
        total = sum(ops.sum(v) for v in feats.values())
        return total, total

    return backend.compile(backend.value_and_grad(f))


def worker_overhead(args) -> dict:
    from keras import ops

    from engine.core.steps import learning_rate_at
    from engine.params import StyleParams

    e = _setup_worker()
    content, style = common.pictures(args.photo, args.style)
    bare = bare_step(e)
    out = {"backend": e.backend, "device": e.device, "sizes": {}}
    for size in args.overhead_sizes:
        params = StyleParams(size=size, **JJ)
        inputs = common.adam_inputs(e, content, style, params, size)
        x0, ct, gt, coefs = (inputs[k] for k in ("x", "ct", "gt", "coefs"))
        w, h = inputs["size"]
        state = {"x": x0, "m": ops.zeros_like(x0), "v": ops.zeros_like(x0), "t": 0}

        def adam_chunk(n, state=state, ct=ct, gt=gt, coefs=coefs, params=params):
            # Exactly what Engine._adam does per iteration, minus the callbacks.
            t0 = time.perf_counter()
            for _ in range(n):
                state["t"] += 1
                # the learning rate as Engine._adam computes and passes it each step
                # (its value does not change the step's cost)
                lr = learning_rate_at(params.learning_rate, state["t"] / 1000, params.lr_hold)
                x, m, v, loss, _ = e._plain.adam_step(
                    state["x"], state["m"], state["v"],
                    ops.convert_to_tensor(state["t"], "float32"),
                    e.net.weights, ct, gt, coefs, ops.convert_to_tensor(lr, "float32"),
                )
                float(loss)
                state.update(x=x, m=m, v=v)
            _to_numpy(state["x"])
            return (time.perf_counter() - t0) / n

        def bare_chunk(n, x0=x0):
            t0 = time.perf_counter()
            for _ in range(n):
                loss, _, grad = bare(x0, e.net.weights)
                float(loss)
            _to_numpy(grad)
            return (time.perf_counter() - t0) / n

        def vg_chunk(n, x0=x0, ct=ct, gt=gt, coefs=coefs):
            # the objective's value and gradient alone: splits the step's extra time
            # into the loss (Grams, MSE, TV) and the Adam update + call plumbing
            t0 = time.perf_counter()
            for _ in range(n):
                loss, _, grad = e._plain.value_and_grad(x0, e.net.weights, ct, gt, coefs)
                float(loss)
            _to_numpy(grad)
            return (time.perf_counter() - t0) / n

        def loop_chunk(n, params=params, size=size):
            # A real Engine.stylize run at one scale: the time between its first and
            # last progress callbacks covers n whole iterations of its loop.
            stamps = []
            e.stylize(content, [(style, 1.0)], params.replace(iterations=n + 1, min_side=size),
                      on_progress=lambda p: stamps.append(time.perf_counter()))
            return (stamps[-1] - stamps[0]) / n

        t0 = time.perf_counter()
        adam_chunk(1)
        t1 = time.perf_counter()
        bare_chunk(1)
        t2 = time.perf_counter()
        compile_s = {"adam_step": t1 - t0, "bare": t2 - t1}
        vg_chunk(1)
        loop_chunk(1)
        adam_chunk(1)
        bare_chunk(1)  # second calls: any lazy one-off work
        vg_chunk(1)
        times: dict[str, list[float]] = {"adam": [], "bare": [], "vg": [], "loop": []}
        for rep in range(args.reps):
            order = (("adam", adam_chunk), ("bare", bare_chunk), ("vg", vg_chunk),
                     ("loop", loop_chunk))
            for name, fn in order if rep % 2 == 0 else order[::-1]:
                times[name].append(fn(args.chunk))
        loop = times["loop"]

        adam, bare_s = statistics.median(times["adam"]), statistics.median(times["bare"])
        ratios = [a / b for a, b in zip(times["adam"], times["bare"], strict=True)]
        out["sizes"][str(size)] = {
            "size": [w, h],
            "adam_s": adam, "bare_s": bare_s, "ratio": adam / bare_s,
            "ratio_median_of_pairs": statistics.median(ratios),
            "vg_s": statistics.median(times["vg"]),
            "vg_ratio": statistics.median(
                [a / b for a, b in zip(times["vg"], times["bare"], strict=True)]),
            "vg_all": times["vg"],
            "loop_s": statistics.median(loop) if loop else None,
            "adam_all": times["adam"], "bare_all": times["bare"], "loop_all": loop,
            "compile_s": compile_s,
        }
        log(f"[{e.backend}] {size}px: adam {adam * 1e3:.1f} ms, bare {bare_s * 1e3:.1f} ms, "
            f"ratio {adam / bare_s:.3f}, stylize loop {statistics.median(loop) * 1e3:.1f} ms")
    return out


# -- part b ---------------------------------------------------------------------
def scaled_params(quality: str, size: int, **changes):
    """A preset with its sizes scaled from a 512 px output to ``size``: same number of
    ×√2 scales and the same iterations per scale, smaller pictures."""
    from engine.params import StyleParams

    n = len(StyleParams(size=NOMINAL_SIZE, quality=quality).schedule())
    min_side = max(16, math.floor(size / 2 ** ((n - 1) / 2)) - 1)
    params = StyleParams(size=size, quality=quality, min_side=min_side, **JJ).replace(**changes)
    side = params.min_side
    if side is None:
        return params
    while len(params.schedule()) > n:
        side += 1
        params = params.replace(min_side=side)
    while len(params.schedule()) < n and side > 16:
        side -= 1
        params = params.replace(min_side=side)
    return params


@dataclass
class Tally:
    """What ``Quality.lienzo``'s callbacks count during one run."""

    evals: float = 0.0  # full-size evaluations' worth of work
    steps: int = 0
    measure: float = 0.0  # seconds spent measuring previews (not the method's time)
    iterate_loss: float | None = None


class Quality:
    """Shared state of part b: one engine, one loss at one final size."""

    def __init__(self, e, content, style, size, every, baseline_every):
        from engine.media import images
        from engine.params import StyleParams

        self.e, self.style, self.every, self.baseline_every = e, style, every, baseline_every
        self.params = StyleParams(size=size, **JJ)
        self.w, self.h = images.fit_within(content.shape[1], content.shape[0], size)
        self.content_full = images.resize_to(content, self.w, self.h)
        self.content = content
        self.ct, self.gt = e.targets(self.content_full, [(style, 1.0)], self.params, size)
        self.coefs = e.coefs(self.params)

    def loss(self, image) -> float:
        """The objective of an H×W×3 picture (uint8, or float 0-255) at the final size."""
        from engine.core.optimisers import batch as _batch

        total, _ = self.e._plain.objective(_batch(np.asarray(image, np.float32)),
                                           self.e.net.weights, self.ct, self.gt, self.coefs)
        return float(total)

    def value_and_grad(self, x):
        from engine.core.optimisers import batch as _batch

        loss, _, grad = self.e._plain.value_and_grad(_batch(x), self.e.net.weights, self.ct,
                                                     self.gt, self.coefs)
        return float(loss), _to_numpy(grad)[0].astype(np.float32)

    # -- Lienzo, through Engine.stylize --------------------------------------------
    def lienzo(self, name, params, picture=None) -> dict:
        """``Engine.stylize`` with ``params``; ``picture``: its ``start`` (the first look,
        for ``init=look``), whose loss is the curve's first point."""
        from engine.media import images

        e, W, H = self.e, self.w, self.h
        e.stylize(self.content, [(self.style, 1.0)], params.replace(iterations=1),
                  start=picture)  # compile
        getattr(e, "_grams", {}).clear()  # fair: Grams measured inside the timed run
        st = Tally()
        first = self.content_full if picture is None else images.resize_to(picture, W, H)
        curve = [{"step": 0, "evals": 0.0, "seconds": 0.0,
                  "loss": self.loss(images.to_uint8(first))}]

        def on_progress(p):
            st.evals += p.size[0] * p.size[1] / (W * H)
            st.steps = p.step
            st.iterate_loss = p.loss if p.scale == p.scales else None

        def on_preview(img):
            t0 = time.perf_counter()
            loss = self.loss(images.resize_to(img, W, H))
            curve.append({"step": st.steps, "evals": st.evals,
                          "seconds": t0 - start - st.measure, "loss": loss})
            st.measure += time.perf_counter() - t0

        start = time.perf_counter()
        result = e.stylize(self.content, [(self.style, 1.0)], params, on_progress=on_progress,
                           on_preview=on_preview, preview_every=self.every, start=picture)
        seconds = time.perf_counter() - start - st.measure
        final = self.loss(result.image)
        curve.append({"step": st.steps, "evals": st.evals, "seconds": seconds,
                      "loss": final})
        plan = params.schedule()
        log(f"  {name}: {st.steps} steps, {st.evals:.0f} evals, {seconds:.0f}s, "
            f"loss {final:.4g} (last iterate {st.iterate_loss})")
        return {"name": name, "kind": "lienzo", "optimizer": params.optimizer,
                "quality": params.quality, "init": params.init,
                "start": "photo" if picture is None else "look", "schedule": plan,
                "steps": st.steps,
                "evals": st.evals, "seconds": seconds, "final_loss": final,
                "last_iterate_loss": st.iterate_loss, "curve": curve}

    # -- the baselines ----------------------------------------------------------------
    def baseline(self, name, x0, steps, update, note="", output=None) -> dict:
        """Plain loop: one full-size evaluation per step; ``update(x, grad, i) -> x``;
        ``output(x)``: the picture the method returns at that point (default ``x``)."""
        from engine.media import images

        curve = [{"step": 0, "evals": 0, "seconds": 0.0, "loss": self.loss(images.to_uint8(x0))}]
        blow_up = 100 * curve[0]["loss"]
        x = x0.astype(np.float32)
        measure, diverged = 0.0, None
        start = time.perf_counter()
        for i in range(steps):
            loss, grad = self.value_and_grad(x)
            if not (np.isfinite(loss) and np.all(np.isfinite(grad))) or loss > blow_up:
                diverged = i  # NaN/inf, or 100× the starting loss: no point going on
                curve.append({"step": i, "evals": i, "seconds": time.perf_counter() - start
                              - measure, "loss": self.loss(images.to_uint8(x))})
                break
            x = update(x, grad, i).astype(np.float32)
            if (i + 1) % self.baseline_every == 0 or i + 1 == steps:
                t0 = time.perf_counter()
                picture = output(x) if output else x
                curve.append({"step": i + 1, "evals": i + 1, "seconds": t0 - start - measure,
                              "loss": self.loss(images.to_uint8(picture))})
                measure += time.perf_counter() - t0
        final = curve[-1]["loss"]
        log(f"  {name}: {curve[-1]['step']} steps, {curve[-1]['seconds']:.0f}s, loss {final:.4g}"
            + (f", diverged at step {diverged}" if diverged is not None else ""))
        return {"name": name, "kind": "baseline", "steps": curve[-1]["step"],
                "evals": curve[-1]["evals"], "seconds": curve[-1]["seconds"],
                "final_loss": final, "diverged_at": diverged, "note": note, "curve": curve}

    def keras_io_loss_grad(self, x):
        """The keras-io example's own loss (its weights and normalisation, block5_conv2
        content) on the same random VGG19, at our size: only for its first-step size."""
        from keras import ops

        from engine.core import backend
        from engine.core.model import STYLE_LAYERS, feature_net
        from engine.core.optimisers import batch as _batch
        from engine.media import images

        net = feature_net(self.e.net.spec, STYLE_LAYERS + ("block5_conv2",), "max")
        H, W = self.h, self.w
        size = H * W

        def raw_gram(f):
            flat = ops.reshape(f, (-1, f.shape[-1]))
            return ops.matmul(ops.transpose(flat), flat)

        def loss_fn(img, weights, content_f, style_g):
            feats = net.features(weights, img)
            loss = 2.5e-8 * ops.sum(ops.square(feats["block5_conv2"] - content_f))
            for name in STYLE_LAYERS:
                sl = ops.sum(ops.square(style_g[name] - raw_gram(feats[name])))
                loss = loss + (1e-6 / len(STYLE_LAYERS)) * sl / (4.0 * 9 * size**2)
            a = ops.square(img[:, : H - 1, : W - 1, :] - img[:, 1:, : W - 1, :])
            b = ops.square(img[:, : H - 1, : W - 1, :] - img[:, : H - 1, 1:, :])
            loss = loss + 1e-6 * ops.sum(ops.power(a + b + 1e-12, 1.25))
            return loss, loss

        # keras-io resizes the style picture to the content's size (aspect not kept).
        style_f = net.features(net.weights, _batch(images.resize_to(self.style, W, H)))
        style_g = {name: raw_gram(style_f[name]) for name in STYLE_LAYERS}
        content_f = net.features(net.weights, _batch(self.content_full))["block5_conv2"]
        vg = backend.compile(backend.value_and_grad(loss_fn))
        loss, _, grad = vg(_batch(x), net.weights, content_f, style_g)
        return float(loss), _to_numpy(grad)[0]


def adam_keras(lr, beta_1, beta_2, eps):
    """keras.optimizers.Adam's update (Keras 3 formula), on a NumPy array."""
    st: dict[str, np.ndarray] = {}

    def step(x, g, i):
        if not st:
            st["m"], st["v"] = np.zeros_like(x), np.zeros_like(x)
        t = i + 1
        st["m"] += (g - st["m"]) * (1 - beta_1)
        st["v"] += (g * g - st["v"]) * (1 - beta_2)
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        return x - st["m"] * alpha / (np.sqrt(st["v"]) + eps)

    return step


def worker_quality(args) -> dict:
    from engine.media import images
    from engine.params import StyleParams

    e = _setup_worker()
    content, style = common.pictures(args.photo, args.style)
    q = Quality(e, content, style, args.size, args.check_every, args.baseline_every)
    x_content: np.ndarray = q.content_full.astype(np.float32)
    q.value_and_grad(x_content)  # compile the full-size step and loss
    q.loss(q.content_full)
    out = {"backend": e.backend, "device": e.device, "size": [q.w, q.h], "methods": [],
           "every": args.check_every, "notes": {}}
    methods = out["methods"]

    # -- Lienzo: the presets as the engine runs them at this size (balanced = the
    # default), L-BFGS, and balanced's 512 px schedule shrunk to this size -------------
    log(f"[quality] final size {q.w}x{q.h}")
    override = {"iterations": args.iterations} if args.iterations else {}
    for quality in args.presets:
        methods.append(q.lienzo(f"Lienzo Adam {quality}",
                                StyleParams(size=args.size, quality=quality, **JJ, **override)))
    # -- the same presets from the first look (init=look: engine.look's picture as start)
    look, out["look"] = first_look(content, style, args.size)
    out["look"]["loss"] = q.loss(images.resize_to(look, q.w, q.h))
    log(f"  first look: {out['look']['seconds'] * 1e3:.0f} ms, loss {out['look']['loss']:.4g}")
    for quality in args.presets:
        methods.append(q.lienzo(f"Lienzo Adam {quality}, from the first look",
                                StyleParams(size=args.size, quality=quality, init="look", **JJ,
                                            **override), picture=look))
    for rate in args.look_lr:  # another peak rate, first preset only: from the photo, the look
        gentler = StyleParams(size=args.size, quality=args.presets[0], learning_rate=rate, **JJ,
                              **override)
        methods.append(q.lienzo(f"Lienzo Adam {args.presets[0]}, {rate:g} px peak", gentler))
        methods.append(q.lienzo(
            f"Lienzo Adam {args.presets[0]}, from the first look, {rate:g} px peak",
            gentler.replace(init="look"), picture=look))
    if args.look_only:
        out["content_loss"] = q.loss(images.to_uint8(q.content_full))
        return out
    if args.lbfgs:
        methods.append(q.lienzo("Lienzo L-BFGS balanced",
                                StyleParams(size=args.size, optimizer="lbfgs", **JJ, **override)))
    methods.append(q.lienzo(f"Lienzo Adam balanced, {NOMINAL_SIZE} px schedule shrunk",
                            scaled_params("balanced", args.size, **override)))
    # -- KC's recipe (style-transfer-pytorch; Lienzo's first Adam): Adam
    # 0.02 in [0,1] (5.1 px), β 0.9/0.99, clamped, returning the EMA 0.99 of the iterates
    kc_adam = adam_keras(5.1, 0.9, 0.99, 1e-8)
    kc_avg: dict[str, float | np.ndarray] = {}  # "x": the EMA of the iterates; "t": steps

    def kc_recipe(x, g, i):
        x = np.clip(kc_adam(x, g, i), 0.0, 255.0)
        kc_avg["x"] = 0.99 * kc_avg.get("x", 0.0) + 0.01 * x
        kc_avg["t"] = i + 1
        return x

    methods.append(q.baseline("KC's Adam (5 px, β .9/.99, EMA .99)", x_content, args.steps_kc,
                              kc_recipe, note=f"{args.steps_kc} steps at one scale, from content",
                              output=lambda x: kc_avg["x"] / (1 - 0.99 ** kc_avg["t"])))
    # -- TensorFlow tutorial: Adam(0.02, β1 0.99, ε 0.1) in [0,1], clipped, from content
    tf_adam = adam_keras(0.02, 0.99, 0.999, 0.1)

    def tf_tutorial(x, g, i):
        x01 = tf_adam(x / 255.0, g * 255.0, i)  # the loss's gradient w.r.t. x/255
        return np.clip(x01, 0.0, 1.0) * 255.0

    _, g0 = q.value_and_grad(x_content)
    out["notes"]["tf_tutorial_mean_abs_grad01"] = float(np.mean(np.abs(g0 * 255.0)))
    methods.append(q.baseline("TF tutorial (Adam 0.02, β1 .99, ε .1)", x_content,
                              args.steps_tf, tf_tutorial,
                              note=f"{args.steps_tf} of 1000 steps, from content"))

    # -- the seed method: normalised gradient steps from white noise, lr 0.01 in [0,1] ---
    def seed_method(x, g, i):
        x01 = x / 255.0 - 0.01 * g / (np.std(g) + 1e-8)
        return np.clip(x01, 0.0, 1.0) * 255.0

    noise = np.random.default_rng(0).uniform(0, 255, x_content.shape).astype(np.float32)
    methods.append(q.baseline("seed (normalised GD from noise, lr .01)", noise,
                              args.steps_seed, seed_method,
                              note=f"{args.steps_seed} of 1500 steps, from uniform noise"))

    # -- keras-io: SGD, lr 100 × 0.96^(step/100), from content, no clipping --------------
    kio_loss, kio_grad = q.keras_io_loss_grad(x_content)
    ours_move = 100.0 * float(np.mean(np.abs(g0)))
    kio_move = 100.0 * float(np.mean(np.abs(kio_grad)))
    scale = kio_move / ours_move if ours_move > 0 else 1.0
    out["notes"]["keras_io"] = {
        "first_step_mean_abs_move_px_our_loss": ours_move,
        "first_step_mean_abs_move_px_keras_io_loss": kio_move,
        "gradient_scale": scale, "keras_io_loss_at_content": kio_loss,
    }
    log(f"  keras-io first step: {ours_move:.3g} px on our loss, {kio_move:.3g} px on its own;"
        f" rescale ×{scale:.3g}")

    def sgd(factor):
        def step(x, g, i):
            return x - factor * 100.0 * 0.96 ** (i / 100.0) * g
        return step

    methods.append(q.baseline("keras-io SGD lr 100 (literal)", x_content, args.steps_kerasio,
                              sgd(1.0), note=f"{args.steps_kerasio} of 4000 steps, from content"))
    methods.append(q.baseline(f"keras-io SGD, gradient ×{scale:.3g}", x_content,
                              args.steps_kerasio, sgd(scale),
                              note=f"{args.steps_kerasio} of 4000 steps; first step moves pixels "
                                   "as much as keras-io's own loss would"))
    out["content_loss"] = q.loss(images.to_uint8(q.content_full))
    return out


def first_look(content, style, size):
    """engine.look's picture of ``content`` in ``style`` at the benchmark's size, and what
    it took (the look's own cost: no VGG19 evaluation; the network loaded first)."""
    from engine.look import painting
    from engine.look.network import LookNetwork
    from engine.params import StyleParams

    network = LookNetwork(threads=os.cpu_count() or 1)
    params = StyleParams(size=size, **JJ)
    painting.paint_pictures(network, content, [(style, 1.0)], params)  # load the sessions
    t0 = time.perf_counter()
    look = painting.paint_pictures(network, content, [(style, 1.0)], params)
    return look, {"seconds": time.perf_counter() - t0, "size": [look.shape[1], look.shape[0]]}


def worker_explore(args) -> dict:
    """What-if Lienzo variants on part b's loss (not presets): the peak learning rate,
    holding it or not, two scales instead of one."""
    e = _setup_worker()
    content, style = common.pictures(args.photo, args.style)
    q = Quality(e, content, style, args.size, args.check_every, args.baseline_every)
    q.value_and_grad(q.content_full.astype(np.float32))
    size, n = args.size, args.explore_steps
    one = scaled_params("balanced", size).replace(min_side=size, iterations=n)
    two = one.replace(min_side=math.floor(size / 2**0.5), iterations=n // 2)
    variants = [
        (f"Adam 1 scale ×{n}, 20 px, cosine from the start (the previous default)",
         one.replace(learning_rate=20.0, lr_hold=0.0)),
        (f"Adam 1 scale ×{n}, 30 px, cosine from the start",
         one.replace(learning_rate=30.0, lr_hold=0.0)),
        (f"Adam 1 scale ×{n}, 20 px held", one.replace(learning_rate=20.0, lr_hold=0.7)),
        (f"Adam 1 scale ×{n}, 40 px held", one.replace(learning_rate=40.0, lr_hold=0.7)),
        (f"Adam 2 scales ×{n // 2}", two),
    ]
    methods = []
    for name, params in variants:
        if args.explore_only and not any(k in name for k in args.explore_only):
            continue
        methods.append(q.lienzo(name, params))
    return {"backend": e.backend, "size": [q.w, q.h], "every": args.check_every,
            "methods": methods}


# =============================================================================
# the parent: run workers, build tables, write docs
# =============================================================================
def run_worker(kind: str, backend: str, extra: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    env = common.child_env(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2",
                           LIENZO_VGG19_WEIGHTS=os.environ.get("LIENZO_VGG19_WEIGHTS", "random"))
    cmd = [sys.executable, "-m", "bench.engine_speed",
           "--worker", kind, "--worker-out", path, *extra]
    t0 = time.perf_counter()
    log(f"== {kind} on {backend}: {' '.join(cmd[3:])}")
    proc = subprocess.run(cmd, env=env, stdout=sys.stderr, stderr=sys.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"worker {kind}/{backend} failed with exit code {proc.returncode}")
    data = json.loads(Path(path).read_text())
    os.unlink(path)
    data["wall_s"] = time.perf_counter() - t0
    data["date"] = common.machine()["date"]
    return data


def _goal(baseline_name: str) -> int | None:
    """The goal for a baseline's ratio: ×10 against the seed method, ×3 against the
    keras-io and TF tutorial optimisers; KC's recipe is a reference row, no goal."""
    if baseline_name.startswith("seed"):
        return 10
    if baseline_name.startswith(("keras-io", "TF tutorial")):
        return 3
    return None


def first_reaching(curve, target):
    for point in curve:
        if point["loss"] <= target:
            return point
    return None


def loss_at(curve, budget):
    """Loss of the picture a run would return if stopped after ``budget`` evaluations."""
    within = [p for p in curve if p["evals"] <= budget + 1e-9]
    return within[-1]["loss"] if within else None


def _best(runs, key):
    """Fastest sample of ``key`` ('adam_all', ...) over all processes: on a shared machine
    noise only ever adds time, so the minimum is the steadiest estimate of the cost."""
    return min(x for r in runs for x in r[key])


def _pair_ratios(runs, key, base="bare_all"):
    return [a / b for r in runs for a, b in zip(r[key], r[base], strict=False)]


def overhead_table(overhead, backends, sizes, meta) -> str:
    f = common.fmt
    rows = []
    for size in sizes:
        for backend in backends:
            runs = [r["sizes"][str(size)] for r in overhead if r["backend"] == backend]
            if not runs:
                continue
            bare, vg, adam, loop = (_best(runs, k)
                                    for k in ("bare_all", "vg_all", "adam_all", "loop_all"))
            pairs = _pair_ratios(runs, "adam_all")
            w, h = runs[0]["size"]
            rows.append([backend, f"{w}×{h}", f(bare * 1e3), f(vg * 1e3), f"{vg / bare:.3f}",
                         f(adam * 1e3), f"**{adam / bare:.3f}**",
                         f"{statistics.median(pairs):.3f} ({min(pairs):.2f}–{max(pairs):.2f})",
                         "yes" if adam / bare <= 1.10 else "**no**",
                         f(loop * 1e3), f"{loop / bare:.3f}"])
    return (
        "### a) Step overhead\n\n"
        "One compiled Adam step of the Engine (`Engine._plain.adam_step`, called as `Engine._adam` "
        "calls it, `float(loss)` included) ÷ a bare compiled VGG19 forward+backward to the "
        "same depth (value and input-gradient of the sum of the same net's outputs, through "
        "`engine.core.backend`), same size and backend. Timed in interleaved chunks of "
        f"{meta['chunk']} steps (rotating order), {meta['reps']} repeats per process, "
        f"{meta['rounds']} process(es) per backend. The machine is shared, and noise only adds "
        "time, so the milliseconds are the fastest chunk of each kind and the ratio is the "
        "ratio of those; the median and range of the per-repeat ratios show the spread. "
        "\"objective v+g\" is `Engine._plain.value_and_grad` alone (VGG + Grams + losses, no Adam "
        "update): it splits the step's extra time between the loss itself and the update and "
        "call. \"stylize loop\" is the time per iteration of a real one-scale "
        "`Engine.stylize` run between its first and last progress callbacks (Python loop, "
        "callback and all), timed in the same rotation. Goal ≤ 1.10.\n\n"
        + common.table(["backend", "size", "bare fwd+bwd ms", "objective v+g ms", "v+g ÷ bare",
                        "Adam step ms", "step ÷ bare", "per-repeat ratios: median (range)",
                        "≤ 1.10", "stylize loop ms/step", "loop ÷ bare"], rows))


def backend_table(overhead, sizes) -> str | None:
    f = common.fmt
    rows = []
    for size in sizes:
        per = {}
        for backend in BACKENDS:
            runs = [r["sizes"][str(size)] for r in overhead if r["backend"] == backend]
            if runs:
                per[backend] = (_best(runs, "adam_all"), _best(runs, "bare_all"),
                                min(r["compile_s"]["adam_step"] for r in runs))
        if len(per) == 2:
            (ta, tb, tc), (ja, jb, jc) = per["tensorflow"], per["jax"]
            w, h = next(r["sizes"][str(size)]["size"] for r in overhead)
            rows.append([f"{w}×{h}", f(ta * 1e3), f(ja * 1e3), f"{ja / ta:.2f}", f(tb * 1e3),
                         f(jb * 1e3), f"{jb / tb:.2f}", f(tc), f(jc)])
    if not rows:
        return None
    return ("### c) Backends: TensorFlow vs JAX, CPU\n\nFrom part a's processes (both "
            "XLA-compiled; they alternate TF, JAX, JAX, TF… so drift hits both); each figure is "
            "the fastest chunk over that backend's processes. Compile = first call of the Adam "
            "step at that size.\n\n"
            + common.table(["size", "TF Adam step ms", "JAX Adam step ms", "JAX ÷ TF",
                            "TF bare ms", "JAX bare ms", "JAX ÷ TF (bare)", "TF compile s",
                            "JAX compile s"], rows))


def _lienzo_rows(lienzo):
    f = common.fmt
    rows = []
    for mm in lienzo:
        sched = " → ".join(f"{s}px×{n}" for s, n in mm["schedule"])
        rows.append([mm["name"], sched, mm["steps"], f(mm["evals"]), f(mm["seconds"]),
                     f(mm["final_loss"]), f(mm["last_iterate_loss"])])
    return common.table(["Lienzo run", "schedule", "steps", "evals", "seconds",
                         "final loss (returned picture)", "last iterate loss"], rows)


def _reach_table(baselines, lienzo):
    """Rows: baselines; per Lienzo run: evaluations to reach the baseline's final loss."""
    f = common.fmt
    headers = ["target: baseline's final loss", "steps run", "final loss", "first reached at"]
    headers += [mm["name"].removeprefix("Lienzo ") for mm in lienzo]
    rows = []
    for b in baselines:
        target = b["final_loss"]
        own = first_reaching(b["curve"], target)
        row = [b["name"] + (f" (diverged at step {b['diverged_at']})"
                            if b["diverged_at"] is not None else ""),
               b["steps"], f(target), own["evals"]]
        for mm in lienzo:
            hit = first_reaching(mm["curve"], target)
            if target >= b["curve"][0]["loss"]:
                row.append("— (no progress)")
            elif hit is None:
                row.append("not reached")
            else:
                row.append(f"{f(hit['evals'])} (×{b['steps'] / max(hit['evals'], 1e-9):.1f}"
                           f" / ×{own['evals'] / max(hit['evals'], 1e-9):.1f})")
        rows.append(row)
    return common.table(headers, rows)


def _budget_table(methods, budgets):
    f = common.fmt
    rows = []
    for mm in methods:
        total = mm["curve"][-1]["evals"]
        cells = []
        for n in budgets:
            loss = loss_at(mm["curve"], n)
            cells.append(f(loss) + ("" if n <= total + 1e-9 else " (ended)"))
        rows.append([mm["name"], f(total), *cells])
    return common.table(["method", "evals run", *[f"≤ {n} evals" for n in budgets]], rows)


def _common_targets_table(methods, margins=(0.20, 0.10, 0.05, 0.02)):
    """Evaluations each run needs to come within x% of the lowest final loss of any run."""
    f = common.fmt
    best = min(mm["final_loss"] for mm in methods)
    rows = []
    for mm in methods:
        cells = []
        for margin in margins:
            hit = first_reaching(mm["curve"], best * (1 + margin))
            cells.append("—" if hit is None else f(hit["evals"]))
        rows.append([mm["name"], f(mm["final_loss"]), *cells])
    headers = ["method", "final loss",
               *[f"≤ {f(best * (1 + m))} (+{m:.0%})" for m in margins]]
    return best, common.table(headers, rows)


def quality_tables(qr: dict, explore: list | None) -> str:
    f = common.fmt
    methods = qr["methods"]
    looks = [mm for mm in methods if mm.get("start") == "look"]
    lienzo = [mm for mm in methods if mm["kind"] == "lienzo" and mm not in looks]
    baselines = [mm for mm in methods if mm["kind"] == "baseline"]
    default = next((mm for mm in lienzo if mm["name"] == "Lienzo Adam balanced"), lienzo[0])
    w, h = qr["size"]
    noise_loss = next((b["curve"][0]["loss"] for b in baselines if b["name"].startswith("seed")),
                      None)
    out = [f"### b) Time to quality\n\nFinal size {w}×{h}, backend {qr['backend']}, "
           f"JJ objective (content 5, style 100, tv 1e-3). One evaluation = one VGG19 "
           f"value-and-gradient at {w}×{h}; a step at long side s counts (s/{max(w, h)})². The "
           f"loss is that of the uint8 picture the method would return at that point, measured "
           f"at the final size every {qr['every']} steps for Lienzo (a coarse scale's picture "
           f"is upscaled first) and every {qr.get('baseline_every', 25)} steps for the "
           f"baselines, so counts are upper bounds to within that. Seconds exclude XLA "
           f"compilation and the loss measurements, and are noisy (shared machine). Loss of the "
           f"content picture itself: {f(qr['content_loss'])}; of the white-noise start: "
           f"{f(noise_loss)}."]
    out.append("Lienzo's presets as the engine runs them for an output of this size (below "
               "each preset's first scale, 192-256 px, that is one scale), L-BFGS on the "
               "balanced schedule, and balanced's 512 px schedule shrunk to this size (same "
               "number of ×√2 scales and iterations per scale). Balanced is the default "
               "quality (CPU workers default to fast). \"last iterate\" is the optimiser's "
               "own loss at its last step (float picture, before rounding to uint8):\n\n"
               + _lienzo_rows(lienzo))
    out.append("Evaluations each Lienzo run needed to reach each baseline's final loss, and "
               "how many times fewer that is than (the baseline's whole run / the evaluations "
               "after which the baseline first got there; they differ when a baseline's loss "
               "goes up and down):\n\n" + _reach_table(baselines, lienzo))
    budgets = [32, 64, 128, 256, 512, 1000]
    out.append("Loss of the picture each method would return if stopped after N evaluations "
               "(\"(ended)\": the run had stopped before N):\n\n"
               + _budget_table(lienzo + baselines, budgets))
    notes = qr.get("notes", {})
    kio = notes.get("keras_io", {})
    if kio:
        out.append(
            f"keras-io's literal step on our loss: its first SGD step (lr 100) moves pixels by "
            f"{f(kio['first_step_mean_abs_move_px_our_loss'])} px on average, and the loss "
            f"passes 100× its start within steps; on keras-io's own loss (its weights and "
            f"normalisation, same random VGG19, same size) the first step would move them "
            f"{f(kio['first_step_mean_abs_move_px_keras_io_loss'])} px, so the rescaled run "
            f"multiplies our gradient by {f(kio['gradient_scale'])} (and crawls, as keras-io "
            f"itself would on these weights). TF tutorial: the mean |gradient| in [0,1] image "
            f"space at the content picture is {f(notes.get('tf_tutorial_mean_abs_grad01'))}, "
            f"so its ε = 0.1 is negligible and its steps are ≈ 0.02 (5 px) per pixel.")
    verdicts = []
    for b in baselines:
        goal = _goal(b["name"])
        hit = first_reaching(default["curve"], b["final_loss"])
        if b["final_loss"] >= b["curve"][0]["loss"]:
            verdicts.append(f"{b['name']}: made no progress, no ratio")
        elif hit is None:
            verdicts.append(f"{b['name']}: target {f(b['final_loss'])} **not reached** "
                            f"(balanced ends at {f(default['final_loss'])}; "
                            + (f"goal ×{goal})" if goal else "no goal)"))
        else:
            ratio = b["steps"] / max(hit["evals"], 1e-9)
            verdicts.append(f"{b['name']}: ×{ratio:.1f} fewer ("
                            + (f"goal ×{goal}: {'met' if ratio >= goal else '**not met**'})"
                               if goal else "a baseline of our own, no goal)"))
    out.append("Verdict for the default (Adam, balanced), counting each baseline's whole run: "
               + "; ".join(verdicts) + ".")
    if looks:
        out.append(look_tables(qr, lienzo, looks))
    every = lienzo + looks + baselines + [mm for chunk in explore or []
                                          for mm in chunk["methods"]]
    best, table = _common_targets_table(every)
    out.append(f"Common targets: evaluations each run (presets, baselines and the what-if "
               f"variants below) needed to come within 20 / 10 / 5 / 2% of the lowest final "
               f"loss of any run ({f(best)}); \"—\": never within its run. Every target is "
               f"the same for all, so this compares speed without depending on where each "
               f"baseline happened to stop:\n\n" + table)
    if explore:
        runs = [mm for chunk in explore for mm in chunk["methods"]]
        out.append("#### What-if: Lienzo variants (not presets)\n\nSame loss, size and "
                   "measurement; `Engine.stylize` with StyleParams changed as named.\n\n"
                   + _lienzo_rows(runs) + "\n\n" + _reach_table(baselines, runs)
                   + "\n\n" + _budget_table(runs, budgets))
    return "\n\n".join(out)


def look_tables(qr: dict, lienzo: list, looks: list) -> str:
    """Each preset from the photo beside the same preset from the first look: the
    evaluations each needs to reach the same targets."""
    f = common.fmt
    by_name = {mm["name"]: mm for mm in lienzo}
    twin = {look["name"]: look["name"].replace(", from the first look", "") for look in looks}
    pairs = [(by_name[twin[look["name"]]], look) for look in looks if twin[look["name"]] in by_name]
    rows = []
    for photo, look in pairs:
        best = min(photo["final_loss"], look["final_loss"])
        cells = []
        for target in (photo["final_loss"], *(best * (1 + m) for m in (0.10, 0.05, 0.02))):
            hits = [first_reaching(mm["curve"], target) for mm in (photo, look)]
            cells.append(" / ".join("—" if h is None else f(h["evals"]) for h in hits))
        label = look["name"].removeprefix("Lienzo ").replace(", from the first look", "")
        early = [" / ".join(f(loss_at(mm["curve"], n)) for mm in (photo, look))
                 for n in LOOK_BUDGETS]
        rows.append([label, f(photo["curve"][0]["loss"]) + " / "
                     + f(look["curve"][0]["loss"]), *early, f(photo["final_loss"]) + " / "
                     + f(look["final_loss"]), *cells])
    info = qr.get("look", {})
    text = ("#### Starting from the first look\n\nEach preset from the photo (`init=content`) "
            "and from the first look (`init=look`: engine.look's picture, "
            f"{f(info.get('seconds', 0) * 1e3)} ms on the CPU and no VGG19 evaluation, as "
            "`start`). Evaluations to reach each target, from the photo / from the look "
            "(\"—\": not within the run); the targets are the run from the photo's final loss "
            "and 10 / 5 / 2% above the lower of the two final losses. The loss after N "
            "evaluations is the returned picture's, photo / look:\n\n")
    return text + common.table(["preset", "start loss",
                                *[f"after {n} evals" for n in LOOK_BUDGETS], "final loss",
                                "evals to the photo run's final loss", "+10%", "+5%", "+2%"],
                               rows)


def tables(results: dict) -> str:
    parts = []
    m, v = results["machine"], results["versions"]
    parts.append(
        f"Machine: {m['cpu']} ({m['cores']} cores, {m['ram_gib']} GiB RAM), shared with other "
        f"jobs; Python {m['python']}, keras {v['keras']}, tensorflow {v['tensorflow']}, "
        f"jax {v['jax']}; commit {results.get('commit')}. VGG19 weights: seeded random "
        f"(LIENZO_VGG19_WEIGHTS=random); pictures: {results.get('pictures', 'generated')}. "
        + "; ".join(f"part {k} run {results[k + '_meta']['date']} in "
                    f"{results[k + '_meta']['wall_min']:.1f} min"
                    for k in ("a", "b", "x") if k + "_meta" in results) + ".")
    overhead = results.get("overhead")
    meta = results.get("a_meta", {})
    if overhead:
        parts.append(overhead_table(overhead, meta["backends"], meta["sizes"], meta))
    if results.get("quality"):
        parts.append(quality_tables(results["quality"], results.get("explore")))
    if overhead:
        table = backend_table(overhead, meta["sizes"])
        if table:
            parts.append(table)
    return "\n\n".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", action="append", choices=BACKENDS,
                    help="backend(s) for parts a/c (repeatable; default both); part b runs on "
                         "the first one named (default tensorflow)")
    ap.add_argument("--size", type=int, default=128, help="part b's final long side (px)")
    ap.add_argument("--overhead-sizes", default="128,256", help="parts a/c long sides")
    ap.add_argument("--parts", default="a,b,c",
                    help="a,b,c (x: the what-if Lienzo variants, ~6 min, off by default)")
    ap.add_argument("--reps", type=int, default=6, help="part a: interleaved repeats")
    ap.add_argument("--chunk", type=int, default=3, help="part a: steps per timed chunk")
    ap.add_argument("--rounds", type=int, default=2, help="part a: processes per backend")
    ap.add_argument("--check-every", type=int, default=10,
                    help="part b: Lienzo's loss measured every k steps")
    ap.add_argument("--baseline-every", type=int, default=25,
                    help="part b: the baselines' loss measured every k steps")
    ap.add_argument("--iterations", type=int, default=0,
                    help="part b: override Lienzo's per-scale iterations (smoke tests)")
    ap.add_argument("--presets", default="fast,balanced,best")
    ap.add_argument("--no-lbfgs", dest="lbfgs", action="store_false")
    ap.add_argument("--look-only", action="store_true",
                    help="part b: only the presets from the photo and from the first look "
                         "(no L-BFGS, shrunk schedule or baselines)")
    ap.add_argument("--look-lr", default="",
                    help="part b: Adam peak learning rates (px, comma-separated) for extra runs "
                         "of the first preset, from the photo and from the first look")
    ap.add_argument("--steps-seed", type=int, default=1500)
    ap.add_argument("--steps-tf", type=int, default=1000)
    ap.add_argument("--steps-kerasio", type=int, default=1000,
                    help="cap (keras-io runs 4000; 2 runs × 4000 do not fit the CPU budget)")
    ap.add_argument("--explore-steps", type=int, default=300, help="part x: one-scale steps")
    ap.add_argument("--steps-kc", type=int, default=600, help="part b: KC's recipe, steps")
    ap.add_argument("--explore-only", action="append", help="part x: variants whose name has this")
    ap.add_argument("--photo", help="content picture file instead of the generated one")
    ap.add_argument("--style", help="style picture file instead of the generated one")
    ap.add_argument("--quick", action="store_true", help="smoke test: tiny sizes and steps")
    ap.add_argument("--json", default=str(common.BENCH / "results" / "engine.json"),
                    help="raw results; parts run now replace their own entries in it")
    ap.add_argument("--tables-only", action="store_true",
                    help="rebuild the tables (and docs) from --json without running anything")
    ap.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument("--worker", choices=("overhead", "quality", "explore"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.backend = args.backend or list(BACKENDS)
    args.presets = [p for p in args.presets.split(",") if p]
    args.overhead_sizes = [int(s) for s in str(args.overhead_sizes).split(",")]
    if args.quick:
        args.size, args.overhead_sizes = 48, [48, 64]
        args.reps, args.chunk, args.rounds = 2, 2, 1
        args.steps_seed = args.steps_tf = args.steps_kerasio = args.steps_kc = 20
        args.check_every, args.baseline_every, args.iterations = 5, 5, 6
        args.explore_steps = 12
        args.presets = ["fast", "balanced"]

    if isinstance(args.look_lr, str):
        args.look_lr = [float(r) for r in args.look_lr.split(",") if r]
    if args.worker:
        worker = {"overhead": worker_overhead, "quality": worker_quality,
                  "explore": worker_explore}[args.worker]
        common.dump(Path(args.worker_out), worker(args))
        return 0

    path = Path(args.json)
    results = json.loads(path.read_text()) if path.exists() and not args.quick else {}
    if not args.tables_only:
        run_parts(args, results)
    text = tables(results)
    print(text)
    if not args.tables_only and not args.quick:  # a smoke test keeps the real figures
        common.dump(path, results)
        log(f"raw results: {path}")
    if not args.no_docs and not args.quick:
        if common.replace_block(common.DOCS, "bench/engine_speed.py", text):
            log(f"updated {common.DOCS}")
        else:
            log(f"{common.DOCS} has no generated block; tables not written there")
    return 0


def run_parts(args, results: dict) -> None:
    passthrough = ["--size", str(args.size), "--overhead-sizes",
                   ",".join(map(str, args.overhead_sizes)), "--reps", str(args.reps),
                   "--chunk", str(args.chunk),
                   "--check-every", str(args.check_every), "--presets", ",".join(args.presets),
                   "--baseline-every", str(args.baseline_every),
                   "--iterations", str(args.iterations), "--explore-steps", str(args.explore_steps),
                   "--steps-seed", str(args.steps_seed), "--steps-tf", str(args.steps_tf),
                   "--steps-kerasio", str(args.steps_kerasio), "--steps-kc", str(args.steps_kc)]
    passthrough += [] if args.lbfgs else ["--no-lbfgs"]
    passthrough += ["--look-only"] if args.look_only else []
    passthrough += ["--look-lr", ",".join(map(str, args.look_lr))] if args.look_lr else []
    for only in args.explore_only or []:
        passthrough += ["--explore-only", only]
    for flag in ("photo", "style"):
        if getattr(args, flag):
            passthrough += [f"--{flag}", getattr(args, flag)]
    results.update(machine=common.machine(), versions=common.versions(),
                   commit=common.git_revision(),
                   pictures="files" if args.photo or args.style else "generated (bench/common.py)")
    parts = set(args.parts.split(","))
    main_backend = args.backend[0] if len(args.backend) == 1 else "tensorflow"
    if parts & {"a", "c"}:
        started = time.perf_counter()
        results["overhead"] = []
        order = list(args.backend)
        for _ in range(args.rounds):
            for backend in order:
                results["overhead"].append(run_worker("overhead", backend, passthrough))
            order.reverse()
        results["a_meta"] = {"date": common.machine()["date"], "backends": args.backend,
                             "sizes": args.overhead_sizes, "reps": args.reps,
                             "chunk": args.chunk, "rounds": args.rounds,
                             "wall_min": (time.perf_counter() - started) / 60}
    if "b" in parts:
        started = time.perf_counter()
        results["quality"] = run_worker("quality", main_backend, passthrough)
        results["quality"]["baseline_every"] = args.baseline_every
        results["b_meta"] = {"date": common.machine()["date"],
                             "wall_min": (time.perf_counter() - started) / 60}
    if "x" in parts:
        started = time.perf_counter()
        results["explore"] = [run_worker("explore", main_backend, passthrough)]
        results["x_meta"] = {"date": common.machine()["date"],
                             "wall_min": (time.perf_counter() - started) / 60}


if __name__ == "__main__":
    sys.exit(main())
