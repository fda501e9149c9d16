"""What spatial control (engine.core.regions) costs: step overhead with masks, time to
settle with and without face protection, and before/after pictures.

    .venv/bin/python -m bench.regions_speed                 # ~10 min on 2 CPU cores
    .venv/bin/python -m bench.regions_speed --quick         # smoke test

Runs on the backend Keras is set to (TensorFlow unless KERAS_BACKEND says), random
VGG19 weights unless LIENZO_VGG19_WEIGHTS says otherwise, on scikit-image's
astronaut (one face the cascade finds) and the benchmarks' generated painting.

a) step overhead: one compiled Adam step of the plain objective, of the guided
   objective with one region covering the picture, and with the astronaut's face
   protected (two regions: the face, the rest); interleaved chunks, the fastest
   chunk of each kind (noise only adds time), ratios to the plain step in one run.
b) settling: ``Engine.stylize`` with ``faces=paint`` and ``faces=soft`` on the same
   schedule; seconds per step, and the seconds and steps until the loss is within
   5 % of where that run ends (each objective against its own end: the protected
   objective is a different function).
c) pictures: the photo and ``faces=paint|soft|keep`` side by side at 256 px, written
   to docs/img/faces-astronaut-256.jpg.

Results: tables on stdout and between the ``regions`` markers in docs/benchmarks.md,
raw numbers in bench/results/regions.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from bench import common

RESULTS = common.ROOT / "bench" / "results" / "regions.json"
PICTURE = common.ROOT / "docs" / "img" / "faces-astronaut-256.jpg"
SETTLED = 1.05  # "settled": the loss within 5 % of where the run ends


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def _astronaut(size: int) -> np.ndarray:
    from skimage import data

    from engine.media import images

    return images.resize_to(data.astronaut(), size, size)


def step_overhead(e, size: int, reps: int, chunk: int) -> dict:
    """Seconds per Adam step: plain, one whole-picture region, a protected face."""
    from keras import ops

    from engine.core import regions
    from engine.core.optimisers import batch as _batch
    from engine.params import StyleParams

    photo, style = _astronaut(size), common.make_style(256)
    params = StyleParams(size=size)
    content_t, gram_t = e.targets(photo, [(style, 1.0)], params, size)
    whole = [regions.Region(np.ones(photo.shape[:2], np.float32))]
    face = regions.plan(photo, [(style, 1.0)], params).regions
    assert face is not None, "the cascade found no face in the astronaut"
    kinds = {
        "plain": (e._plain, gram_t),
        "one region": (e._guided, e.guide(whole, photo, gram_t, params, size)),
        "face protected": (e._guided, e.guide(face, photo, gram_t, params, size)),
    }
    coefs, lr = e.coefs(params), ops.convert_to_tensor(1.0, "float32")
    x0 = _batch(photo.astype(np.float32))

    def run(kind: str, n: int) -> float:
        steps, second = kinds[kind]
        x, m, v = x0, ops.zeros_like(x0), ops.zeros_like(x0)
        t0 = time.perf_counter()
        for t in range(1, n + 1):
            x, m, v, loss, _ = steps.adam_step(x, m, v, ops.convert_to_tensor(t, "float32"),
                                               e.net.weights, content_t, second, coefs, lr)
            float(loss)
        return (time.perf_counter() - t0) / n

    for kind in kinds:  # compile
        run(kind, 1)
    best = {kind: float("inf") for kind in kinds}
    for _ in range(reps):
        for kind in kinds:
            best[kind] = min(best[kind], run(kind, chunk))
    log(f"a) {size} px: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in best.items()))
    return {"size": size, "seconds": best,
            "ratio": {k: best[k] / best["plain"] for k in best}}


def settling(e, size: int, iterations: int) -> dict:
    """faces=paint vs faces=soft on the same schedule: per step, and to settle."""
    from engine.params import StyleParams

    photo, style = _astronaut(512), common.make_style(256)
    out: dict[str, dict[str, float]] = {}
    for faces in ("paint", "soft", "paint", "soft"):  # twice, alternately: drift hits both
        stamps: list[tuple[float, float]] = []
        params = StyleParams(size=size, quality="balanced", iterations=iterations,
                             faces=faces)
        t0 = time.perf_counter()
        e.stylize(photo, [(style, 1.0)], params,
                  on_progress=lambda p, stamps=stamps: stamps.append(
                      (time.perf_counter(), p.loss)))
        losses = [loss for _, loss in stamps]
        final = losses[-1]
        settled = next(i for i, loss in enumerate(losses) if loss <= final * SETTLED)
        run = {"seconds": time.perf_counter() - t0, "steps": len(stamps),
               "per_step": (stamps[-1][0] - stamps[0][0]) / (len(stamps) - 1),
               "settled_step": settled + 1,
               "settled_s": stamps[settled][0] - t0, "final_loss": final}
        best = out.get(faces)
        if best is None or run["seconds"] < best["seconds"]:
            out[faces] = run
        log(f"b) {faces}: {run['seconds']:.1f} s, settled at step {settled + 1}")
    return out


def pictures(e, size: int, iterations: int) -> list[str]:
    """Photo | paint | soft | keep, at ``size`` px, into docs/img."""
    from PIL import Image

    from engine.params import StyleParams

    photo, style = _astronaut(512), common.make_style(256)
    panels = [Image.fromarray(_astronaut(size))]
    for faces in ("paint", "soft", "keep"):
        params = StyleParams(size=size, quality="balanced", iterations=iterations, faces=faces)
        panels.append(Image.fromarray(e.stylize(photo, [(style, 1.0)], params).image))
    sheet = Image.new("RGB", (size * len(panels) + 8 * (len(panels) - 1), size), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel, (i * (size + 8), 0))
    PICTURE.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(PICTURE, quality=88)
    return ["photo", "faces=paint", "faces=soft (default)", "faces=keep"]


def tables(results: dict) -> str:
    meta = results["meta"]
    rows = [[r["size"], *(f"{r['seconds'][k] * 1000:.0f} ms ({r['ratio'][k]:.3f}×)"
                         for k in ("plain", "one region", "face protected"))]
            for r in results["overhead"]]
    settle = results["settling"]
    srows = [[k, f"{v['per_step'] * 1000:.0f} ms", v["steps"],
              f"{v['settled_step']} ({v['settled_s']:.1f} s)", f"{v['seconds']:.1f} s"]
             for k, v in settle.items()]
    ratio = settle["soft"]["settled_s"] / settle["paint"]["settled_s"]
    lines = [
        f"Machine: {meta['machine']}; Keras {meta['backend']} on {meta['device']}; "
        f"VGG19 weights: {meta['weights']} (random weights: the timings are the real "
        "network's, the pictures are not art).  `python -m bench.regions_speed`.",
        "",
        "**a) Step overhead** (one compiled Adam step, fastest of interleaved chunks; "
        "ratio to the plain step; goal for one region ≤ 1.05×):",
        "",
        common.table(["px", "plain", "one region", "face protected"], rows),
        "",
        f"**b) Settling** ({settle['paint']['steps']} steps, balanced schedule to "
        f"{results['settle_size']} px; faster of two alternating runs each):",
        "",
        common.table(["faces", "per step", "steps", f"loss within {SETTLED - 1:.0%} of its end "
                      "at step", "whole run"], srows),
        "",
        f"Protected ÷ unprotected time to settle: {ratio:.2f}×.",
        "",
        f"**c) Pictures** (astronaut, {results['picture_size']} px; "
        + " | ".join(results["panels"]) + "):",
        "",
        f"![faces](img/{PICTURE.name})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    args = ap.parse_args(argv)
    os.environ.setdefault("LIENZO_VGG19_WEIGHTS", "random")
    from engine import config
    from engine.core.transfer import Engine

    settings = config.load()
    e = Engine(settings.weights, gpu=settings.gpu, keras_home=settings.keras_home)
    sizes, reps, chunk = ([128], 2, 2) if args.quick else ([256, 384], 6, 4)
    settle_size, iterations = (96, 20) if args.quick else (256, 80)
    results = {
        "meta": {"machine": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.machine()})",
                 "backend": e.backend, "device": e.device, "weights": e.net.spec},
        "overhead": [step_overhead(e, s, reps, chunk) for s in sizes],
        "settling": settling(e, settle_size, iterations),
        "settle_size": settle_size,
        "picture_size": 256,
        "panels": pictures(e, 256, 40 if args.quick else 120),
    }
    common.dump(RESULTS, results)
    text = tables(results)
    print(text)
    if not args.quick:
        common.replace_block(common.DOCS, "regions", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
