"""``LIENZO_ENGINE_WORKERS=N``: engine workers the bot runs beside itself.

The bot never imports keras; each worker is a child process
(``python -m engine.cli worker``) with the bot's environment.  A monitor
thread starts them and restarts one that dies; ``stop()`` sends SIGTERM (each
worker hands its current job back to the queue), waits, then SIGKILLs what is
left.  On Linux the children also get SIGTERM if the bot itself dies
(``PR_SET_PDEATHSIG``, which each worker sets for itself: ``--parent``), so a
killed bot leaves no orphan holding a GPU.

Each child's output (stdout and stderr, one pipe) goes through a reader
thread that forwards every line to ``output`` and learns two things from it:

- **ready**: the worker logs ``worker <name> ready:`` once its model is loaded
  and compiled.  A worker that dies young without having been ready is
  restarted after 1, 2, 4 … 60 s (it is crash-looping); one that had been
  ready is back after ``restart_delay``: the back-off starts over, so a healthy
  worker killed once (OOM, a stray ``kill``) is not kept away for a minute.
- **why it failed**: ``lienzo worker`` exits with status 2 and one line on
  stderr (``lienzo: <reason>``) on a configuration error (missing weights, a bad
  setting).  Restarting cannot heal that, so the slot is not restarted and
  ``failure`` holds that line; the bot stops on it (``bot.startup``).  A slot
  that has been ready before is restarted even after status 2: its configuration
  worked, so the cause (the queue unreachable while it restarted) can pass.

TensorFlow's start-up noise (absl's pre-init banner, oneDNN and no-CUDA notes)
is dropped on the way; ``TF_CPP_MIN_LOG_LEVEL`` does not reach those lines.

GPUs (docs/architecture.md, "GPU serving"): ``bot.gpus`` says which GPU each
worker gets and what share of its memory.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from bot.gpus import assign_gpus, gpu_env

log = logging.getLogger("lienzo.local_workers")

QUICK_DEATH_S = 30.0  # a worker that dies sooner than this after starting is crash-looping
EXIT_CONFIG = 2  # `lienzo worker`'s status for a configuration error (engine.cli.EXIT_USAGE)
READER_GRACE_S = 5.0  # wait this long for a dead worker's last lines (its reason)


class TensorFlowNoise:
    """Says which of one worker's lines are TensorFlow start-up noise (call it per line).

    TensorFlow 2.2x logs these through absl before absl is initialised, so
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hold them back; each comes twice (two
    libraries load).  None says anything an operator can act on: the worker's
    ``ready`` line names the device it got.  "failed call to cuInit" is an
    error on a machine with a GPU driver, so it is only dropped after TensorFlow
    said there is no driver at all.  Nothing else is dropped.
    """

    NOTES = re.compile(
        r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to"
        r"|I\d{4} [^\]]* port\.cc:\d+\] oneDNN custom operations are on")
    NO_DRIVER = re.compile(r"I\d{4} [^\]]* cudart_stub\.cc:\d+\] Could not find cuda drivers")
    CUINIT = re.compile(r"E\d{4} [^\]]* cuda_platform\.cc:\d+\] failed call to cuInit")

    def __init__(self) -> None:
        self.no_driver = False

    def __call__(self, line: str) -> bool:
        if self.NO_DRIVER.match(line):
            self.no_driver = True
            return True
        return bool(self.NOTES.match(line) or (self.no_driver and self.CUINIT.match(line)))


@dataclass
class _Slot:
    index: int
    name: str
    env: dict
    process: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    started: float = 0.0
    delay: float = 0.0
    next_start: float = 0.0
    restarts: int = 0
    exits: list = field(default_factory=list)
    ready: bool = False  # the current (or last) run said it was ready
    was_ready: bool = False  # some run of this slot was: its configuration works
    last_line: str = ""  # the last non-blank line of the current (or last) run
    failure: str | None = None  # a configuration error: the slot is not restarted

    @property
    def ready_mark(self) -> str:
        return f"worker {self.name} ready:"  # engine.worker.loop.Worker.start logs it


class LocalWorkers:
    """Run and supervise ``count`` local engine workers.

    ``extra_args`` go after ``lienzo worker`` (e.g. ``["--warmup-size", "64"]``);
    ``env`` replaces the bot's environment for the children; ``gpus``: the visible
    GPUs to spread them over (none: CPU); ``memory_fraction``: the
    deployment's ``LIENZO_GPU_MEMORY_FRACTION`` (None: auto); ``output``: a file
    object (text or binary) for their stdout/stderr (default: the bot's stderr).
    """

    def __init__(self, count: int, *, gpus: Sequence[str] = (),
                 memory_fraction: float | None = None, queue_url: str | None = None,
                 extra_args: list[str] | None = None, env: dict | None = None,
                 name_prefix: str | None = None, restart_delay: float = 1.0,
                 max_restart_delay: float = 60.0, stop_timeout: float = 30.0,
                 output: IO[Any] | None = None):
        self.count = count
        self.gpus, self.memory_fraction = list(gpus), memory_fraction
        self.queue_url = queue_url
        self.extra_args = list(extra_args or [])
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")  # lines reach the log as they happen
        self.name_prefix = name_prefix or f"{socket.gethostname()}-local"
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.stop_timeout = stop_timeout
        self.output = output
        self._slots: list[_Slot] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._output_lock = threading.Lock()  # one line at a time, whichever worker
        self._started = threading.Event()
        self._stop_timeout = stop_timeout

    # -- public -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers (from a long-lived monitor thread; returns at once)."""
        if self.count == 0 or self._thread is not None:
            return
        gpus = assign_gpus(self.count, self.gpus)
        for i, gpu in enumerate(gpus):
            env = gpu_env(self.env, gpu, gpus.count(gpu), self.memory_fraction)
            self._slots.append(_Slot(i, f"{self.name_prefix}{i}", env))
        if any(gpus):
            log.info("engine workers on GPUs %s", ", ".join(str(g) for g in gpus))
        self._thread = threading.Thread(target=self._monitor, name="local-workers",
                                        daemon=True)
        self._thread.start()
        self._started.wait(30)

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM every worker (they hand back their jobs), then SIGKILL after ``timeout``."""
        if self._thread is None:
            return
        self._stop_timeout = self.stop_timeout if timeout is None else timeout
        self._stopping.set()
        self._thread.join()
        self._thread = None

    def _shutdown_children(self) -> None:
        # Runs on the monitor thread, before it exits: PR_SET_PDEATHSIG would send a
        # second SIGTERM when this thread ends, and a second signal that arrives while
        # Python is finalising kills the worker instead of letting it exit cleanly.
        timeout = self._stop_timeout
        with self._lock:
            running = [(s, s.process) for s in self._slots
                       if s.process is not None and s.process.poll() is None]
        for _, p in running:
            _signal(p, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for slot, p in running:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %d did not stop in %.0f s; killing it", p.pid, timeout)
                _signal(p, signal.SIGKILL)
                p.wait()
            self._join_reader(slot)
            with self._lock:
                slot.exits.append(p.returncode)
                slot.process = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self._slots]

    @property
    def failure(self) -> str | None:
        """Why a worker cannot run (its configuration error, one line), or None.

        Such a worker is not restarted: whoever runs the workers should stop and
        say this line (``lienzo bot`` does, with exit status 2)."""
        with self._lock:
            return next((s.failure for s in self._slots if s.failure), None)

    def pids(self) -> list[int | None]:
        with self._lock:
            return [s.process.pid if s.process and s.process.poll() is None else None
                    for s in self._slots]

    def ready(self) -> list[bool]:
        """Per worker: whether its current run has said it is ready for jobs."""
        with self._lock:
            return [s.ready and s.process is not None and s.process.poll() is None
                    for s in self._slots]

    def restarts(self) -> list[int]:
        with self._lock:
            return [s.restarts for s in self._slots]

    def exit_codes(self) -> list[list[int]]:
        """Exit statuses seen per worker (negative: killed by that signal)."""
        with self._lock:
            return [list(s.exits) for s in self._slots]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- a worker's output ------------------------------------------------------------------
    def _read_output(self, slot: _Slot, stream: IO[bytes]) -> None:
        """Forward one run's lines until the pipe closes, remembering the last one
        (a configuration error's reason) and whether the worker said it was ready."""
        noise = TensorFlowNoise()
        with stream:
            for raw in stream:
                line = raw.decode(errors="replace").rstrip("\r\n")
                if noise(line):
                    continue
                self._forward(line)
                if line.strip():
                    with self._lock:
                        slot.last_line = line.strip()
                        if slot.ready_mark in line:
                            slot.ready = slot.was_ready = True

    def _forward(self, line: str) -> None:
        output: Any = self.output if self.output is not None else sys.stderr
        text = line + "\n"
        with self._output_lock:
            try:
                output.write(text if isinstance(output, io.TextIOBase) else text.encode())
                output.flush()
            except (OSError, ValueError):  # closed or full: keep draining, or the child blocks
                pass

    def _join_reader(self, slot: _Slot) -> None:
        if slot.reader is not None:
            slot.reader.join(READER_GRACE_S)
            slot.reader = None

    # -- the monitor --------------------------------------------------------------------
    def command(self, slot: _Slot) -> list[str]:
        cmd = [sys.executable, "-m", "engine.cli", "worker", "--name", slot.name,
               "--parent", str(os.getpid())]
        if self.queue_url:
            cmd += ["--queue", self.queue_url]
        return cmd + self.extra_args

    def _spawn(self, slot: _Slot) -> None:
        try:
            # No preexec_fn: Python run between fork and exec can hang the child (a
            # finalizer waiting for a thread it does not have); the worker asks for
            # PR_SET_PDEATHSIG itself (``--parent``, engine.worker.command).
            process = subprocess.Popen(
                self.command(slot), env=slot.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except Exception as e:  # OSError, a bad command...: keep supervising
            log.error("cannot start engine worker %s: %s", slot.name, e)
            slot.next_start = time.monotonic() + self.max_restart_delay
            return
        assert process.stdout is not None
        reader = threading.Thread(target=self._read_output, args=(slot, process.stdout),
                                  name=f"{slot.name}-output", daemon=True)
        with self._lock:
            slot.process, slot.reader = process, reader
            slot.started = time.monotonic()
            slot.ready, slot.last_line = False, ""
        reader.start()
        log.info("engine worker %s started (pid %d)", slot.name, process.pid)

    def _monitor(self) -> None:
        # Children are spawned from this thread only: PR_SET_PDEATHSIG fires when the
        # spawning *thread* exits, and this one lives as long as the workers should.
        try:
            for slot in self._slots:
                self._spawn(slot)
            self._started.set()
            while not self._stopping.wait(0.5):
                try:
                    self._check(time.monotonic())
                except Exception:  # never stop supervising
                    log.exception("supervising the engine workers")
        finally:
            self._started.set()
            self._shutdown_children()

    def _check(self, now: float) -> None:
        for slot in self._slots:
            if slot.failure is not None:
                continue  # a configuration error: restarting cannot help
            p = slot.process
            if p is not None and p.poll() is None:
                continue
            if p is not None:
                self._reap(slot, p, now)
            if slot.failure is None and now >= slot.next_start:
                self._spawn(slot)

    def _reap(self, slot: _Slot, process: subprocess.Popen, now: float) -> None:
        """A worker died: record how, then give up on it (a configuration error) or
        schedule its restart."""
        self._join_reader(slot)  # its last line may be the reason
        code = process.returncode
        with self._lock:
            slot.exits.append(code)
            slot.process = None
            if code == EXIT_CONFIG and not slot.was_ready:
                slot.failure = (f"engine worker {slot.name}: "
                                f"{slot.last_line or 'configuration error (exit status 2)'}")
        if slot.failure is not None:
            log.error("not restarting %s", slot.failure)
            return
        slot.delay = self._restart_delay(slot, now)
        slot.next_start = now + slot.delay
        with self._lock:
            slot.restarts += 1
        log.warning("engine worker %s (pid %d) exited with %s; restarting in %.0f s",
                    slot.name, process.pid, code, slot.delay)

    def _restart_delay(self, slot: _Slot, now: float) -> float:
        """``restart_delay`` for a worker that had become ready (the back-off starts
        over) or that lived long; doubled up to ``max_restart_delay`` for one that
        keeps dying at start-up."""
        if slot.ready or now - slot.started >= QUICK_DEATH_S:
            return self.restart_delay
        return min(self.max_restart_delay, max(self.restart_delay, slot.delay * 2))


def _signal(process: subprocess.Popen, signum: int) -> None:
    try:
        process.send_signal(signum)
    except ProcessLookupError:
        pass
