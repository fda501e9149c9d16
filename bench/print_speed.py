"""Print-size paintings (engine.core.blocks): seconds per step and peak memory, the whole
picture against blocks, and the blocks' gradient against the whole picture's.

    .venv/bin/python -m bench.print_speed              # ~40 min on 2 CPU cores
    .venv/bin/python -m bench.print_speed --quick      # smoke test (256 and 512 px)
    .venv/bin/python -m bench.print_speed --sizes 1024 2048 4096 --blocks 0 1024 512  # a GPU
    .venv/bin/python -m bench.print_speed --job 7680   # one 8K print (7680×4320), timed

Each case runs in a process of its own, so that its peak memory is its own: one
compiled Adam step at the size (whole, or ``BlockSteps`` in blocks of N px) to warm up
and compile, then ``--steps`` timed steps.  Peak memory is the process's peak resident
set on a CPU (``ru_maxrss``: the engine, the step and the buffers) and the allocator's
peak on a GPU (JAX's ``peak_bytes_in_use``, TensorFlow's ``peak``).  A whole picture
that engine.core.memory says does not fit is not tried.

a) speed and memory per (size, block); ratios to the whole picture's step where both
   ran, and each size's peak against the next smaller size's at the same block;
b) agreement: max |block gradient − whole gradient| / max |whole gradient| at 512 px.

Runs on the backend Keras is set to, random VGG19 weights unless LIENZO_VGG19_WEIGHTS
says otherwise (speed and memory do not depend on the weights' values), on the
benchmarks' generated photo and painting.  Results: tables on stdout and between the
``print`` markers in docs/benchmarks.md, raw numbers in bench/results/print.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from bench import common

RESULTS = common.ROOT / "bench" / "results" / "print.json"


def measure_case(size: int, block: int, steps: int) -> dict:
    """One (size, block) case in this process: seconds per step and peak memory."""
    import resource

    from keras import ops

    from engine.core import backend
    from engine.core.block_steps import BlockSteps
    from engine.core.transfer import get_engine
    from engine.params import StyleParams

    e = get_engine(os.environ.get("LIENZO_VGG19_WEIGHTS", "random"))
    content, style = common.pictures()
    params = StyleParams(size=size, block=block)
    inputs = common.adam_inputs(e, content, style, params, size)
    step = BlockSteps(e._passes, block).adam_step if block else e._plain.adam_step
    x = inputs["x"]
    m, v = ops.zeros_like(x), ops.zeros_like(x)
    times = []
    for t in range(1, steps + 2):
        began = time.perf_counter()
        x, m, v, loss, _ = step(x, m, v, ops.convert_to_tensor(t, "float32"), e.net.weights,
                                inputs["ct"], inputs["gt"], inputs["coefs"], inputs["lr"])
        float(loss)
        times.append(time.perf_counter() - began)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    device_peak = _device_peak() if backend.has_gpu() else None
    w, h = inputs["size"]
    return {"size": size, "w": w, "h": h, "block": block, "first_s": times[0],
            "s_per_step": float(np.median(times[1:])), "peak_rss": peak,
            "device_peak": device_peak, "device": backend.device(), "backend": backend.name()}


def _device_peak() -> int | None:
    from engine.core import backend

    if backend.name() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return stats.get("peak_bytes_in_use")
    import tensorflow as tf

    return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])


def agreement(size: int, blocks: list[int]) -> dict:
    """The block gradient against the whole picture's at ``size`` px."""
    from engine.core.block_steps import BlockSteps
    from engine.core.transfer import get_engine
    from engine.params import StyleParams

    e = get_engine(os.environ.get("LIENZO_VGG19_WEIGHTS", "random"), precision="fp32")
    content, style = common.pictures()
    inputs = common.adam_inputs(e, content, style, StyleParams(size=size), size)
    args = (inputs["x"], e.net.weights, inputs["ct"], inputs["gt"], inputs["coefs"])
    whole = np.asarray(e._plain.value_and_grad(*args)[2])
    out = {}
    for block in blocks:
        grad = np.asarray(BlockSteps(e._passes, block).value_and_grad(*args)[2])
        out[str(block)] = float(np.abs(grad - whole).max() / np.abs(whole).max())
    return out


def print_job(size: int, quality: str) -> dict:
    """A whole print as the worker paints one: ``Engine.stylize`` at ``size`` px (the
    photo upscaled, the blocks chosen by the engine), its seconds, scales, the last
    scale's block and the peak memory - the 8K goal's measure (7680: 7680×4320)."""
    import resource

    from engine.core import backend
    from engine.core.transfer import get_engine
    from engine.media import images
    from engine.params import StyleParams

    e = get_engine(os.environ.get("LIENZO_VGG19_WEIGHTS", "random"))
    content, style = common.pictures()
    w, h = (size, size * 9 // 16) if size >= 4000 else images.fit_within(
        content.shape[1], content.shape[0], size)
    photo = images.resize_to(content, w, h)
    started = time.perf_counter()
    result = e.stylize(photo, [(style, 1.0)], StyleParams(size=size, quality=quality,
                                                          min_side=1024))
    return {"size": [w, h], "quality": quality, "seconds": time.perf_counter() - started,
            "scales": result.stats["scales"], "block": result.stats["block"],
            "steps": result.stats["iterations"], "device": backend.device(),
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "device_peak": _device_peak() if backend.has_gpu() else None}


def fits_whole(size: int) -> bool:
    """engine.core.memory's verdict on a whole-picture step at ``size`` px here."""
    from engine.core import memory
    from engine.core.transfer import get_engine
    from engine.media import images

    e = get_engine(os.environ.get("LIENZO_VGG19_WEIGHTS", "random"))
    content, _ = common.pictures()
    w, h = images.fit_within(content.shape[1], content.shape[0], size)
    return memory.block_for(None, w, h, e.precision, e._passes.halo) == 0


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.print_speed", *args],
                         capture_output=True, text=True, env=common.child_env(),
                         cwd=common.ROOT, timeout=7200)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(cases: list[dict], agree: dict, machine: dict) -> str:
    whole = {c["size"]: c for c in cases if c.get("block") == 0 and "error" not in c}
    by_key = {(c["size"], c["block"]): c for c in cases if "error" not in c}
    sizes = sorted({c["size"] for c in cases if "size" in c})
    rows = []
    for c in cases:
        if "error" in c:
            rows.append([c["case"], "—", "—", "—", "—", "—", c["error"]])
            continue
        base = whole.get(c["size"])
        ratio = common.fmt(c["s_per_step"] / base["s_per_step"]) if base and c["block"] else "—"
        smaller = [s for s in sizes if s < c["size"] and (s, c["block"]) in by_key]
        grow = common.fmt(c["peak_rss"] / by_key[(smaller[-1], c["block"])]["peak_rss"]) \
            if smaller else "—"
        peak = c["device_peak"] if c["device_peak"] is not None else c["peak_rss"]
        rows.append([f"{c['w']}×{c['h']}", "whole" if not c["block"] else f"{c['block']} px",
                     common.fmt(c["s_per_step"]), common.fmt(c["first_s"]),
                     f"{peak / 2**30:.2f} GiB", grow, ratio])
    text = [f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB; "
            f"{cases[0].get('backend', '?')} on {cases[0].get('device', '?')}; "
            f"{machine['date']}, revision {common.git_revision()}.", "",
            common.table(["picture", "evaluated", "s/step", "first step (compile) s",
                          "peak memory", "peak ÷ next smaller size's", "step ÷ whole's"],
                         rows), "",
            "Gradient agreement at 512 px (max |blocks − whole| ÷ max |whole|): "
            + ", ".join(f"{b} px blocks {v:.1e}" for b, v in agree.items()) + "."]
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--blocks", type=int, nargs="+", default=[0, 512, 256])
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--case", type=int, nargs=2, metavar=("SIZE", "BLOCK"))
    parser.add_argument("--agree", type=int, nargs="+", metavar="SIZE BLOCK")
    parser.add_argument("--fits", type=int, metavar="SIZE")
    parser.add_argument("--job", type=int, metavar="SIZE",
                        help="time one whole print at SIZE px (7680: 8K, 7680×4320)")
    parser.add_argument("--quality", default="balanced")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure_case(args.case[0], args.case[1], args.steps)))
        return
    if args.agree:
        print(json.dumps(agreement(args.agree[0], args.agree[1:])))
        return
    if args.job:
        print(json.dumps(print_job(args.job, args.quality)))
        return
    if args.fits:
        print(json.dumps({"fits": fits_whole(args.fits)}))
        return
    sizes, blocks = ([256, 512], [0, 128]) if args.quick else (args.sizes, args.blocks)
    cases = []
    for size in sizes:
        for block in blocks:
            if block >= size:
                continue
            if block == 0 and not _child("--fits", str(size)).get("fits"):
                cases.append({"case": f"{size} px whole", "error": "does not fit: not tried"})
                continue
            found = _child("--case", str(size), str(block), "--steps", str(args.steps))
            cases.append({"case": f"{size} px, block {block}", **found})
            print(cases[-1], flush=True)
    agree = _child("--agree", "512", *[str(b) for b in blocks if 0 < b < 512] or ["128"])
    data: dict = {"machine": common.machine(), "versions": common.versions(), "cases": cases,
            "agreement": agree}
    text = report(cases, agree, data["machine"])
    common.dump(RESULTS, data)
    print(text)
    if args.docs:
        common.publish("print", text)


if __name__ == "__main__":
    main()
