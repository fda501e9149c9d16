"""LocalWorkers (LIENZO_ENGINE_WORKERS): supervision of child processes.

The children here are mostly tiny Python scripts standing in for `lienzo worker`
(the real one is supervised in tests/e2e/test_pipeline.py); what is tested is the
supervision: restart with back-off (reset once a worker was ready), a
configuration error (exit status 2) not restarted but reported, SIGTERM then
SIGKILL on stop, and no orphans when the bot itself is killed.  Two tests run
the real `lienzo worker`: one with missing weights, one killed once it is ready.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from bot.config import cuda_visible_devices, engine_worker_count
from bot.gpus import visible_gpus
from bot.local_workers import LocalWorkers, TensorFlowNoise
from engine.errors import InvalidParams
from tests.support.waiting import wait_for
from tests.support.workers import REPO, engine_env

#: A stand-in worker that says it is ready (as `lienzo worker` does), then idles.
READY = "import sys, time; print(f'worker {sys.argv[1]} ready: test'); time.sleep(60)"


def worker_count() -> int:
    """``LIENZO_ENGINE_WORKERS`` as ``bot.config.load_config`` resolves it here."""
    return engine_worker_count(tuple(visible_gpus(cuda_visible_devices())))


class ScriptWorkers(LocalWorkers):
    def __init__(self, script: str, count: int = 1, **kw):
        super().__init__(count, **kw)
        self.script = script

    def command(self, slot):
        return [sys.executable, "-c", self.script, slot.name]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_worker_count_from_the_environment(monkeypatch):
    monkeypatch.delenv("LIENZO_ENGINE_WORKERS", raising=False)
    assert worker_count() == 1
    monkeypatch.setenv("LIENZO_ENGINE_WORKERS", "0")
    assert worker_count() == 0
    for bad in ("-1", "two"):
        monkeypatch.setenv("LIENZO_ENGINE_WORKERS", bad)
        with pytest.raises(InvalidParams, match="LIENZO_ENGINE_WORKERS"):
            worker_count()


def test_zero_workers_starts_nothing():
    workers = LocalWorkers(0)
    workers.start()
    assert workers.pids() == [] and workers.names == []
    workers.stop()


@pytest.mark.e2e
def test_a_dying_worker_is_restarted_with_back_off():
    workers = ScriptWorkers("import sys; sys.exit(3)", restart_delay=0.05, max_restart_delay=0.4)
    workers.start()
    try:
        wait_for(lambda: workers.restarts()[0] >= 5, 20)
    finally:
        workers.stop()
    assert set(workers.exit_codes()[0][:5]) == {3}
    assert workers._slots[0].delay == 0.4  # doubled up to the cap: it keeps dying at start


@pytest.mark.e2e
def test_stop_sends_sigterm_then_sigkill_to_a_worker_that_ignores_it(tmp_path):
    ready = f"import pathlib, sys; pathlib.Path({str(tmp_path)!r}, sys.argv[1]).touch(); "
    polite = "import signal, time; signal.signal(signal.SIGTERM, lambda *a: exit(0)); " \
             + ready + "time.sleep(60)"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
               + ready + "time.sleep(60)"
    for i, (script, expected) in enumerate(((polite, 0), (stubborn, -signal.SIGKILL))):
        workers = ScriptWorkers(script, count=2, stop_timeout=1.0, name_prefix=f"w{i}-")
        workers.start()
        wait_for(lambda w=workers: all((tmp_path / n).exists() for n in w.names), 10)
        pids = workers.pids()
        workers.stop()
        assert [c[-1] for c in workers.exit_codes()] == [expected, expected]
        assert not any(alive(p) for p in pids)


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_workers_do_not_outlive_a_killed_bot(tmp_path):
    pidfile = tmp_path / "child.pid"
    bot = textwrap.dedent(f"""
        import sys, time
        from tests.bot.test_local_workers import ScriptWorkers
        child = ("import os, time; from engine.worker.command import die_with_parent; "
                 "die_with_parent(os.getppid()); "
                 "open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)")
        ScriptWorkers(child).start()
        time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", bot], cwd=REPO)
    try:
        child = int(wait_for(lambda: pidfile.exists() and pidfile.read_text(), 20))
        assert alive(child)
    finally:
        process.kill()
        process.wait()
    wait_for(lambda: not alive(child), 10, message="the worker to exit after the bot died")


@pytest.mark.e2e
def test_a_configuration_error_is_reported_not_restarted(tmp_path):
    script = ("import sys; print('starting'); "
              "print('lienzo: LIENZO_MAX_SIDE must be a whole number', file=sys.stderr); "
              "sys.exit(2)")
    output = tmp_path / "out.log"
    with open(output, "ab") as out:
        workers = ScriptWorkers(script, restart_delay=0.05, name_prefix="w", output=out)
        workers.start()
        try:
            wait_for(lambda: workers.failure, 60, message="the failure to be reported")
            time.sleep(1.2)  # two more rounds of the monitor: still no restart
            assert workers.restarts() == [0] and workers.pids() == [None]
        finally:
            workers.stop()
    assert workers.failure == "engine worker w0: lienzo: LIENZO_MAX_SIDE must be a whole number"
    assert workers.exit_codes() == [[2]]
    assert output.read_text().splitlines() == [
        "starting", "lienzo: LIENZO_MAX_SIDE must be a whole number"]


@pytest.mark.e2e
def test_status_2_after_having_been_ready_is_restarted():
    """A worker whose configuration worked once is restarted even after status 2:
    the cause (say, the queue unreachable as it restarted) can pass."""
    script = ("import sys, time; print(f'worker {sys.argv[1]} ready: test'); time.sleep(0.2); "
              "sys.exit(2)")
    workers = ScriptWorkers(script, restart_delay=0.05, max_restart_delay=0.1)
    workers.start()
    try:
        wait_for(lambda: workers.restarts()[0] >= 2, 10)
    finally:
        workers.stop()
    assert workers.failure is None
    assert workers.exit_codes()[0][:2] == [2, 2]


@pytest.mark.e2e
def test_a_worker_that_was_ready_is_back_at_once_every_time():
    """The back-off is for crash loops: each time a ready worker is killed it comes
    back after ``restart_delay``, not after a doubled delay."""
    workers = ScriptWorkers(READY, restart_delay=0.3, max_restart_delay=10)
    workers.start()
    try:
        for _ in range(3):
            wait_for(lambda: workers.ready() == [True], 10)
            pid = workers.pids()[0]
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda p=pid: workers.pids()[0] not in (None, p), 10)
            assert workers._slots[0].delay == 0.3  # scheduled after restart_delay, not doubled
    finally:
        workers.stop()
    assert workers.restarts() == [3]


@pytest.mark.e2e
def test_output_goes_through_without_tensorflow_start_up_noise(tmp_path):
    noise = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1795965570.524258   29330 port.cc:153] oneDNN custom operations are on. "
        "You may see slightly different numerical results",
        "I0000 00:00:1795965570.524619   29330 cudart_stub.cc:31] Could not find cuda drivers "
        "on your machine, GPU will not be used.",
        "E0000 00:00:1795965572.757421   29330 cuda_platform.cc:52] failed call to cuInit: "
        "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    ]
    kept = ["2026-01-01 12:00:00,000 INFO lienzo.worker: warm-up at 32 px took 5.1 s",
            "E0000 00:00:1795965572.757421   29330 some_op.cc:52] a real error"]
    filter_ = TensorFlowNoise()
    assert [line for line in noise + kept if not filter_(line)] == kept
    # With a GPU driver there, a failed cuInit is an error worth seeing.
    assert not TensorFlowNoise()(noise[3])


@pytest.mark.e2e
def test_a_real_worker_with_missing_weights_fails_once(tmp_path, assets):
    output = tmp_path / "out.log"
    env = engine_env(assets, tmp_path / "data", LIENZO_VGG19_WEIGHTS="/nonexistent/vgg19.h5",
                     TF_CPP_MIN_LOG_LEVEL="2")
    with open(output, "a") as out:
        workers = LocalWorkers(1, env=env, output=out, name_prefix="bot-local",
                               restart_delay=0.05)
        workers.start()
        try:
            wait_for(lambda: workers.failure, 60, message="the failure to be reported")
            assert workers.restarts() == [0]
        finally:
            workers.stop()
    assert workers.failure == ("engine worker bot-local0: lienzo: LIENZO_VGG19_WEIGHTS="
                               "/nonexistent/vgg19.h5 is neither 'imagenet', 'random' nor an "
                               "existing file.")
    log = output.read_text()
    assert "lienzo: LIENZO_VGG19_WEIGHTS" in log
    assert "oneDNN" not in log and "absl::InitializeLog" not in log and "cudart" not in log


@pytest.mark.e2e
def test_a_real_worker_killed_once_ready_is_back_after_the_restart_delay(tmp_path, assets):
    """Killed twice once ready: the second restart is still after ``restart_delay``
    (1 s), where the crash-loop back-off would have doubled it."""
    url = f"sqlite:///{tmp_path}/queue.db"
    with open(tmp_path / "out.log", "ab") as out:
        workers = LocalWorkers(1, queue_url=url, env=engine_env(assets, tmp_path / "data"),
                               extra_args=["--warmup-size", "0", "--poll", "0.05"],
                               output=out, restart_delay=1.0)
        workers.start()
        try:
            for _ in range(2):
                wait_for(lambda: workers.ready() == [True], 120, interval=0.1,
                         message="the worker to be ready")
                pid = workers.pids()[0]
                os.kill(pid, signal.SIGKILL)
                killed = time.monotonic()
                wait_for(lambda p=pid: workers.pids()[0] not in (None, p), 10)
                assert time.monotonic() - killed < 2.0
                assert workers._slots[0].delay == 1.0
        finally:
            workers.stop()
    assert workers.restarts() == [2] and workers.failure is None
