"""Coarse-to-fine Gatys style transfer: the optimisation loop
(docs/architecture.md, "The engine").

``Engine`` holds what is expensive and reused across jobs - the VGG19 feature net, the
compiled steps and an LRU cache of style Gram targets - so a worker builds one at start-up
(``get_engine``: one per weights and pooling).  ``Engine.stylize`` paints one picture:

1. plan the scales (``StyleParams.schedule``: ×√2 apart up to the output size),
   dropping coarse ones too small for VGG19 (a 16 px short side);
2. at each scale, measure the content features and the blended style Grams (each
   style at ``style_scale`` times the scale's size, recoloured to the photo first for
   ``color_mode="match"``), and start from the content, seeded noise or a given picture
   (``start``: the first look) at the first scale, from the previous result upscaled after;
3. optimise with Adam in pixel units, clamped to 0-255 every step, its learning rate held
   at ``learning_rate`` for the first ``lr_hold`` of each scale, then taken to zero on a
   half cosine so that the last iterate is the answer (``learning_rate_at``); or with
   SciPy's L-BFGS-B (bounded history, box constraints 0-255), keeping the best iterate;
4. report progress after every step (work weighted by pixels, with an ETA), ask
   ``should_stop`` before every step (Cancelled), and at the time budget stop with the
   picture so far; a budget also paces each scale's annealing by its share of the time
   left, so a scale cut short has still settled (the step accounting is
   engine.core.progress's ``Run``);
5. upscale the result to the output size; ``color_mode="keep"`` then puts the
   photo's colours back under the stylised luminance.

With regions (engine.core.regions: protected faces, two styles split by a mask) the
objective is the guided one (masked Grams, a content weight per pixel), each scale starts
from the photo where a region asks, and the photo's colours come back there at the end.
Without them the plain objective runs unchanged.  A clip's later frames (engine.clip.stylize)
start from the previous painting carried along the motion, held there by a temporal loss
(the guided objective).  The compiled steps (one set per objective) are engine.core.steps'.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeAlias, TypedDict

import numpy as np
from keras import ops

from engine.core import backend, colors, losses, memory, optimisers, regions, scales
from engine.core.backend import Tensor
from engine.core.block_steps import BlockSteps, measure
from engine.core.blocks import BlockPasses
from engine.core.carried import Warped
from engine.core.model import CONTENT_LAYERS, STYLE_LAYERS, FeatureNet, feature_net
from engine.core.optimisers import Scale, StepFunctions
from engine.core.optimisers import batch as _batch
from engine.core.optimisers import tensor as _tensor
from engine.core.progress import ProgressFn, Run
from engine.core.regions import Mask, Region
from engine.core.steps import Steps
from engine.errors import InvalidParams, is_out_of_memory
from engine.media import images
from engine.media.images import RGB, Floats
from engine.params import StyleParams

Targets: TypeAlias = dict[str, Tensor]  # layer name -> content features or Gram matrix
StyleImages: TypeAlias = Sequence[tuple[RGB, float]]  # (painting, blend weight)
PreviewFn: TypeAlias = Callable[[RGB], None]

log = logging.getLogger("lienzo.engine")
GRAM_CACHE_SIZE = 64
DEFAULT_PARAMS = StyleParams()  # frozen, so a safe shared default
WHOLE = Region(np.ones((1, 1), np.float32))  # one region, the whole picture


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
    faces: int  # faces protected (engine.core.regions)
    block: int  # the last scale's blocks, px (engine.core.blocks); 0: the whole picture


@dataclass
class Result:
    image: RGB
    stats: Stats


class Stylize(Protocol):
    """``Engine.stylize``'s signature: what the worker and engine.clip call (tests: fakes)."""

    def __call__(self, content: RGB, styles: StyleImages, params: StyleParams = ...,
                 on_progress: ProgressFn | None = ...,
                 should_stop: Callable[[], bool] | None = ...,
                 on_preview: PreviewFn | None = ..., preview_every: int = ...,
                 mask: Mask | None = ..., previous: Warped | None = ...,
                 start: RGB | None = ...) -> Result: ...


class Engine:
    """The feature net and compiled steps for one weights file, pooling mode and precision
    (``auto``, ``fp32`` or ``bf16``: engine.core.backend.precision).  ``gpu`` names the GPU in
    the stats (``EngineSettings.gpu``); ``keras_home`` is where Keras caches ImageNet's
    weights (``engine.core.model.load_vgg19``)."""

    def __init__(self, weights: str, pooling: str = "max", precision: str = "auto", *,
                 gpu: int | None = None, keras_home: Path | None = None) -> None:
        self.precision = backend.precision(precision)
        self.net: FeatureNet = feature_net(weights, STYLE_LAYERS + CONTENT_LAYERS, pooling,
                                           self.precision, keras_home)
        self.backend = backend.name()
        self.device = backend.device(gpu)
        net = self.net

        def plain(x: Tensor, weights: Sequence[Tensor], content_t: Targets,
                  gram_t: Targets, coefs: Tensor) -> tuple[Tensor, Tensor]:
            return losses.objective(net, weights, x, content_t, gram_t, coefs)

        def guided(x: Tensor, weights: Sequence[Tensor], content_t: Targets,
                   guide: losses.Guide, coefs: Tensor) -> tuple[Tensor, Tensor]:
            return losses.guided_objective(net, weights, x, content_t, guide, coefs)

        self._plain, self._guided = Steps(plain), Steps(guided)

        def content_features(weights: Sequence[Tensor], x: Tensor) -> Targets:
            feats = net.features(weights, x)
            return {name: feats[name] for name in CONTENT_LAYERS}

        def style_grams(weights: Sequence[Tensor], x: Tensor) -> Targets:
            feats = net.features(weights, x)
            return {name: losses.gram(feats[name]) for name in STYLE_LAYERS}

        self._content_features = backend.compile(content_features)
        self._style_grams = backend.compile(style_grams)
        self._grams: OrderedDict[tuple[str, tuple[int, ...], int], Targets] = OrderedDict()
        self._passes = BlockPasses(net)

    def block_for(self, requested: int | None, width: int, height: int) -> int:
        """The block side for a ``width``×``height`` picture (0: whole), ``requested``
        being ``StyleParams.block`` (engine.core.memory)."""
        return memory.block_for(requested, width, height, self.precision, self._passes.halo)

    # -- targets -------------------------------------------------------------
    def style_grams(self, style: RGB, side: int, block: int | None = None) -> Targets:
        """Gram targets of one style image at ``side`` px, cached (LRU); measured in
        blocks when the picture needs them (``block``: as ``StyleParams.block``)."""
        key = (hashlib.sha1(style.tobytes()).hexdigest(), style.shape, side)
        if key in self._grams:
            self._grams.move_to_end(key)
            return self._grams[key]
        image = scales.resize_for_vgg(style, side)
        chosen = self.block_for(block, image.shape[1], image.shape[0])
        grams: Targets = measure(self._passes, self.net.weights, image, chosen, (),
                                 STYLE_LAYERS)[1] if chosen else self._style_grams(
            self.net.weights, _batch(image))
        self._grams[key] = grams
        if len(self._grams) > GRAM_CACHE_SIZE:
            self._grams.popitem(last=False)
        return grams

    def targets(self, content: RGB, styles: StyleImages, params: StyleParams,
                side: int) -> tuple[Targets, Targets]:
        """Content features and blended Gram targets for a scale of ``side`` px."""
        block = self.block_for(params.block, content.shape[1], content.shape[0])
        content_t: Targets = measure(self._passes, self.net.weights, content, block,
                                     CONTENT_LAYERS, ())[0] if block else \
            self._content_features(self.net.weights, _batch(content))
        return content_t, self._blend(styles, scales.style_side(side, params), params.block)

    def _blend(self, styles: StyleImages, style_side: int, block: int | None) -> Targets:
        grams = [self.style_grams(image, style_side, block) for image, _ in styles]
        return losses.blend_grams(grams, [w for _, w in styles])

    def guide(self, layout: Sequence[Region], content: RGB, job_grams: Targets,
              params: StyleParams, side: int,
              previous: Warped | None = None) -> losses.Guide:
        """The regions' masks, Gram targets and weights at ``content``'s size (one scale).
        A region without styles of its own takes the job's blend, ``job_grams``."""
        h, w = content.shape[:2]
        masks = regions.at_size(layout, w, h)
        weights = sum(m * r.content_weight for m, r in zip(masks, layout, strict=True))
        content_map = regions.pool(np.asarray(weights, np.float32),
                                   regions.POOLINGS[CONTENT_LAYERS[0]])
        styled: list[tuple[Targets, Targets, Tensor]] = []
        for mask, region in zip(masks, layout, strict=True):
            if not region.styled:
                continue
            grams = job_grams if region.styles is None else self._blend(
                _prepare_styles(region.styles, content, params), scales.style_side(side, params),
                params.block)
            pyramid = regions.pyramid(mask)
            styled.append(({name: _tensor(pyramid[name]) for name in grams}, grams,
                           _tensor(region.style_weight)))
        guide: losses.Guide = {"content": _tensor(content_map[None, :, :, None]),
                               "regions": styled}
        if previous is not None:  # a clip's later frame: the temporal loss
            at = previous.at(w, h)
            guide["temporal"] = {"previous": _batch(at.image),
                                 "weight": _tensor(at.weights()[None, :, :, None])}
        return guide

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
        total, parts = self._plain.objective(
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
        mask: Mask | None = None,
        previous: Warped | None = None,
        start: RGB | None = None,
    ) -> Result:
        """Repaint ``content`` (H×W×3 uint8) in the blend of ``styles`` ((image, weight)…).

        Faces are protected as ``params.faces`` says; ``params.split`` puts the two styles
        in two parts of the picture (``mask``, H×W in 0-1, for "mask").  ``previous``: a
        clip's last painting carried to this frame, to start from and be held to where it
        is trusted (engine.clip.stylize).  ``start``: the picture to start from, whatever
        ``params.init`` says (resized to the first scale); ``init="look"`` needs it (the
        first look: engine.look, which the core never imports, so the caller paints it)."""
        if params.init == "look" and start is None:
            raise InvalidParams("init=look needs the first look as the start picture")
        if not styles:
            raise InvalidParams("at least one style is needed")
        if any(w <= 0 for _, w in styles):
            raise InvalidParams("style blend weights must be positive")
        started = time.monotonic()
        deadline = started + params.time_budget_s if params.time_budget_s else None
        layout = regions.plan(content, styles, params, mask)
        styles = _prepare_styles(styles, content, params)
        plan, sizes = scales.plan_sizes(params, content.shape[1], content.shape[0])
        full_w, full_h = sizes[-1]
        total_work = scales.work(plan, sizes)
        run = Run(plan, total_work, started, on_progress, should_stop, deadline)

        x: Floats | None = None
        block = 0
        for scale, ((side, iterations), (w, h)) in enumerate(zip(plan, sizes, strict=True), 1):
            scaled = images.resize_to(content, w, h)
            x = _initial_image(scaled, params, start, previous) if x is None else \
                images.resize_to(x, w, h)
            if layout.regions is not None:
                x = regions.start_from_photo(x, scaled, layout.regions)
            run.begin_scale(scale, (w, h))
            block = self.block_for(params.block, w, h)
            while True:  # out of memory: again in smaller blocks, from the scale's start
                try:
                    x = self._paint_scale(x, scaled, styles, params, side, iterations, block,
                                          layout.regions, previous, run, on_preview,
                                          preview_every)
                    break
                except Exception as e:
                    smaller = memory.smaller(block, w, h)
                    if not is_out_of_memory(e) or smaller is None:
                        raise
                log.warning("out of memory at %dx%d in %s; again in %d px blocks", w, h,
                            f"{block} px blocks" if block else "one piece", smaller)
                gc.collect()
                block = smaller
            if run.stopped:
                break

        assert x is not None  # the plan has at least one scale
        out = images.to_uint8(images.resize_to(x, full_w, full_h))
        photo = images.resize_to(content, full_w, full_h)
        if params.color_mode == "keep":
            out = colors.keep_luminance(out, photo)
        if layout.regions is not None:
            out = regions.bring_back_photo(out, photo, layout.regions,
                                           recolour=params.color_mode != "keep")
        return Result(image=out, stats={
            "iterations": run.step, "seconds": round(time.monotonic() - started, 3),
            "loss": run.last_loss, "size": [full_w, full_h],
            "scales": [list(s) for s in sizes], "backend": self.backend, "device": self.device,
            "weights": self.net.spec, "stopped": run.stopped, "faces": layout.faces,
            "block": block})

    def _paint_scale(self, x: Floats, scaled: RGB, styles: StyleImages, params: StyleParams,
                     side: int, iterations: int, block: int, layout: list[Region] | None,
                     previous: Warped | None, run: Run, on_preview: PreviewFn | None,
                     preview_every: int) -> Floats:
        """One scale's optimisation, whole (``block`` 0) or in blocks of ``block`` px."""
        w, h = scaled.shape[1], scaled.shape[0]
        params = params.replace(block=block)  # the targets' measuring too
        content_t, gram_t = self.targets(scaled, styles, params, side)
        targets: tuple[Targets, Any] = (content_t, gram_t)
        guided = layout is not None or previous is not None
        steps: StepFunctions = BlockSteps(self._passes, block) if block else \
            self._guided if guided else self._plain
        pace = None
        if guided:
            parts = layout or [WHOLE]
            targets = (content_t, self.guide(parts, scaled, gram_t, params, side, previous))
            pace = regions.pace(parts, w, h)
        scale = Scale(steps, self.net.weights, targets, self.coefs(params), run, on_preview,
                      preview_every)
        if params.optimizer == "adam":
            return optimisers.adam(x, iterations, scale, params, pace)
        return optimisers.lbfgs(x, iterations, scale, params)


def _prepare_styles(styles: StyleImages, content: RGB,
                    params: StyleParams) -> list[tuple[RGB, float]]:
    if params.color_mode == "match":
        return [(colors.match_colors(image, content), w) for image, w in styles]
    return list(styles)


def _initial_image(content: RGB, params: StyleParams, start: RGB | None,
                   previous: Warped | None) -> Floats:
    """The first scale's picture: a clip's carried painting, ``start``, the photo or noise."""
    h, w = content.shape[:2]
    if previous is not None:
        return previous.at(w, h).image
    if start is not None:
        return images.resize_to(start, w, h).astype(np.float32)
    if params.init != "noise":
        return content.astype(np.float32)
    rng = np.random.default_rng(params.seed)
    return rng.uniform(0, 255, content.shape).astype(np.float32)


_engines: dict[tuple[str, str, str], Engine] = {}


def get_engine(weights: str, pooling: str = "max", precision: str = "auto", *,
               gpu: int | None = None, keras_home: Path | None = None) -> Engine:
    """One Engine per weights, pooling and precision per process (VGG19 loads once)."""
    key = (weights, pooling, backend.precision(precision))  # auto: this machine's choice
    if key not in _engines:
        _engines[key] = Engine(weights, pooling, precision, gpu=gpu, keras_home=keras_home)
    return _engines[key]

