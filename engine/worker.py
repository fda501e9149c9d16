"""``lienzo worker``: one engine worker - takes jobs off the queue, one at a time.

Why our own loop over huey's queue rather than ``huey_consumer -w 1``: the
worker must (1) load VGG19 and compile the step before it takes any job, (2)
run the job on the main thread while a second thread writes the heartbeat,
(3) on SIGTERM/SIGINT hand the current job back to the queue instead of
losing it (huey's consumer drops a running task on an immediate shutdown and
waits out a whole job on a graceful one), and (4) poll at a fixed short
interval (huey's consumer backs off up to 10 s).  Everything else is huey's:
the storage, the message format, priorities and revocation.

One job:

1. take a message ``(job_id, attempt)``; skip it if its spec is gone
   (cancelled or finished) or a result exists already (a duplicate);
2. decode and validate the spec, the photo and the styles, clamp the
   parameters to this machine (``LIENZO_MAX_SIDE``, ``LIENZO_JOB_TIME_LIMIT``);
3. ``Engine.stylize`` with progress into a snapshot that the heartbeat thread
   writes to ``progress:<job>`` every second, a preview JPEG every few seconds,
   and ``should_stop`` polling ``cancel:<job>`` (at most every 0.1 s);
4. store ``result:<job>``: JPEG + PNG + stats, or an error code and a message
   for people.  Engine errors are results, never crashes; out of GPU memory is
   retried once at a smaller size.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

from engine import config
from engine import queue as q
from engine.errors import Cancelled, InvalidParams, LienzoError, OutOfMemory

__all__ = ["Worker", "is_out_of_memory", "job_time_limit", "main"]

log = logging.getLogger("lienzo.worker")

PREVIEW_SIDE = 320
CANCEL_POLL_S = 0.1
RESULT_WRITE_PATIENCE_S = 120.0


def job_time_limit() -> float:
    """``LIENZO_JOB_TIME_LIMIT`` seconds (default 300): at the limit, the best so far."""
    value = config.env_number("LIENZO_JOB_TIME_LIMIT", 300.0, float)
    if not value > 0:
        raise InvalidParams("LIENZO_JOB_TIME_LIMIT must be above 0")
    return value


def is_out_of_memory(exc: BaseException) -> bool:
    """TensorFlow's ResourceExhaustedError, JAX's RESOURCE_EXHAUSTED, MemoryError."""
    if isinstance(exc, MemoryError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"ResourceExhaustedError", "OutOfMemoryError"}:
        return True
    text = str(exc)
    return "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower()


def _finite(v):
    return float(v) if v is not None and math.isfinite(float(v)) else None


def _jsonable(obj):
    """Stats → JSON values (NaN/inf → None, tuples → lists, numpy scalars → Python)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    try:
        return _finite(obj)
    except (TypeError, ValueError):
        return str(obj)


def default_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """One engine worker over a ``JobQueue``.

    ``stylize`` defaults to the shared Engine's (loaded by ``start``); tests
    may pass their own callable with the same signature.
    """

    def __init__(self, queue: q.JobQueue, name: str | None = None, *,
                 weights: str | None = None, warmup_size: int = 64,
                 poll_interval: float = q.POLL_INTERVAL_S,
                 progress_interval: float = q.PROGRESS_INTERVAL_S,
                 preview_every: int = 5, preview_interval: float = 3.0,
                 stylize: Callable | None = None):
        self.queue = queue
        self.name = name or default_name()
        q.worker_key(self.name)  # validates the name
        self.weights = weights
        self.warmup_size = warmup_size
        self.poll_interval = min(poll_interval, 1.0)
        self.progress_interval = min(progress_interval, 2.0)
        self.preview_every = preview_every
        self.preview_interval = preview_interval
        self._stylize = stylize
        self.device, self.backend = "", ""
        self.stopping = threading.Event()
        self.jobs_done = 0
        self.started = time.time()
        self.state = "warming"
        self._lock = threading.Lock()  # guards _snapshot (held briefly, never during I/O)
        self._write_lock = threading.Lock()  # orders progress writes (heartbeat vs hand-back)
        self._snapshot: dict | None = None  # progress of the current job
        self._heartbeat_thread: threading.Thread | None = None
        self._last_store_error = 0.0
        self._picked_at = 0.0  # wall clock when the current job was taken off the queue

    # -- life cycle ------------------------------------------------------------------
    def start(self) -> None:
        """Load the model and compile the step (warm-up), then be ready for jobs."""
        self._start_heartbeat()
        if self._stylize is None:
            from engine import backend
            from engine.transfer import get_engine

            engine = get_engine(self.weights)
            self.device, self.backend = engine.device, engine.backend
            self._stylize = engine.stylize
            if self.warmup_size:
                self._warm_up()
            log.info("worker %s ready: %s on %s, weights %s", self.name, backend.name(),
                     self.device, engine.net.spec)
        else:
            self.device, self.backend = self.device or "test", self.backend or "test"
        self.state = "idle"
        self._beat()

    def _warm_up(self) -> None:
        import numpy as np

        from engine.params import StyleParams

        t0 = time.monotonic()
        n = self.warmup_size
        yy, xx = np.mgrid[0:n, 0:n]
        image = np.stack([xx * 255 // n, yy * 255 // n, (xx + yy) * 127 // n], -1)
        image = image.astype(np.uint8)
        params = StyleParams(size=n, min_side=n, iterations=2, quality="fast")
        self._stylize(image, [(image[::-1].copy(), 1.0)], params)
        log.info("warm-up at %d px took %.1f s", n, time.monotonic() - t0)

    def install_signal_handlers(self) -> None:
        def handler(signum, frame):
            if self.stopping.is_set():
                log.warning("%s again: already stopping", signal.Signals(signum).name)
                return
            log.info("%s: stopping (the current job is handed back)",
                     signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> int:
        """Start, then take jobs until asked to stop.  Returns the exit status."""
        self.start()
        while not self.stopping.is_set():
            try:
                taken = self.queue.take()
            except q.BadPayload as e:
                log.warning("dropped a bad queue message: %s", e)
                continue
            except Exception as e:  # the store is down (Redis restarting...)
                self._store_error("taking a job", e)
                self.stopping.wait(1.0)
                continue
            if taken is None:
                if self.queue.backend == "sqlite":
                    self.stopping.wait(self.poll_interval)
                continue
            try:
                self.process(taken)
            except Exception:  # never reached by engine errors; store trouble mostly
                log.exception("job %s: unexpected failure outside the engine", taken.job_id)
                with self._lock:
                    self._snapshot = None
                self.state = "idle"
        self.state = "stopped"
        self._heartbeat_thread_stop()
        try:
            self.queue.delete_worker(self.name)
        except Exception as e:
            self._store_error("removing the heartbeat", e)
        log.info("worker %s stopped after %d jobs", self.name, self.jobs_done)
        return 0

    # -- heartbeat -----------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        if self._heartbeat_thread is not None:
            return
        self._beat_stop = threading.Event()
        self._heartbeat_thread = threading.Thread(target=self._heartbeat_loop,
                                                  name="heartbeat", daemon=True)
        self._heartbeat_thread.start()

    def _heartbeat_thread_stop(self) -> None:
        if self._heartbeat_thread is not None:
            self._beat_stop.set()
            self._heartbeat_thread.join(timeout=5)
            self._heartbeat_thread = None

    def _heartbeat_loop(self) -> None:
        while not self._beat_stop.wait(self.progress_interval):
            self._beat()

    def _beat(self) -> None:
        """Write the worker heartbeat and the current job's progress (fresh ts)."""
        with self._write_lock:
            now = time.time()
            with self._lock:
                snapshot = dict(self._snapshot) if self._snapshot else None
            try:
                if snapshot is not None:
                    snapshot["ts"] = now
                    self.queue.put_progress(snapshot)
                state = "stopping" if self.stopping.is_set() else self.state
                self.queue.put_heartbeat(self.name, {
                    "ts": now, "device": self.device, "backend": self.backend,
                    "current_job": snapshot["job"] if snapshot else None, "name": self.name,
                    "state": state, "pid": os.getpid(), "host": socket.gethostname(),
                    "started": self.started, "jobs_done": self.jobs_done})
            except Exception as e:
                self._store_error("writing the heartbeat", e)

    def _store_error(self, doing: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_store_error > 30:
            log.warning("queue store error while %s: %s: %s", doing, type(exc).__name__, exc)
            self._last_store_error = now

    # -- one job -------------------------------------------------------------------
    def process(self, taken: q.Taken) -> str:
        """Run one job to a stored result; returns the result status or why it was skipped."""
        job_id, attempt = taken.job_id, taken.attempt
        self._picked_at = time.time()
        spec_bytes = self.queue.get(q.spec_key(job_id))
        if spec_bytes is None:
            log.info("job %s.%d: no spec (cancelled or finished); skipped", job_id, attempt)
            return "skipped"
        if self.queue.storage.has_data_for_key(q.result_key(job_id)):
            log.info("job %s.%d: already has a result; skipped", job_id, attempt)
            return "skipped"
        if self.queue.is_cancelled(job_id):
            self._store_result(q.JobResult(job_id, attempt, "cancelled", self.name,
                                           finished=time.time()))
            return "cancelled"

        self.state = "busy"
        with self._lock:
            self._snapshot = {"state": "starting", "job": job_id, "attempt": attempt,
                              "step": 0, "steps": 0, "fraction": 0.0, "eta_s": None,
                              "loss": None, "worker": self.name, "ts": time.time(),
                              "scale": 0, "scales": 0, "preview": 0}
        self._beat()
        log.info("job %s.%d: started", job_id, attempt)
        try:
            result = self._run(job_id, attempt, spec_bytes)
        except Cancelled:
            if self.stopping.is_set():
                self._hand_back(job_id, attempt)
                return "handed_back"
            result = q.JobResult(job_id, attempt, "cancelled", self.name, finished=time.time())
        with self._lock:  # the heartbeat goes on while the result is stored (maybe retried)
            if self._snapshot is not None:
                self._snapshot["state"] = "finishing"
        self._store_result(result)
        with self._write_lock, self._lock:
            self._snapshot = None
        self.state = "idle"
        self.jobs_done += 1
        log.info("job %s.%d: %s%s", job_id, attempt, result.status,
                 f" ({result.error_code}: {result.error_message})" if result.error_code else "")
        return result.status

    def _run(self, job_id: str, attempt: int, spec_bytes: bytes) -> q.JobResult:
        def failed(code: str, message: str) -> q.JobResult:
            return q.JobResult(job_id, attempt, "failed", self.name, error_code=code,
                               error_message=message[:2000], finished=time.time())

        try:
            spec = q.JobSpec.decode(spec_bytes)
            if spec.job_id != job_id:
                raise q.BadPayload(f"spec of {spec.job_id} stored under {job_id}")
            content, styles = self._images(spec)
            params = self._params(spec.params)
            out, stats = self._paint(job_id, content, styles, params)
            from engine import images

            return q.JobResult(job_id, attempt, "done", self.name,
                               jpeg=images.encode_jpeg(out), png=images.encode_png(out),
                               stats=stats, partial=stats.get("stopped") == "time_budget",
                               finished=time.time())
        except Cancelled:
            raise
        except LienzoError as e:
            return failed(e.code, str(e))
        except Exception as e:
            log.exception("job %s.%d: internal error", job_id, attempt)
            return failed("engine_error", f"The painting failed because of an internal error "
                                          f"({type(e).__name__}).")

    def _images(self, spec: q.JobSpec):
        from engine import styles as catalogue
        from engine.images import decode_image

        content = decode_image(spec.content)
        catalog = None
        chosen = []
        for ref in spec.styles:
            if ref.id is not None:
                catalog = catalog if catalog is not None else catalogue.load_catalog()
                chosen.append((catalogue.style_image(ref.id, catalog), ref.weight))
            else:
                chosen.append((decode_image(ref.image), ref.weight))
        return content, chosen

    def _params(self, raw: dict):
        from engine.params import StyleParams

        known = {f.name for f in dataclasses.fields(StyleParams)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InvalidParams(f"unknown parameter(s): {', '.join(unknown)}")
        gpu = self.device.startswith("GPU")
        values = {k: v for k, v in raw.items() if v is not None}  # None: the default
        if values.get("quality") is None:
            values["quality"] = config.default_quality(gpu)
        if values.get("size") is None:
            values["size"] = config.default_size(gpu)
        try:
            params = StyleParams(**values)
        except TypeError as e:
            raise InvalidParams(f"bad parameter type ({e})") from None
        limit = job_time_limit()
        budget = min(params.time_budget_s or limit, limit)
        cap = config.max_side(gpu)
        return params.replace(size=min(params.size, cap), time_budget_s=budget)

    def _paint(self, job_id: str, content, styles, params):
        """stylize with progress, preview and cancel; once more smaller on out-of-memory."""
        from engine.params import MIN_SIZE

        oom = None
        try:
            result = self._stylize_once(job_id, content, styles, params)
        except Exception as e:
            if not is_out_of_memory(e):
                raise
            oom = type(e).__name__
        retried = oom is not None
        if retried:  # outside the except block, so the failed attempt's buffers can be freed
            smaller = max(MIN_SIZE, round(params.size / math.sqrt(2)))
            if smaller >= params.size:
                raise OutOfMemory(_oom_message(params.size))
            log.warning("job %s: out of memory at %d px (%s); retrying at %d px", job_id,
                        params.size, oom, smaller)
            gc.collect()
            try:
                result = self._stylize_once(job_id, content, styles,
                                            params.replace(size=smaller))
            except Exception as e:
                if is_out_of_memory(e):
                    raise OutOfMemory(_oom_message(smaller)) from None
                raise
        stats = _jsonable(dict(result.stats))
        stats.update(requested_size=params.size, retried_smaller=retried,
                     picked_at=self._picked_at)
        for key in ("seconds", "iterations", "size", "backend", "device"):
            stats.setdefault(key, None)
        return result.image, stats

    def _stylize_once(self, job_id, content, styles, params):
        last_cancel_check = [0.0, False]
        last_preview = [time.monotonic()]

        def on_progress(p):
            with self._lock:
                snap = self._snapshot
                if snap is None:
                    return
                first = snap["state"] != "running"
                snap.update(state="running", step=int(p.step), steps=int(p.steps),
                            fraction=min(1.0, max(0.0, float(p.fraction))),
                            eta_s=None if p.eta_s is None else max(0.0, _finite(p.eta_s) or 0),
                            loss=_finite(p.loss), scale=int(p.scale), scales=int(p.scales))
            if first:
                self._beat()

        def should_stop() -> bool:
            if self.stopping.is_set():
                return True
            now = time.monotonic()
            if now - last_cancel_check[0] >= CANCEL_POLL_S:
                last_cancel_check[0] = now
                try:
                    last_cancel_check[1] = self.queue.is_cancelled(job_id)
                except Exception as e:
                    self._store_error("reading the cancel flag", e)
            return last_cancel_check[1]

        def on_preview(image):
            now = time.monotonic()
            if now - last_preview[0] < self.preview_interval:
                return
            last_preview[0] = now
            from engine import images

            small = images.resize_long_side(image, min(PREVIEW_SIDE, max(image.shape[:2])))
            try:
                self.queue.put(q.preview_key(job_id), images.encode_jpeg(small, quality=80))
            except Exception as e:
                self._store_error("writing a preview", e)
                return
            with self._lock:
                if self._snapshot is not None:
                    self._snapshot["preview"] += 1

        return self._stylize(content, styles, params, on_progress=on_progress,
                             should_stop=should_stop, on_preview=on_preview,
                             preview_every=self.preview_every)

    def _hand_back(self, job_id: str, attempt: int) -> None:
        """Stopping mid-job: put the job back at the front of the queue, same attempt."""
        with self._write_lock:
            with self._lock:
                snapshot = self._snapshot or {}
                self._snapshot = None
            self.state = "idle"
            record = dict(snapshot, state="requeued", ts=time.time())
            try:
                if snapshot:
                    self.queue.put_progress(record)
                self.queue.enqueue(job_id, attempt, priority=q.RETRY_PRIORITY)
                log.info("job %s.%d: handed back to the queue", job_id, attempt)
            except Exception as e:  # the bot's watchdog re-enqueues it when the heartbeat stops
                self._store_error("handing a job back", e)

    def _store_result(self, result: q.JobResult) -> None:
        data = result.encode()
        deadline = time.monotonic() + RESULT_WRITE_PATIENCE_S
        while True:
            try:
                self.queue.put(q.result_key(result.job_id), data)
                return
            except Exception as e:
                self._store_error("storing a result", e)
                if time.monotonic() > deadline:
                    log.error("job %s: result lost (store unreachable); the bot will re-run it",
                              result.job_id)
                    return
                time.sleep(1.0)


def _oom_message(size: int) -> str:
    return (f"The picture did not fit in the accelerator's memory, even at {size} px. "
            "Try a smaller size.")


# --------------------------------------------------------------------------- command line


def main(args: argparse.Namespace) -> int:
    """``lienzo worker`` (its options are defined in engine/cli.py)."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    queue = q.JobQueue(args.queue)
    queue.ping()
    job_time_limit()  # a bad LIENZO_JOB_TIME_LIMIT is a start-up error, not a per-job one
    worker = Worker(queue, args.name, warmup_size=args.warmup_size, poll_interval=args.poll,
                    preview_interval=args.preview_interval)
    worker.install_signal_handlers()
    log.info("worker %s: queue %s", worker.name, q.redact(queue.url))
    try:
        return worker.run()
    finally:
        queue.close()


if __name__ == "__main__":  # python -m engine.worker ...  is  lienzo worker ...
    from engine.cli import main as cli_main

    sys.exit(cli_main(["worker", *sys.argv[1:]]))

