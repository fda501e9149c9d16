"""The worker's job handling (engine/worker), in-process with a real SQLite queue.

The painting itself is replaced by a small function with ``stylize``'s
signature, so these tests need no Keras and run in milliseconds; the real
engine runs in the worker processes of tests/e2e/test_pipeline.py.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from engine import config
from engine import queue as q
from engine.errors import Cancelled, is_out_of_memory
from engine.media.images import decode_image
from engine.media.timelapse import decode_frame
from engine.queue import keys
from engine.worker import Worker
from tests.support.gpus import H100
from tests.support.images import TINY
from tests.support.queue_reads import progress_of, result_of
from tests.support.settings import engine_settings
from tests.support.waiting import wait_for


@dataclass(frozen=True)
class FakeProgress:
    step: int
    steps: int
    fraction: float
    eta_s: float | None
    loss: float
    scale: int = 1
    scales: int = 1
    size: tuple = (TINY, TINY)
    frame: int = 0  # as engine.core.progress.Progress: 0 for a photo
    frames: int = 0


@dataclass
class FakeResult:
    image: np.ndarray
    stats: dict


class ResourceExhaustedError(Exception):
    """Same name as TensorFlow's out-of-memory error."""


class FakeEngine:
    """Stands in for Engine.stylize; records its calls."""

    def __init__(self, steps=5, fail=(), gate: threading.Event | None = None, stopped=None):
        self.steps = steps
        self.fail = list(fail)  # exceptions to raise, one per call
        self.gate = gate  # when set, each step waits for it (lets a test act mid-job)
        self.stopped = stopped
        self.calls = []

    def __call__(self, content, styles, params, on_progress=None, should_stop=None,
                 on_preview=None, preview_every=50, start=None):
        self.calls.append(params)
        if self.fail:
            raise self.fail.pop(0)
        for step in range(1, self.steps + 1):
            if self.gate is not None:
                self.gate.wait(10)
            if should_stop and should_stop():
                raise Cancelled("stopped on request")
            on_progress(FakeProgress(step, self.steps, step / self.steps, 0.1, 100.0 / step))
            if on_preview and step % preview_every == 0:
                on_preview(content)
        image = np.full((content.shape[0], content.shape[1], 3), 77, np.uint8)
        return FakeResult(image, {"iterations": self.steps, "seconds": 0.01,
                                  "size": [params.size, params.size], "backend": "fake",
                                  "device": "CPU", "loss": float("nan"),
                                  "stopped": self.stopped})


@pytest.fixture
def queue(tmp_path, monkeypatch, assets):
    monkeypatch.setenv("LIENZO_STYLES_DIR", str(assets.styles_dir))
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIENZO_MAX_SIDE", "1024")
    monkeypatch.delenv("LIENZO_JOB_TIME_LIMIT", raising=False)
    jq = q.JobQueue(f"sqlite:///{tmp_path}/queue.db")
    yield jq
    jq.close()


def make_worker(queue, engine, **kw) -> Worker:
    w = Worker(queue, "test-worker", settings=engine_settings(), stylize=engine,
               preview_interval=0, preview_every=2, **kw)
    w.start()
    return w


def submit(queue, assets, job_id="job1", params=None, styles=None, content=None, attempt=1):
    spec = q.JobSpec(job_id, content or assets.content,
                     styles or (q.StyleRef(id="starry_night"),
                                q.StyleRef(image=assets.custom_style, weight=0.5)),
                     params if params is not None else {"size": TINY}, time.time())
    queue.submit(spec, attempt)
    return queue.take()


def test_a_job_becomes_a_result_with_images_and_stats(queue, assets):
    engine = FakeEngine(steps=4)
    worker = make_worker(queue, engine)
    assert worker.process(submit(queue, assets)) == "done"
    result = result_of(queue, "job1")
    assert result.status == "done" and result.attempt == 1 and result.worker == "test-worker"
    assert decode_image(result.jpeg).shape == (TINY, TINY, 3)
    assert decode_image(result.png)[0, 0].tolist() == [77, 77, 77]  # PNG is lossless
    for key in ("seconds", "iterations", "size", "backend", "device"):
        assert key in result.stats
    assert result.stats["loss"] is None  # NaN became null: the JSON stays valid
    assert not result.partial
    # the preview was written and the progress snapshot is gone
    assert decode_image(queue.preview("job1")).shape[2] == 3
    params = engine.calls[0]
    assert params.size == TINY and params.time_budget_s == 300  # LIENZO_JOB_TIME_LIMIT default
    assert worker._snapshot is None


def test_the_machine_caps_size_and_time_whatever_the_user_asks(queue, assets, monkeypatch):
    monkeypatch.setenv("LIENZO_MAX_SIDE", "48")
    monkeypatch.setenv("LIENZO_JOB_TIME_LIMIT", "7")
    engine = FakeEngine(steps=1)
    worker = make_worker(queue, engine)
    worker.process(submit(queue, assets, params={"size": 2048, "time_budget_s": 60,
                                                  "quality": None}))
    assert engine.calls[0].size == 48 and engine.calls[0].time_budget_s == 7
    assert engine.calls[0].quality == "fast"  # CPU default


def test_time_budget_marks_the_result_partial(queue, assets):
    worker = make_worker(queue, FakeEngine(steps=2, stopped="time_budget"))
    worker.process(submit(queue, assets))
    result = result_of(queue, "job1")
    assert result.status == "done" and result.partial


def test_out_of_memory_is_retried_once_smaller(queue, assets):
    engine = FakeEngine(steps=1, fail=[ResourceExhaustedError("OOM when allocating tensor")])
    worker = make_worker(queue, engine)
    assert worker.process(submit(queue, assets, params={"size": 512})) == "done"
    assert [p.size for p in engine.calls] == [512, 362]
    result = result_of(queue, "job1")
    assert result.stats["retried_smaller"] and result.stats["requested_size"] == 512


def test_out_of_memory_twice_is_a_clear_failure(queue, assets):
    engine = FakeEngine(fail=[MemoryError(), RuntimeError("RESOURCE_EXHAUSTED: out of memory")])
    worker = make_worker(queue, engine)
    assert worker.process(submit(queue, assets, params={"size": 512})) == "failed"
    result = result_of(queue, "job1")
    assert result.error_code == "out_of_memory" and "362 px" in result.error_message
    assert [p.size for p in engine.calls] == [512, 362]


def test_is_out_of_memory():
    assert is_out_of_memory(ResourceExhaustedError("x"))
    assert is_out_of_memory(RuntimeError("XlaRuntimeError: RESOURCE_EXHAUSTED: Out of memory"))
    assert not is_out_of_memory(ValueError("bad shape"))


@pytest.mark.parametrize("change, code", [
    ({"content": b"definitely not a jpeg"}, "not_an_image"),
    ({"styles": (q.StyleRef(id="no_such_painting"),)}, "unknown_style"),
    ({"styles": (q.StyleRef(image=b""),)}, "empty_image"),
    ({"params": {"size": 5}}, "invalid_params"),
    ({"params": {"size": "big"}}, "invalid_params"),
    ({"params": {"warp_factor": 9}}, "invalid_params"),
])
def test_bad_input_becomes_a_failed_result_with_its_code(queue, assets, change, code):
    engine = FakeEngine(steps=1)
    worker = make_worker(queue, engine)
    assert worker.process(submit(queue, assets, **change)) == "failed"
    result = result_of(queue, "job1")
    assert result.error_code == code
    assert "Traceback" not in result.error_message and result.error_message
    assert engine.calls == []


def test_an_unexpected_engine_error_is_a_result_without_a_traceback(queue, assets):
    worker = make_worker(queue, FakeEngine(fail=[ZeroDivisionError("boom")]))
    assert worker.process(submit(queue, assets)) == "failed"
    result = result_of(queue, "job1")
    assert result.error_code == "engine_error" and "boom" not in result.error_message


def test_a_corrupt_spec_is_a_bad_job_result(queue, assets):
    worker = make_worker(queue, FakeEngine())
    queue._kv.put(keys.spec_key("job1"), b"LZS1\x00\x00\x00\x02{}")  # planted: tests only
    queue.hand_back("job1", 1, None)
    assert worker.process(queue.take()) == "failed"
    assert result_of(queue, "job1").error_code == "bad_job"


def test_skipped_without_spec_and_when_a_result_exists(queue, assets):
    engine = FakeEngine(steps=1)
    worker = make_worker(queue, engine)
    queue.hand_back("ghost", 1, None)  # a message whose spec is gone
    assert worker.process(queue.take()) == "skipped"
    taken = submit(queue, assets)
    queue.put_result(q.JobResult("job1", 1, "cancelled", "other"))
    assert worker.process(taken) == "skipped"
    assert engine.calls == []


def test_cancel_flag_before_start_and_during_the_job(queue, assets):
    engine = FakeEngine(steps=1)
    worker = make_worker(queue, engine)
    taken = submit(queue, assets)
    queue.request_cancel("job1")
    assert worker.process(taken) == "cancelled" and engine.calls == []
    assert result_of(queue, "job1").status == "cancelled"

    gate = threading.Event()
    engine = FakeEngine(steps=1000, gate=gate)
    worker = make_worker(queue, engine)
    taken = submit(queue, assets, job_id="job2")
    thread = threading.Thread(target=worker.process, args=(taken,))
    thread.start()
    gate.set()
    wait_for(lambda: (progress_of(queue, "job2") or {}).get("step", 0) >= 1, 10)
    queue.request_cancel("job2")
    thread.join(60)
    assert result_of(queue, "job2").status == "cancelled"
    assert len(engine.calls) == 1


def test_stopping_mid_job_hands_the_job_back(queue, assets):
    gate = threading.Event()
    worker = make_worker(queue, FakeEngine(steps=1000, gate=gate))
    taken = submit(queue, assets, attempt=2)
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(worker.process(taken)))
    thread.start()
    gate.set()
    wait_for(lambda: (progress_of(queue, "job1") or {}).get("step", 0) >= 1, 10)
    worker.stop()
    thread.join(60)
    assert outcome == ["handed_back"]
    assert result_of(queue, "job1") is None
    assert progress_of(queue, "job1")["state"] == "requeued"
    back = queue.take()
    assert (back.job_id, back.attempt, back.priority) == ("job1", 2, q.RETRY_PRIORITY)


def test_heartbeat_and_progress_are_written_while_a_step_is_slow(queue, assets):
    """The heartbeat thread refreshes progress even when no step finishes (compiles)."""
    gate = threading.Event()
    worker = Worker(queue, "slow", settings=engine_settings(),
                    stylize=FakeEngine(steps=3, gate=gate), progress_interval=0.05)
    worker.start()
    taken = submit(queue, assets)
    thread = threading.Thread(target=worker.process, args=(taken,))
    thread.start()
    first = wait_for(lambda: progress_of(queue, "job1"), 10)
    wait_for(lambda: progress_of(queue, "job1")["ts"] > first["ts"], 10,
             message="a fresher progress record without any step")
    beat = queue.workers()["slow"]
    assert beat["current_job"] == "job1" and beat["state"] == "busy"
    assert {"ts", "device", "backend", "current_job"} <= beat.keys()
    gate.set()
    thread.join(60)
    worker.stop()
    worker.stop_heartbeat()


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/lienzo-pwned-worker",))


def test_the_loop_survives_garbage_and_stops_cleanly(queue, assets):
    import os

    marker = "/tmp/lienzo-pwned-worker"
    if os.path.exists(marker):
        os.unlink(marker)
    engine = FakeEngine(steps=1)
    worker = Worker(queue, "looper", settings=engine_settings(), stylize=engine,
                    poll_interval=0.02)
    queue.huey.storage.enqueue(b"garbage", 0)
    queue.huey.storage.enqueue(pickle.dumps(Evil()), 0)
    queue.submit(q.JobSpec("good", assets.content, (q.StyleRef(id="the_scream"),),
                           {"size": TINY}, time.time()))
    codes = []
    thread = threading.Thread(target=lambda: codes.append(worker.run()))
    thread.start()
    wait_for(lambda: result_of(queue, "good"), 10)
    assert result_of(queue, "good").status == "done"
    worker.stop()
    thread.join(60)
    assert codes == [0]
    assert not os.path.exists(marker)
    assert "looper" not in queue.workers()  # a clean stop removes the heartbeat


def test_the_worker_sends_the_timelapse_with_the_result(queue, assets):
    worker = make_worker(queue, FakeEngine(steps=6))  # a snapshot every 2 steps
    assert worker.process(submit(queue, assets)) == "done"
    frames = result_of(queue, "job1").timelapse
    assert len(frames) == 1 + 3 + 1  # the photo, the snapshots, the painting
    shapes = {decode_frame(f).shape for f in frames}
    assert len(shapes) == 1 and all(side % 2 == 0 for side in next(iter(shapes))[:2])
    assert np.abs(decode_frame(frames[-1]).astype(int) - 77).mean() < 3  # the painting


def test_an_instant_job_comes_back_as_any_painting_does(queue, assets):
    """quality=instant reached a worker: its first look is the result, stored and read
    back through the queue as a painting is (JPEG, full-size PNG, stats)."""
    engine = FakeEngine()
    worker = make_worker(queue, engine)
    assert worker.process(submit(queue, assets, params={"size": TINY,
                                                        "quality": "instant"})) == "done"
    result = result_of(queue, "job1")
    assert engine.calls == [] and result.stats["instant"] is True
    assert decode_image(result.png).shape == (TINY, TINY, 3) and result.jpeg
    assert result.worker == "test-worker" and result.stats["iterations"] == 0


@pytest.mark.usefixtures("gpu_environment")
def test_the_heartbeat_names_the_gpu(monkeypatch, tmp_path, assets):
    """The worker's real start-up (memory, the GPU check, the engine) with the backend
    saying it runs on an H100: its heartbeat, which the bot reads, names GPU 1."""
    from bot.engine_view import is_gpu
    from engine.core import backend, transfer
    from engine.worker import Worker

    monkeypatch.setattr(backend, "gpu", lambda: (H100, (9, 0)))
    monkeypatch.setattr(transfer, "_engines", {})  # a fresh Engine: it names its device
    os.environ.update(LIENZO_GPU="1", LIENZO_VGG19_WEIGHTS="random",
                      LIENZO_DATA_DIR=str(tmp_path), LIENZO_STYLES_DIR=str(assets.styles_dir))
    settings = dataclasses.replace(config.load(), precision="fp32")
    queue = q.JobQueue(f"sqlite:///{tmp_path}/q.db")
    worker = Worker(queue, "gpu-worker", settings=settings, warmup_size=0)
    try:
        worker.start()
        beat = queue.workers()["gpu-worker"]
        assert beat["device"] == f"GPU 1: {H100}" and beat["state"] == "idle"
        assert is_gpu(beat["device"])  # the bot's view: a GPU worker, GPU defaults
    finally:
        worker.stop_heartbeat()
        queue.close()
