"""GPU benchmark (docs/architecture.md ("Benchmarks"), issue 14): seconds per job, the
step's TFLOP/s against the card's peak, bf16 against fp32, peak memory per job, and
jobs per hour with 1, 2 and 4 workers sharing one GPU.

Run through bench/gpu.sh on a GPU machine (JAX there, no TensorFlow); on a CPU,
``bash bench/gpu.sh --tiny`` checks that it works.  Everything runs through the
product's own paths: ``Engine(precision=...)`` (engine/core/model.py's bf16 net), the
worker's memory settings (``engine.config.backend_environment``, set before JAX
starts, in this process and in each worker process).

- jobs: ``Engine.stylize`` for each ``--jobs`` entry (default 512 px balanced and
  1024 px best, the issue's goals: ≤ 2 s and ≤ 8 s on an H100/H200) in each
  ``--precisions``, first call (XLA compilation included) and warm; the peak GPU
  memory after each (JAX's allocator statistics; sizes run smallest first, so the
  running peak is that job's) and so how many such jobs fit in 90% of the GPU;
- step: the Engine's compiled Adam step and a bare VGG19 forward+backward at each
  ``--sizes``; achieved TFLOP/s from the analytic FLOPs of the convolutions and
  Gram matrices up to block5_conv1 (bench/common.py) against the card's dense
  peaks; the bf16 Engine's value-and-gradient, its speed-up and its loss error;
- workers: ``--workers`` (default 1, 2, 4) worker processes on the one GPU, each
  with the memory share ``LIENZO_GPU_MEMORY_FRACTION=auto`` gives it, each painting
  ``--jobs-each`` ``--worker-job`` pictures at once: jobs per hour, against one
  worker (goal: ≥ 3× at 512 px).  The processes start once (their XLA compilation
  is not timed) and paint in phases: 1 of them, then 2, then all.

Writes gpu.json and gpu.md into --out (default $OUT, else bench/results/gpu) and
prints gpu.md.  ``--merge FILE`` puts a gpu.md into docs/benchmarks.md instead.
Everything is skipped past --budget-s so the whole run fits its slot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from bench import common

# Dense (no sparsity) peaks, TFLOP/s, from NVIDIA's H100/H200 datasheets (SXM):
# FP32 on CUDA cores, TF32 and BF16 on tensor cores.  H200 has H100's compute.
PEAKS = {
    "H100 PCIe": {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0},
    "H100 NVL": {"fp32": 60.0, "tf32": 417.5, "bf16": 835.0},
    "H100": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "H200": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
}
GOALS_S = {(512, "balanced"): 2.0, (1024, "best"): 8.0}  # issue 14, on an H100/H200
GOAL_SPEEDUP = 3.0  # jobs per hour of the most workers against one, at 512 px


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


def memory_peak() -> int | None:
    """The GPU allocator's peak bytes in use so far in this process (None on a CPU)."""
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def gpu_memory_bytes() -> int | None:
    from engine.core import backend
    from engine.errors import LienzoError

    try:
        return backend.gpu_memory_mb("nvidia-smi") * 2**20
    except LienzoError:
        return None


def params_for(size: int, quality: str, iterations: int = 0):
    """The job's StyleParams, faces left alone: the bench measures the optimisation,
    and face detection (OpenCV) is neither on the GPU nor on the GPU machine."""
    from engine.params import StyleParams

    params = StyleParams(size=size, quality=quality, iterations=iterations or None)
    return params.replace(faces="paint") if hasattr(params, "faces") else params


def steps_of(e):
    """The engine's compiled (Adam step, value-and-gradient) of the plain objective."""
    return e._plain.adam_step, e._plain.value_and_grad


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


def parse_jobs(text: str) -> list[tuple[int, str]]:
    jobs = []
    for item in filter(None, text.split(",")):
        size, _, quality = item.partition(":")
        jobs.append((int(size), quality or "balanced"))
    return jobs


# -- jobs -------------------------------------------------------------------------
def job_section(engines, content, style, jobs, args, budget) -> list[dict]:
    total = gpu_memory_bytes()
    rows = []
    for size, quality in sorted(jobs):
        for precision, e in engines.items():
            params = params_for(size, quality, args.iterations)
            if not budget.allows(f"{quality} at {size}px ({precision})", 15):
                continue
            t0 = time.perf_counter()
            first = e.stylize(content, [(style, 1.0)], params)
            cold = time.perf_counter() - t0
            warm, result = None, first
            if budget.allows(f"{quality} at {size}px ({precision}, warm)", cold * 0.5 + 5):
                t0 = time.perf_counter()
                result = e.stylize(content, [(style, 1.0)], params)
                warm = time.perf_counter() - t0
            peak = memory_peak()
            steps = result.stats["iterations"]
            goal = GOALS_S.get((size, quality)) if not args.tiny else None
            rows.append({"size": result.stats["size"], "asked": size, "quality": quality,
                         "precision": precision, "steps": steps, "first_s": cold,
                         "warm_s": warm, "ms_per_step": warm / steps * 1e3 if warm else None,
                         "scales": [s for s, _ in params.schedule()], "goal_s": goal,
                         "peak_bytes": peak,
                         "fit_in_90pct": int(0.9 * total // peak) if peak and total else None})
            log(f"{quality} {size}px {precision}: {steps} steps, first {cold:.1f}s, warm "
                + (f"{warm:.2f}s" if warm else "skipped")
                + (f", peak {peak / 2**30:.2f} GiB" if peak else ""))
    return rows


# -- step -------------------------------------------------------------------------
def step_section(engines, content, style, sizes, args, budget) -> list[dict]:
    from keras import ops

    from engine.core import backend

    e = engines.get("fp32") or next(iter(engines.values()))
    adam_step, value_and_grad = steps_of(e)
    half = engines.get("bf16")

    def bare(x, weights):  # sum of the net's outputs: a bare forward+backward
        total = sum(ops.sum(v) for v in e.net.features(weights, x).values())
        return total, total

    bare_vg = backend.compile(backend.value_and_grad(bare))
    rows = []
    for size in sizes:
        if not budget.allows(f"step timing at {size}px", 20):
            continue
        inputs = common.adam_inputs(e, content, style, params_for(size, "balanced"), size)
        x, ct, gt, coefs, lr = (inputs[k] for k in ("x", "ct", "gt", "coefs", "lr"))
        w, h = inputs["size"]
        zeros = ops.zeros_like(x)
        one = ops.convert_to_tensor(1.0, "float32")

        def adam(x=x, zeros=zeros, one=one, ct=ct, gt=gt, coefs=coefs, lr=lr):
            return adam_step(x, zeros, zeros, one, e.net.weights, ct, gt, coefs, lr)

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
        if half is not None and budget.allows(f"bf16 step at {size}px", 15):
            _, half_vg = steps_of(half)
            f32_loss = float(value_and_grad(x, e.net.weights, ct, gt, coefs)[0])
            loss16 = float(half_vg(x, half.net.weights, ct, gt, coefs)[0])
            f32_s = time_calls(lambda x=x, ct=ct, gt=gt, coefs=coefs:
                               value_and_grad(x, e.net.weights, ct, gt, coefs),
                               args.n, args.repeats)
            bf16_s = time_calls(lambda x=x, ct=ct, gt=gt, coefs=coefs, vg=half_vg:
                                vg(x, half.net.weights, ct, gt, coefs), args.n, args.repeats)
            row.update(vg_f32_ms=f32_s * 1e3, vg_bf16_ms=bf16_s * 1e3,
                       bf16_speedup=f32_s / bf16_s,
                       bf16_tflops_2x=2 * fwd["total"] / bf16_s / 1e12,
                       bf16_loss_rel_err=abs(loss16 - f32_loss) / abs(f32_loss))
        rows.append(row)
        log(f"step {w}x{h}: adam {adam_s * 1e3:.2f} ms, bare {bare_s * 1e3:.2f} ms, "
            f"{row['tflops_2x']:.1f} TFLOP/s (2x fwd)"
            + (f", bf16 ×{row['bf16_speedup']:.2f}" if "bf16_speedup" in row else ""))
    return rows


# -- workers sharing the GPU --------------------------------------------------------
def worker_env(sharing: int) -> dict[str, str]:
    """A worker process's environment as ``lienzo bot`` makes it for each of ``sharing``
    workers on GPU 0 (``bot.gpus.gpu_env``: the GPU pinned, and
    ``LIENZO_GPU_MEMORY_FRACTION=auto``'s share); the process applies it as
    ``lienzo worker`` does (``main``: ``engine.config.backend_environment``)."""
    from bot.gpus import gpu_env

    env = {k: v for k, v in os.environ.items()
           if k not in ("XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION",
                        "LIENZO_GPU_MEMORY_FRACTION")}
    env = gpu_env(env, "0", sharing)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(common.ROOT), env.get("PYTHONPATH"))
                                        if p)
    return env


def _pipes(child: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    """A child's stdin and stdout (it was started with both as pipes)."""
    assert child.stdin is not None and child.stdout is not None
    return child.stdin, child.stdout


def worker_section(args, budget) -> dict:
    counts = sorted({int(n) for n in args.workers.split(",") if n})
    if not counts or not budget.allows("workers sharing the GPU", 60):
        return {}
    size, quality = parse_jobs(args.worker_job)[0]
    most = counts[-1]
    cmd = [sys.executable, "-m", "bench.gpu_speed", "--child", f"{size}:{quality}",
           "--iterations", str(args.iterations), "--precision", args.precision]
    children = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True, env=worker_env(most)) for _ in range(most)]
    result: dict = {"size": size, "quality": quality, "jobs_each": args.jobs_each,
                    "fraction": worker_env(most).get("LIENZO_GPU_MEMORY_FRACTION"),
                    "phases": []}
    try:
        t0 = time.perf_counter()
        for child in children:  # each compiles every scale first (not timed)
            line = _pipes(child)[1].readline()
            if not line.startswith("ready"):
                raise RuntimeError(f"a worker process failed to start: {line!r}")
        result["startup_s"] = time.perf_counter() - t0
        for n in counts:
            if not budget.allows(f"{n} worker(s) at {size}px", 10):
                continue
            t0 = time.perf_counter()
            for child in children[:n]:
                stdin = _pipes(child)[0]
                stdin.write(f"go {args.jobs_each}\n")
                stdin.flush()
            done = [json.loads(_pipes(child)[1].readline()) for child in children[:n]]
            wall = time.perf_counter() - t0
            jobs = n * args.jobs_each
            per_job = [s for d in done for s in d["seconds"]]
            result["phases"].append({
                "workers": n, "jobs": jobs, "wall_s": wall, "jobs_per_hour": jobs / wall * 3600,
                "job_s_median": statistics.median(per_job),
                "peak_bytes": max((d["peak_bytes"] or 0) for d in done) or None})
            log(f"{n} worker(s): {jobs} jobs in {wall:.1f}s = {jobs / wall * 3600:.0f} jobs/h")
    finally:
        for child in children:
            _pipes(child)[0].close()
        for child in children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
    if result["phases"]:
        one = result["phases"][0]["jobs_per_hour"]
        for phase in result["phases"]:
            phase["speedup"] = phase["jobs_per_hour"] / one
    return result


def child(job: str, iterations: int, precision: str) -> int:
    """A worker process of ``worker_section``: warm up, say ``ready``, then for each
    ``go K`` paint K jobs and answer one JSON line."""
    from engine import config
    from engine.core.transfer import Engine

    size, quality = parse_jobs(job)[0]
    settings = config.load()
    e = Engine(settings.weights, precision=precision, gpu=settings.gpu,
               keras_home=settings.keras_home)
    content, style = common.pictures()
    params = params_for(size, quality, iterations)
    e.stylize(content, [(style, 1.0)], params.replace(iterations=2))  # compiles every scale
    print("ready", flush=True)
    for line in sys.stdin:
        seconds = []
        for _ in range(int(line.split()[1])):
            t0 = time.perf_counter()
            e.stylize(content, [(style, 1.0)], params)
            seconds.append(time.perf_counter() - t0)
        print(json.dumps({"seconds": seconds, "peak_bytes": memory_peak()}), flush=True)
    return 0


# -- the report -------------------------------------------------------------------
def markdown(data: dict) -> str:
    f = common.fmt
    peak_name, peak = data["peak_name"], data["peaks"]
    v = data["versions"]

    def gib(b):
        return f"{b / 2**30:.2f}" if b else "—"

    lines = [f"Device: {data['device']} (backend {data['backend']}, keras {v['keras']}, "
             f"jax {v['jax']}); {data['date']}; weights {data['weights']}; precision auto = "
             f"{data['auto_precision']}"
             + ("; **tiny CPU dry run: the numbers only show that the script works**"
                if data["tiny"] else "") + "."]
    if peak:
        lines.append(f"Peaks used ({peak_name}, dense, NVIDIA datasheet): FP32 {peak['fp32']}, "
                     f"TF32 {peak['tf32']}, BF16 {peak['bf16']} TFLOP/s. JAX's default "
                     f"float32 precision lets XLA use TF32 tensor cores for convolutions.")
    job_rows = [[r["quality"], f"{r['size'][0]}×{r['size'][1]}", r["precision"],
                 " → ".join(str(s) for s in r["scales"]), r["steps"], f(r["first_s"]),
                 f(r["warm_s"]), f(r["ms_per_step"]),
                 ("—" if r["goal_s"] is None or r["warm_s"] is None else
                  f"≤ {r['goal_s']:g} s: {'met' if r['warm_s'] <= r['goal_s'] else 'missed'}"),
                 gib(r["peak_bytes"]), f(r["fit_in_90pct"])] for r in data["jobs"]]
    lines.append("Jobs: `Engine.stylize` with the preset's schedule; the first call includes "
                 "XLA compilation of every scale; peak memory is the allocator's peak in use "
                 "after the job (smallest jobs first), and \"fit\" how many such jobs 90% of "
                 "the GPU's memory holds.\n\n"
                 + common.table(["quality", "size", "precision", "scales (long side)", "steps",
                                 "first call s", "warm s", "ms/step", "goal", "peak GiB",
                                 "fit"], job_rows))
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
    headers = ["size", "fwd GFLOP", "bare fwd+bwd ms", "Adam step ms (fp32)",
               "TFLOP/s (2× fwd)", "TFLOP/s (3× fwd)", "% of FP32 / TF32 peak", "compile s"]
    if any("bf16_speedup" in r for r in data["steps"]):
        headers += ["fp32 value+grad ms", "bf16 value+grad ms", "bf16 speed-up",
                    "bf16 TFLOP/s", "% of BF16 peak", "bf16 loss rel. error"]
    lines.append("Step: FLOPs are the convolutions and Gram matrices up to block5_conv1, "
                 "counted from the layer shapes; the step needs the input gradient only (no "
                 "weight gradients), so forward + backward ≈ 2× forward (the usual 3× "
                 "convention shown too).\n\n" + common.table(headers, step_rows))
    w = data["workers"]
    if w.get("phases"):
        rows = [[p["workers"], p["jobs"], f(p["wall_s"]), f(p["jobs_per_hour"]),
                 f"×{p['speedup']:.2f}", f(p["job_s_median"]), gib(p["peak_bytes"])]
                for p in w["phases"]]
        goal = ""
        if not data["tiny"] and len(w["phases"]) > 1:
            best = w["phases"][-1]["speedup"]
            goal = (f" Goal ≥ ×{GOAL_SPEEDUP:g} with {w['phases'][-1]['workers']} workers: "
                    f"{'met' if best >= GOAL_SPEEDUP else 'missed'}.")
        lines.append(f"Workers sharing one GPU: separate processes, each with "
                     f"LIENZO_GPU_MEMORY_FRACTION=auto's share "
                     f"({w.get('fraction') or 'none'}), each painting {w['jobs_each']} "
                     f"{w['quality']} pictures at {w['size']} px at once (start-up and "
                     f"compilation not timed: {f(w.get('startup_s'))} s).{goal}\n\n"
                     + common.table(["workers", "jobs", "wall s", "jobs/hour", "vs one",
                                     "median s/job", "peak GiB per worker"], rows))
    if data["skipped"]:
        lines.append("Skipped for time: " + ", ".join(data["skipped"]) + ".")
    lines.append(f"Whole run: {data['wall_s']:.0f} s.")
    return "\n\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="CPU dry run: tiny sizes, few steps")
    ap.add_argument("--jobs", default="512:balanced,1024:best", metavar="PX:QUALITY,...")
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--sizes", default="512,1024", help="step timing sizes")
    ap.add_argument("--workers", default="1,2,4", help="worker processes on the one GPU")
    ap.add_argument("--worker-job", default="512:balanced", metavar="PX:QUALITY")
    ap.add_argument("--jobs-each", type=int, default=3)
    ap.add_argument("--precision", default="auto", help="the worker processes' precision")
    ap.add_argument("--iterations", type=int, default=0, help="override per-scale iterations")
    ap.add_argument("--n", type=int, default=10, help="step calls per timed block")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget-s", type=float, default=300)
    ap.add_argument("--out", default=os.environ.get("OUT") or str(common.BENCH / "results" / "gpu"))
    ap.add_argument("--merge", help="put this gpu.md into docs/benchmarks.md and exit")
    ap.add_argument("--child", metavar="PX:QUALITY", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.merge:
        ok = common.replace_block(common.DOCS, "bench/gpu_speed.py", Path(args.merge).read_text())
        log("merged" if ok else f"no GPU block in {common.DOCS}")
        return 0 if ok else 1
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("LIENZO_VGG19_WEIGHTS", "random")
    from engine import config

    # as `lienzo worker` does: JAX takes what it needs, so worker processes fit beside
    os.environ.update(config.backend_environment(config.load()))
    if args.child:
        return child(args.child, args.iterations, args.precision)
    if args.tiny:
        args.jobs, args.sizes, args.worker_job = "48:fast,64:balanced", "48,64", "48:fast"
        args.workers, args.jobs_each = "1,2", 1
        args.iterations, args.n, args.repeats = 3, 2, 2
    started = time.perf_counter()
    budget = Budget(args.budget_s)
    import keras

    from engine.core import backend
    from engine.core.transfer import Engine

    if backend.name() != "jax":
        log("note: timing blocks with jax.block_until_ready; use KERAS_BACKEND=jax")
        return 2
    settings = config.load()
    engines = {p: Engine(settings.weights, precision=p, gpu=settings.gpu,
                         keras_home=settings.keras_home)
               for p in args.precisions.split(",") if p}
    e = next(iter(engines.values()))
    log(f"backend {e.backend}, device {e.device}, weights {e.net.spec}, "
        f"precisions {', '.join(engines)}, auto = {backend.precision('auto')}")
    content, style = common.pictures()
    peak_name, peak = peaks_for(e.device)
    data = {"device": e.device, "backend": e.backend, "weights": e.net.spec,
            "versions": common.versions(("keras", "jax", "jaxlib", "numpy")),
            "date": common.machine()["date"], "tiny": args.tiny, "peak_name": peak_name,
            "peaks": peak, "keras_dtype_policy": keras.config.dtype_policy().name,
            "auto_precision": backend.precision("auto"), "gpu_memory_bytes": gpu_memory_bytes()}
    data["jobs"] = job_section(engines, content, style, parse_jobs(args.jobs), args, budget)
    data["steps"] = step_section(engines, content, style,
                                 [int(s) for s in args.sizes.split(",") if s], args, budget)
    data["workers"] = worker_section(args, budget)
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
