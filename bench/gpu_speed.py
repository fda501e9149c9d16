"""GPU benchmark (docs/architecture.md ("Benchmarks")): seconds per picture and the step's TFLOP/s.

Run through bench/gpu.sh on a GPU machine (JAX there, no TensorFlow); on a CPU,
``KERAS_BACKEND=jax .venv/bin/python -m bench.gpu_speed --tiny`` checks that it works.

- step: the Engine's compiled Adam step (``Engine._adam_step``) and a bare VGG19
  forward+backward (same net, same depth) at each size; achieved TFLOP/s from
  the analytic FLOPs of the convolutions and Gram matrices up to block5_conv1
  (bench/common.py) against the card's dense peaks;
- bf16: the same objective's value-and-gradient with a ``mixed_bfloat16`` VGG19
  (bf16 convolutions, float32 Grams and losses), its speed-up and its loss error
  against float32;
- pictures: ``Engine.stylize`` per quality preset at each size, first call (with
  XLA compilation) and a second, warm call.

Writes gpu.json and gpu.md into --out (default $OUT, else bench/results/gpu) and
prints gpu.md.  ``--merge FILE`` puts a gpu.md into docs/benchmarks.md instead.
Everything is skipped past --budget-s so the whole run fits its slot.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench import common

# Dense (no sparsity) peaks, TFLOP/s, from NVIDIA's H100/H200 datasheets (SXM):
# FP32 on CUDA cores, TF32 and BF16 on tensor cores.  H200 has H100's compute.
PEAKS = {
    "H100 PCIe": {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0},
    "H100 NVL": {"fp32": 60.0, "tf32": 417.5, "bf16": 835.0},
    "H100": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "H200": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def peaks_for(device: str) -> tuple[str | None, dict | None]:
    for name, peak in PEAKS.items():  # most specific first
        if name in device:
            return name, peak
    return None, None


class Budget:
    def __init__(self, seconds: float):
        self.started, self.seconds = time.perf_counter(), seconds
        self.skipped: list[str] = []

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.started)

    def allows(self, what: str, need_s: float = 0.0) -> bool:
        if self.left() > need_s:
            return True
        self.skipped.append(what)
        log(f"skipped (time budget): {what}")
        return False


def block(tree):
    import jax

    return jax.block_until_ready(tree)


def bf16_net(spec: str):
    """The engine's cut VGG19, rebuilt under keras' mixed_bfloat16 policy."""
    import keras

    from engine.model import CONTENT_LAYERS, STYLE_LAYERS, FeatureNet, load_vgg19

    layers = STYLE_LAYERS + CONTENT_LAYERS
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        base = load_vgg19(spec)
        inputs = keras.Input((None, None, 3))
        x, found = inputs, {}
        for layer in base.layers[1:]:
            x = layer(x)
            if layer.name in layers:
                found[layer.name] = x
            if len(found) == len(layers):
                break
        model = keras.Model(inputs, [found[name] for name in layers])
        model.trainable = False
    finally:
        keras.config.set_dtype_policy(before)
    weights = tuple(v.value for v in model.non_trainable_variables)
    return FeatureNet(model=model, layers=layers, weights=weights, spec=f"{spec}+bf16")


def time_calls(fn, n: int, repeats: int) -> float:
    """Median seconds per call over ``repeats`` blocks of ``n`` calls (after a warm call)."""
    block(fn())
    per = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            out = fn()
        block(out)
        per.append((time.perf_counter() - t) / n)
    return statistics.median(per)


def step_section(e, content, style, sizes, args, budget) -> list[dict]:
    from keras import ops

    from engine import backend, losses
    from engine.params import StyleParams

    def bare(x, weights):  # sum of the net's outputs: a bare forward+backward
        total = sum(ops.sum(v) for v in e.net.features(weights, x).values())
        return total, total

    bare_vg = backend.compile(backend.value_and_grad(bare))
    half = bf16_net(e.net.spec) if args.bf16 else None
    half_vg = None
    if half is not None:
        def half_objective(x, weights, ct, gt, coefs):
            return losses.objective(half, weights, x, ct, gt, coefs)

        half_vg = backend.compile(backend.value_and_grad(half_objective))
    rows = []
    for size in sizes:
        if not budget.allows(f"step timing at {size}px", 20):
            continue
        inputs = common.adam_inputs(e, content, style, StyleParams(size=size), size)
        x, ct, gt, coefs, lr = (inputs[k] for k in ("x", "ct", "gt", "coefs", "lr"))
        w, h = inputs["size"]
        zeros = ops.zeros_like(x)
        one = ops.convert_to_tensor(1.0, "float32")

        def adam(x=x, zeros=zeros, one=one, ct=ct, gt=gt, coefs=coefs, lr=lr):
            return e._adam_step(x, zeros, zeros, one, e.net.weights, ct, gt, coefs, lr)

        t0 = time.perf_counter()
        block(adam())
        compile_s = time.perf_counter() - t0
        adam_s = time_calls(adam, args.n, args.repeats)
        bare_s = time_calls(lambda x=x: bare_vg(x, e.net.weights), args.n, args.repeats)
        fwd = common.vgg_forward_flops(w, h)
        row = {"size": [w, h], "adam_ms": adam_s * 1e3, "bare_ms": bare_s * 1e3,
               "compile_s": compile_s, "fwd_gflop": fwd["total"] / 1e9,
               # input gradient only (no weight gradients): forward + one backward ≈ 2×
               "tflops_2x": 2 * fwd["total"] / adam_s / 1e12,
               "tflops_3x": 3 * fwd["total"] / adam_s / 1e12}
        if half is not None:
            f32_loss = float(e._value_and_grad(x, e.net.weights, ct, gt, coefs)[0])
            loss16 = float(half_vg(x, half.weights, ct, gt, coefs)[0])
            f32_s = time_calls(lambda x=x, ct=ct, gt=gt, coefs=coefs:
                               e._value_and_grad(x, e.net.weights, ct, gt, coefs),
                               args.n, args.repeats)
            bf16_s = time_calls(lambda x=x, ct=ct, gt=gt, coefs=coefs:
                                half_vg(x, half.weights, ct, gt, coefs), args.n, args.repeats)
            row.update(vg_f32_ms=f32_s * 1e3, vg_bf16_ms=bf16_s * 1e3,
                       bf16_speedup=f32_s / bf16_s,
                       bf16_tflops_2x=2 * fwd["total"] / bf16_s / 1e12,
                       bf16_loss_rel_err=abs(loss16 - f32_loss) / abs(f32_loss))
        rows.append(row)
        log(f"step {w}x{h}: adam {adam_s * 1e3:.2f} ms, bare {bare_s * 1e3:.2f} ms, "
            f"{row['tflops_2x']:.1f} TFLOP/s (2x fwd)"
            + (f", bf16 ×{row['bf16_speedup']:.2f}" if half is not None else ""))
    return rows


def picture_section(e, content, style, sizes, args, budget) -> list[dict]:
    from engine.params import StyleParams

    rows = []
    for size in sizes:
        for quality in args.presets:
            params = StyleParams(size=size, quality=quality,
                                 iterations=args.iterations or None)
            if not budget.allows(f"{quality} at {size}px", 15):
                continue
            t0 = time.perf_counter()
            first = e.stylize(content, [(style, 1.0)], params)
            cold = time.perf_counter() - t0
            if not budget.allows(f"{quality} at {size}px (warm)", cold * 0.5 + 5):
                warm, result = None, first
            else:
                t0 = time.perf_counter()
                result = e.stylize(content, [(style, 1.0)], params)
                warm = time.perf_counter() - t0
            steps = result.stats["iterations"]
            rows.append({"size": result.stats["size"], "quality": quality, "steps": steps,
                         "scales": [s for s, _ in params.schedule()],
                         "first_s": cold, "warm_s": warm,
                         "ms_per_step": warm / steps * 1e3 if warm else None})
            log(f"{quality} {size}px: {steps} steps, first {cold:.1f}s, warm "
                + (f"{warm:.1f}s" if warm else "skipped"))
    return rows


def markdown(data: dict) -> str:
    f = common.fmt
    peak_name, peak = data["peak_name"], data["peaks"]
    v = data["versions"]
    lines = [f"Device: {data['device']} (backend {data['backend']}, keras {v['keras']}, "
             f"jax {v['jax']}); {data['date']}; weights {data['weights']}"
             + ("; **tiny CPU dry run: the numbers only show that the script works**"
                if data["tiny"] else "") + "."]
    if peak:
        lines.append(f"Peaks used ({peak_name}, dense, NVIDIA datasheet): FP32 {peak['fp32']}, "
                     f"TF32 {peak['tf32']}, BF16 {peak['bf16']} TFLOP/s. JAX's default "
                     f"float32 precision lets XLA use TF32 tensor cores for convolutions.")
    step_rows = []
    for r in data["steps"]:
        pct = "—"
        if peak:
            pct = (f"{100 * r['tflops_2x'] / peak['fp32']:.0f}% / "
                   f"{100 * r['tflops_2x'] / peak['tf32']:.0f}%")
        row = [f"{r['size'][0]}×{r['size'][1]}", f(r["fwd_gflop"]), f(r["bare_ms"]),
               f(r["adam_ms"]), f(r["tflops_2x"]), f(r["tflops_3x"]), pct, f(r["compile_s"])]
        if "bf16_speedup" in r:
            pct16 = f"{100 * r['bf16_tflops_2x'] / peak['bf16']:.0f}%" if peak else "—"
            row += [f(r["vg_f32_ms"]), f(r["vg_bf16_ms"]), f"×{r['bf16_speedup']:.2f}",
                    f(r["bf16_tflops_2x"]), pct16, f(r["bf16_loss_rel_err"])]
        step_rows.append(row)
    headers = ["size", "fwd GFLOP", "bare fwd+bwd ms", "Adam step ms", "TFLOP/s (2× fwd)",
               "TFLOP/s (3× fwd)", "% of FP32 / TF32 peak", "compile s"]
    if any("bf16_speedup" in r for r in data["steps"]):
        headers += ["f32 value+grad ms", "bf16 value+grad ms", "bf16 speed-up",
                    "bf16 TFLOP/s", "% of BF16 peak", "bf16 loss rel. error"]
    lines.append("Step: FLOPs are the convolutions and Gram matrices up to block5_conv1, "
                 "counted from the layer shapes; the step needs the input gradient only (no "
                 "weight gradients), so forward + backward ≈ 2× forward (the usual 3× "
                 "convention shown too).\n\n" + common.table(headers, step_rows))
    pic_rows = [[r["quality"], f"{r['size'][0]}×{r['size'][1]}",
                 " → ".join(str(s) for s in r["scales"]), r["steps"], f(r["first_s"]),
                 f(r["warm_s"]), f(r["ms_per_step"])] for r in data["pictures"]]
    lines.append("Pictures: `Engine.stylize` with the preset's schedule; first call includes "
                 "XLA compilation of every scale.\n\n"
                 + common.table(["quality", "size", "scales (long side)", "steps",
                                 "first call s", "warm s", "ms/step"], pic_rows))
    if data["skipped"]:
        lines.append("Skipped for time: " + ", ".join(data["skipped"]) + ".")
    lines.append(f"Whole run: {data['wall_s']:.0f} s.")
    return "\n\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="CPU dry run: tiny sizes, few steps")
    ap.add_argument("--sizes", default="512,1024")
    ap.add_argument("--presets", default="fast,balanced,best")
    ap.add_argument("--iterations", type=int, default=0, help="override per-scale iterations")
    ap.add_argument("--n", type=int, default=10, help="step calls per timed block")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-bf16", dest="bf16", action="store_false")
    ap.add_argument("--budget-s", type=float, default=270)
    ap.add_argument("--out", default=os.environ.get("OUT") or str(common.BENCH / "results" / "gpu"))
    ap.add_argument("--merge", help="put this gpu.md into docs/benchmarks.md and exit")
    args = ap.parse_args(argv)
    if args.merge:
        ok = common.replace_block(common.DOCS, "bench/gpu_speed.py", Path(args.merge).read_text())
        log("merged" if ok else f"no GPU block in {common.DOCS}")
        return 0 if ok else 1
    if args.tiny:
        args.sizes, args.iterations, args.n, args.repeats = "48,64", 3, 2, 2
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("LIENZO_VGG19_WEIGHTS", "random")
    started = time.perf_counter()
    budget = Budget(args.budget_s)
    import keras

    from engine.transfer import Engine

    e = Engine()
    log(f"backend {e.backend}, device {e.device}, weights {e.net.spec}")
    if e.backend != "jax":
        log("note: bf16 and step timing block with jax.block_until_ready; use KERAS_BACKEND=jax")
        return 2
    args.presets = [p for p in args.presets.split(",") if p]
    sizes = [int(s) for s in args.sizes.split(",")]
    content, style = common.pictures()
    peak_name, peak = peaks_for(e.device)
    data = {"device": e.device, "backend": e.backend, "weights": e.net.spec,
            "versions": common.versions(("keras", "jax", "jaxlib", "numpy")),
            "date": common.machine()["date"], "tiny": args.tiny, "peak_name": peak_name,
            "peaks": peak, "keras_dtype_policy": keras.config.dtype_policy().name}
    data["steps"] = step_section(e, content, style, sizes, args, budget)
    data["pictures"] = picture_section(e, content, style, sizes, args, budget)
    data["skipped"] = budget.skipped
    data["wall_s"] = time.perf_counter() - started
    text = markdown(data)
    out = Path(args.out)
    common.dump(out / "gpu.json", data)
    (out / "gpu.md").write_text(text + "\n")
    print(text)
    log(f"wrote {out / 'gpu.json'} and {out / 'gpu.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
