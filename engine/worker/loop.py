"""``Worker``: one engine worker - takes jobs off the queue, one at a time.

Why our own loop over ``huey_consumer -w 1``: the worker must load VGG19 and
compile before any job, paint on the main thread while another writes the
heartbeat, hand the job back on SIGTERM/SIGINT (huey's consumer drops or waits
out a running task), and poll at a short fixed interval.  The rest is huey's.

One job (docs/architecture.md, "The life of a job"):

1. take a message ``(job_id, attempt)``; skip it if its spec is gone
   (cancelled or finished) or a result exists already (a duplicate);
2. paint it (``engine.worker.painting``, photo or clip) with this job's callbacks
   (``JobCallbacks``, built once per job): progress to a snapshot the heartbeat
   thread writes every second, a preview JPEG every few seconds, a cancel check
   every ≤ 0.1 s;
3. store the result; on a stop signal mid-job, hand the job back instead."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

from engine import config
from engine.config import EngineSettings
from engine.core.progress import Progress
from engine.errors import Cancelled, InvalidParams
from engine.params import StyleParams
from engine.queue import (
    POLL_INTERVAL_S,
    PROGRESS_INTERVAL_S,
    BadPayload,
    JobQueue,
    JobResult,
    ProgressRecord,
    Taken,
    priority_of,
)
from engine.queue.payloads import MAX_MESSAGE_CHARS, ProgressState, ResultStatus, WorkerState
from engine.worker.painting import Image, JobCallbacks, Painter, finite, paint_spec

if TYPE_CHECKING:  # engine.core.transfer loads Keras: imported in start()
    from engine.core.transfer import Stylize

log = logging.getLogger("lienzo.worker")

PREVIEW_SIDE = 320
PREVIEW_INTERVAL_S = 3.0  # a preview JPEG at most this often
WARMUP_SIZE = 64  # the step is compiled at this size before the first job
CANCEL_POLL_S = 0.1
RESULT_WRITE_PATIENCE_S = 120.0


def default_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """One engine worker over a ``JobQueue``, with the process's ``settings``.

    ``stylize`` defaults to the shared Engine's (loaded by ``start``); tests
    may pass their own callable with the same signature.  ``preview_every``
    None: chosen per job for ``timelapse.TARGET_SNAPSHOTS``.
    """

    def __init__(self, queue: JobQueue, name: str | None = None, *,
                 settings: EngineSettings, warmup_size: int = WARMUP_SIZE,
                 poll_interval: float = POLL_INTERVAL_S,
                 progress_interval: float = PROGRESS_INTERVAL_S,
                 preview_every: int | None = None, preview_interval: float = PREVIEW_INTERVAL_S,
                 stylize: Stylize | None = None) -> None:
        self.queue = queue
        self.name = name or default_name()
        self.settings = settings
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
        self.state = WorkerState.WARMING
        self._lock = threading.Lock()  # guards _snapshot (held briefly, never during I/O)
        self._write_lock = threading.Lock()  # orders progress writes (heartbeat vs hand-back)
        self._snapshot: ProgressRecord | None = None  # progress of the current job
        self._painter: Painter | None = None  # set by start()
        self._beat_stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        self._last_store_error = 0.0
        JobQueue.check_worker_name(self.name)  # now, rather than in the heartbeat thread

    # -- life cycle ------------------------------------------------------------------
    def start(self) -> None:
        """Set up the GPU (its memory, the one asked for), load the model and compile
        the step (warm-up), then be ready for jobs."""
        if self._stylize is None:
            self._check_gpu()
        self._start_heartbeat()
        if self._stylize is None:
            from engine.core import backend
            from engine.core.transfer import get_engine

            engine = get_engine(self.settings.weights, precision=self.settings.precision,
                                gpu=self.settings.gpu, keras_home=self.settings.keras_home)
            self.device, self.backend = backend.device(self.settings.gpu), engine.backend
            self._stylize = engine.stylize
            if self.warmup_size:
                self._warm_up()
            log.info("worker %s ready: %s on %s, %s, weights %s", self.name, backend.name(),
                     self.device, engine.precision, engine.net.spec)
        else:
            self.device, self.backend = self.device or "test", self.backend or "test"
        self._painter = Painter(self._stylize, self.settings, config.is_gpu(self.device),
                                self.name)
        self.state = WorkerState.IDLE
        self._beat()

    def _check_gpu(self) -> None:
        """Memory first (before the backend's first operation), then the GPU asked for
        must be there: a worker told ``--gpu 3`` on a machine without it stops with
        that one line rather than painting slowly on the CPU."""
        from engine.core import backend

        memory = backend.configure_memory(self.settings.gpu_memory_fraction)
        gpu = self.settings.gpu
        if gpu is not None and not backend.has_gpu():
            raise InvalidParams(f"LIENZO_GPU={gpu} (--gpu): no GPU is visible to this worker; "
                                f"nvidia-smi -L lists the GPUs and their numbers")
        log.info("worker %s: %s; GPU memory: %s", self.name, backend.device(gpu), memory)

    def _warm_up(self) -> None:
        import numpy as np

        assert self._stylize is not None
        t0 = time.monotonic()
        n = self.warmup_size
        yy, xx = np.mgrid[0:n, 0:n]
        image = np.stack([xx * 255 // n, yy * 255 // n, (xx + yy) * 127 // n], -1)
        image = image.astype(np.uint8)
        params = StyleParams(size=n, min_side=n, iterations=2, quality="fast")
        self._stylize(image, [(image[::-1].copy(), 1.0)], params)
        log.info("warm-up at %d px took %.1f s", n, time.monotonic() - t0)

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
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
            except BadPayload as e:
                log.warning("dropped a bad queue message: %s", e)
                continue
            except Exception as e:  # the store is down (Redis restarting...)
                self._store_error("taking a job", e)
                self.stopping.wait(1.0)
                continue
            if taken is None:
                if not self.queue.take_waits:
                    self.stopping.wait(self.poll_interval)
                continue
            try:
                self.process(taken)
            except Exception:  # never reached by engine errors; store trouble mostly
                log.exception("job %s: unexpected failure outside the engine", taken.job_id)
                with self._lock:
                    self._snapshot = None
                self.state = WorkerState.IDLE
        self.state = WorkerState.STOPPED
        self.stop_heartbeat()
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
        self._beat_stop.clear()
        self._heartbeat_thread = threading.Thread(target=self._heartbeat_loop,
                                                  name="heartbeat", daemon=True)
        self._heartbeat_thread.start()

    def stop_heartbeat(self) -> None:
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
                snapshot = ProgressRecord(**self._snapshot) if self._snapshot else None
            try:
                if snapshot is not None:
                    snapshot["ts"] = now
                    self.queue.put_progress(snapshot)
                state = WorkerState.STOPPING if self.stopping.is_set() else self.state
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
    def process(self, taken: Taken) -> str:
        """Run one job to a stored result; returns the result status or why it was skipped."""
        job_id, attempt = taken.job_id, taken.attempt
        picked_at = time.time()
        bad: BadPayload | None = None
        try:
            spec = self.queue.get_spec(job_id)
        except BadPayload as e:
            spec, bad = None, e
        if spec is None and bad is None:
            log.info("job %s.%d: no spec (cancelled or finished); skipped", job_id, attempt)
            return "skipped"
        if self.queue.has_result(job_id):
            log.info("job %s.%d: already has a result; skipped", job_id, attempt)
            return "skipped"
        if self.queue.is_cancelled(job_id):
            self._store_result(JobResult(job_id, attempt, ResultStatus.CANCELLED, self.name,
                                         finished=time.time()))
            return ResultStatus.CANCELLED
        if spec is None:  # unreadable: a failure people are told about, not a crash
            assert bad is not None
            log.warning("job %s.%d: bad spec: %s", job_id, attempt, bad)
            message = str(bad)[:MAX_MESSAGE_CHARS]
            self._store_result(JobResult(job_id, attempt, ResultStatus.FAILED, self.name,
                                         error_code=bad.code, error_message=message,
                                         finished=time.time()))
            return ResultStatus.FAILED

        self.state = WorkerState.BUSY
        with self._lock:
            self._snapshot = {"state": ProgressState.STARTING, "job": job_id, "attempt": attempt,
                              "step": 0, "steps": 0, "fraction": 0.0, "eta_s": None,
                              "loss": None, "worker": self.name, "ts": time.time(),
                              "scale": 0, "scales": 0, "preview": 0}
        self._beat()
        log.info("job %s.%d: started", job_id, attempt)
        assert self._painter is not None, "start() loads the engine"
        try:
            result = paint_spec(spec, attempt, self._painter, self._callbacks(job_id),
                                picked_at)
        except Cancelled:
            if self.stopping.is_set():
                self._hand_back(job_id, attempt, priority_of(spec))
                return "handed_back"
            result = JobResult(job_id, attempt, ResultStatus.CANCELLED, self.name,
                               finished=time.time())
        with self._lock:  # the heartbeat goes on while the result is stored (maybe retried)
            if self._snapshot is not None:
                self._snapshot["state"] = ProgressState.FINISHING
        self._store_result(result)
        with self._write_lock, self._lock:
            self._snapshot = None
        self.state = WorkerState.IDLE
        self.jobs_done += 1
        log.info("job %s.%d: %s%s", job_id, attempt, result.status,
                 f" ({result.error_code}: {result.error_message})" if result.error_code else "")
        return result.status

    def _callbacks(self, job_id: str) -> JobCallbacks:
        """This job's progress, stop and preview callbacks, over the worker's snapshot
        (the heartbeat writes it), the cancel flag and the preview key."""
        last_cancel_check = [0.0, False]
        last_preview = [time.monotonic()]

        def on_progress(p: Progress) -> None:
            with self._lock:
                snap = self._snapshot
                if snap is None:
                    return
                first = snap["state"] != ProgressState.RUNNING
                snap["state"] = ProgressState.RUNNING
                snap["step"], snap["steps"] = int(p.step), int(p.steps)
                snap["fraction"] = min(1.0, max(0.0, float(p.fraction)))
                snap["eta_s"] = None if p.eta_s is None else max(0.0, finite(p.eta_s) or 0)
                snap["loss"] = finite(p.loss)
                snap["scale"], snap["scales"] = int(p.scale), int(p.scales)
                snap["frame"], snap["frames"] = int(p.frame), int(p.frames)
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
            return bool(last_cancel_check[1])

        def on_preview(image: Image) -> None:
            now = time.monotonic()
            if now - last_preview[0] < self.preview_interval:
                return
            last_preview[0] = now
            from engine.media import images

            small = images.resize_long_side(image, min(PREVIEW_SIDE, max(image.shape[:2])))
            try:
                self.queue.put_preview(job_id, images.encode_jpeg(small, quality=80))
            except Exception as e:
                self._store_error("writing a preview", e)
                return
            with self._lock:
                if self._snapshot is not None:
                    self._snapshot["preview"] = self._snapshot.get("preview", 0) + 1

        return JobCallbacks(on_progress, should_stop, on_preview, self.preview_every)

    def _hand_back(self, job_id: str, attempt: int, priority: int) -> None:
        """Stopping mid-job: put the job back at the front of the queue (a print: of the
        prints), same attempt."""
        with self._write_lock:
            with self._lock:
                snapshot = self._snapshot
                self._snapshot = None
            self.state = WorkerState.IDLE
            record = ProgressRecord(**snapshot) if snapshot else None
            if record is not None:
                record["state"], record["ts"] = ProgressState.REQUEUED, time.time()
            try:
                self.queue.hand_back(job_id, attempt, record, priority)
                log.info("job %s.%d: handed back to the queue", job_id, attempt)
            except Exception as e:  # the bot's watchdog re-enqueues it when the heartbeat stops
                self._store_error("handing a job back", e)

    def _store_result(self, result: JobResult) -> None:
        deadline = time.monotonic() + RESULT_WRITE_PATIENCE_S
        while True:
            try:
                self.queue.put_result(result)
                return
            except Exception as e:
                self._store_error("storing a result", e)
                if time.monotonic() > deadline:
                    log.error("job %s: result lost (store unreachable); the bot will re-run it",
                              result.job_id)
                    return
                time.sleep(1.0)
