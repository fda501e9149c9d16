"""LocalWorkers (LIENZO_ENGINE_WORKERS): supervision of child processes.

The children here are tiny Python scripts standing in for `lienzo worker` (the
real one is supervised in test_jobs_e2e.py); what is tested is the supervision:
restart with back-off, SIGTERM then SIGKILL on stop, and no orphans when the
bot itself is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from bot.config import engine_worker_count
from bot.local_workers import LocalWorkers
from engine.errors import InvalidParams
from tests.conftest import REPO, wait_for


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
    assert engine_worker_count() == 1
    monkeypatch.setenv("LIENZO_ENGINE_WORKERS", "0")
    assert engine_worker_count() == 0
    for bad in ("-1", "two"):
        monkeypatch.setenv("LIENZO_ENGINE_WORKERS", bad)
        with pytest.raises(InvalidParams, match="LIENZO_ENGINE_WORKERS"):
            engine_worker_count()


def test_zero_workers_starts_nothing():
    workers = LocalWorkers(0)
    workers.start()
    assert workers.pids() == [] and workers.names == []
    workers.stop()


def test_a_dying_worker_is_restarted_with_back_off():
    workers = ScriptWorkers("import sys; sys.exit(3)", restart_delay=0.05, max_restart_delay=0.4)
    workers.start()
    try:
        wait_for(lambda: workers.restarts()[0] >= 5, 20)
    finally:
        workers.stop()
    assert set(workers.exit_codes()[0][:5]) == {3}
    assert workers._slots[0].delay == 0.4  # doubled up to the cap: it keeps dying at start


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_workers_do_not_outlive_a_killed_bot(tmp_path):
    pidfile = tmp_path / "child.pid"
    bot = textwrap.dedent(f"""
        import sys, time
        from tests.test_local_workers import ScriptWorkers
        child = ("import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
                 "time.sleep(60)")
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
