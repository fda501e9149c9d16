"""``LIENZO_ENGINE_WORKERS=N``: engine workers the bot runs beside itself.

The bot never imports keras; each worker is a child process
(``python -m engine.cli worker``) with the bot's environment.  A monitor
thread starts them, restarts one that dies (backing off if it keeps dying at
start-up, e.g. on a configuration error), and ``stop()`` sends SIGTERM (each
worker hands its current job back to the queue), waits, then SIGKILLs what is
left.  On Linux the children also get SIGTERM if the bot itself dies
(``PR_SET_PDEATHSIG``), so a killed bot leaves no orphan holding a GPU.

With several workers on one machine and ``CUDA_VISIBLE_DEVICES`` unset, worker
*i* gets GPU *i mod n* (``nvidia-smi -L`` counts them): one worker per GPU.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger("lienzo.local_workers")

QUICK_DEATH_S = 30.0  # a worker that dies sooner than this after starting is crash-looping


def _gpu_count() -> int:
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


@dataclass
class _Slot:
    index: int
    name: str
    env: dict
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = 0.0
    next_start: float = 0.0
    restarts: int = 0
    exits: list = field(default_factory=list)


class LocalWorkers:
    """Run and supervise ``count`` local engine workers.

    ``extra_args`` go after ``lienzo worker`` (e.g. ``["--warmup-size", "64"]``);
    ``env`` replaces the bot's environment for the children; ``output``: a file
    object for their stdout/stderr (default: the bot's own).
    """

    def __init__(self, count: int, *, queue_url: str | None = None,
                 extra_args: list[str] | None = None, env: dict | None = None,
                 name_prefix: str | None = None, restart_delay: float = 1.0,
                 max_restart_delay: float = 60.0, stop_timeout: float = 30.0,
                 output=None):
        self.count = count
        self.queue_url = queue_url
        self.extra_args = list(extra_args or [])
        self.env = dict(os.environ if env is None else env)
        self.name_prefix = name_prefix or f"{socket.gethostname()}-local"
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.stop_timeout = stop_timeout
        self.output = output
        self._slots: list[_Slot] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._stop_timeout = stop_timeout

    # -- public -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers (from a long-lived monitor thread; returns at once)."""
        if self.count == 0 or self._thread is not None:
            return
        gpus = _gpu_count() if self.count > 1 and "CUDA_VISIBLE_DEVICES" not in self.env else 0
        for i in range(self.count):
            env = dict(self.env)
            if gpus:
                env["CUDA_VISIBLE_DEVICES"] = str(i % gpus)
            self._slots.append(_Slot(i, f"{self.name_prefix}{i}", env))
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
            with self._lock:
                slot.exits.append(p.returncode)
                slot.process = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self._slots]

    def pids(self) -> list[int | None]:
        with self._lock:
            return [s.process.pid if s.process and s.process.poll() is None else None
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

    # -- the monitor --------------------------------------------------------------------
    def command(self, slot: _Slot) -> list[str]:
        cmd = [sys.executable, "-m", "engine.cli", "worker", "--name", slot.name]
        if self.queue_url:
            cmd += ["--queue", self.queue_url]
        return cmd + self.extra_args

    def _spawn(self, slot: _Slot) -> None:
        output = self.output
        try:
            process = subprocess.Popen(
                self.command(slot), env=slot.env, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT if output is not None else None,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        except Exception as e:  # OSError, a closed output file...: keep supervising
            log.error("cannot start engine worker %s: %s", slot.name, e)
            slot.next_start = time.monotonic() + self.max_restart_delay
            return
        with self._lock:
            slot.process = process
            slot.started = time.monotonic()
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
            p = slot.process
            if p is not None and p.poll() is None:
                continue
            if p is not None:  # it died: schedule a restart
                quick = now - slot.started < QUICK_DEATH_S
                slot.delay = (min(self.max_restart_delay, max(self.restart_delay,
                                                              slot.delay * 2))
                              if quick else self.restart_delay)
                slot.next_start = now + slot.delay
                log.warning("engine worker %s (pid %d) exited with %s; restarting in "
                            "%.0f s", slot.name, p.pid, p.returncode, slot.delay)
                with self._lock:
                    slot.exits.append(p.returncode)
                    slot.process = None
                    slot.restarts += 1
            if now >= slot.next_start:
                self._spawn(slot)


def _signal(process: subprocess.Popen, signum: int) -> None:
    try:
        process.send_signal(signum)
    except ProcessLookupError:
        pass
