"""The queue's records (engine/queue/payloads.py): specs, results, progress and
heartbeats round trip; anything that breaks the schema is refused; the caps."""

from __future__ import annotations

import json

import pytest

from engine import queue as q
from engine.media import mp4
from engine.queue import JobResult, JobSpec, StyleRef, payloads
from engine.queue.payloads import MAX_MP4_BYTES, MAX_TIMELAPSE_FRAMES, BadPayload
from tests.support.clips import moving
from tests.support.specs import spec


def test_spec_round_trip_keeps_bytes_and_params():
    s = spec()
    data = s.encode()
    assert data[:4] == b"LZS1"
    assert q.JobSpec.decode(data) == s
    assert q.JobSpec.decode(memoryview(data)) == s


def test_a_print_spec_carries_its_start_picture_and_says_it_is_a_print():
    printed = spec(start=b"\x89PNGpainting", is_print=True)
    assert q.JobSpec.decode(printed.encode()) == printed
    assert q.JobSpec.decode(spec().encode()).start is None  # a painting has none
    assert not q.JobSpec.decode(spec().encode()).is_print


@pytest.mark.parametrize("change", [{"start": 0}, {"start": 9}, {"start": "1"},
                                    {"start": True}, {"print": "yes"}])
def test_a_print_spec_that_breaks_the_schema_is_refused(change):
    data = spec(start=b"\x89PNGpainting", is_print=True).encode()
    head_len = int.from_bytes(data[4:8], "big")
    head = json.dumps(dict(json.loads(data[8:8 + head_len]), **change)).encode()
    with pytest.raises(BadPayload):
        q.JobSpec.decode(data[:4] + len(head).to_bytes(4, "big") + head + data[8 + head_len:])


def test_a_start_picture_is_a_stills_and_is_bytes():
    for bad in ({"start": b""}, {"start": "painting"}, {"start": b"png", "clip": "gif"},
                {"is_print": 1}):
        with pytest.raises(BadPayload):
            spec(**bad)


def test_result_round_trip():
    r = q.JobResult("job1", 2, "done", "w1", jpeg=b"j" * 10, png=b"p" * 20,
                    stats={"seconds": 1.5, "size": [64, 48]}, partial=True, finished=9.0)
    assert q.JobResult.decode(r.encode()) == r
    f = q.JobResult("job1", 1, "failed", "w1", error_code="bad_image",
                    error_message="The file is not an image.")
    assert q.JobResult.decode(f.encode()) == f


def _corrupt(data: bytes):
    head_len = int.from_bytes(data[4:8], "big")
    header = json.loads(data[8:8 + head_len])
    body = data[8 + head_len:]
    yield b""
    yield b"LZS"
    yield b"XXXX" + data[4:]
    yield data[:-1]  # truncated
    yield data + b"x"  # trailing junk
    yield data[:4] + (10**9).to_bytes(4, "big") + data[8:]
    yield data[:8] + b"{" * head_len + body
    for change in ({"v": 2}, {"content": 5}, {"styles": "starry_night"}, {"styles": []},
                   {"styles": [{"id": "../../etc/passwd"}]}, {"styles": [{"image": 9}]},
                   {"styles": [{"id": "a", "weight": -1}]}, {"job": "../x"},
                   {"params": {"size": [1, 2]}}, {"params": {"__class__": 1}},
                   {"blobs": [1, 2]}, {"params": "size=64"}):
        bad = dict(header, **change)
        head = json.dumps(bad).encode()
        yield data[:4] + len(head).to_bytes(4, "big") + head + body


def test_corrupt_specs_are_rejected_with_bad_job():
    data = spec().encode()
    for bad in _corrupt(data):
        with pytest.raises(q.BadPayload) as info:
            q.JobSpec.decode(bad)
        assert info.value.code == "bad_job"


def test_results_that_break_the_schema_are_rejected():
    with pytest.raises(q.BadPayload):
        q.JobResult("job1", 1, "done", "w")  # done without images
    with pytest.raises(q.BadPayload):
        q.JobResult("job1", 1, "failed", "w")  # failed without a code
    with pytest.raises(q.BadPayload):
        q.JobResult("job1", 0, "cancelled", "w")
    with pytest.raises(q.BadPayload):
        q.JobResult.decode(spec().encode())  # a spec is not a result


def test_progress_and_heartbeat_records_are_validated():
    record = {"state": "running", "job": "j1", "attempt": 1, "step": 3, "steps": 10,
              "fraction": 0.3, "eta_s": 1.5, "loss": 12.0, "worker": "w", "ts": 1.0,
              "preview": 2}
    assert payloads.decode_progress(payloads.encode_progress(record)) == record
    for bad in ({"state": "exploding"}, {"state": []}, {"state": {}}, {"fraction": 1.5},
                {"step": -1}, {"loss": "x"}):  # a list or object: refused, not a TypeError
        with pytest.raises(q.BadPayload):
            payloads.encode_progress(dict(record, **bad))
        with pytest.raises(q.BadPayload):
            payloads.decode_progress(json.dumps(dict(record, **bad)).encode())
    with pytest.raises(q.BadPayload):
        payloads.decode_progress(b"not json")
    beat = {"ts": 1.0, "device": "CPU", "backend": "tensorflow", "current_job": None}
    assert payloads.decode_heartbeat(payloads.encode_heartbeat(beat)) == beat
    for bad in ({"current_job": "a b"}, {"state": ["idle"]}):
        with pytest.raises(q.BadPayload):
            payloads.decode_heartbeat(json.dumps(dict(beat, **bad)).encode())


def test_result_carries_the_timelapse_within_caps():
    frames = tuple(bytes([i]) * 100 for i in range(1, 10))
    result = q.JobResult("job1", 1, "done", jpeg=b"j", png=b"p", timelapse=frames)
    assert q.JobResult.decode(result.encode()).timelapse == frames
    assert q.JobResult.decode(q.JobResult("job1", 1, "done", jpeg=b"j",
                                          png=b"p").encode()).timelapse == ()
    with pytest.raises(BadPayload):
        q.JobResult("job1", 1, "done", jpeg=b"j", png=b"p",
                    timelapse=(b"x",) * (MAX_TIMELAPSE_FRAMES + 1))
    with pytest.raises(BadPayload):
        q.JobResult("job1", 1, "failed", error_code="x", error_message="y", timelapse=(b"x",))


def test_a_4096_px_print_fits_the_result_caps():
    """A 4096×4096 PNG of pure noise (the worst case: incompressible, ~48 MB) is within a
    result's blob cap, and so travels from worker to bot."""
    import numpy as np

    from engine.media import images

    noise = np.random.default_rng(0).integers(0, 256, (4096, 4096, 3), dtype=np.uint8)
    png = images.encode_png(noise)
    assert len(png) <= payloads.MAX_BLOB_BYTES
    r = q.JobResult("job1", 1, "done", "w1", jpeg=b"j", png=png)
    assert q.JobResult.decode(r.encode()).png == png


def test_the_queue_contract_carries_clips_and_mp4s():
    clip = mp4.encode(moving(6, 48, 32), 6.0)
    spec = JobSpec("clip1", clip, (StyleRef(id="starry_night"),), clip="gif")
    assert JobSpec.decode(spec.encode()) == spec
    assert JobSpec.decode(JobSpec("p1", b"jpeg", (StyleRef(id="x"),)).encode()).clip is None
    with pytest.raises(BadPayload):
        JobSpec("clip2", b"x", (StyleRef(id="x"),), clip="webm")
    done = JobResult("clip1", 1, "done", "w", jpeg=b"jpeg", mp4=clip)
    assert JobResult.decode(done.encode()) == done
    with pytest.raises(BadPayload):  # an MP4 over the cap
        JobResult("clip1", 1, "done", "w", jpeg=b"jpeg", mp4=bytes(MAX_MP4_BYTES + 1))
    with pytest.raises(BadPayload):  # neither a PNG nor an MP4
        JobResult("clip1", 1, "done", "w", jpeg=b"jpeg")


def test_a_prints_result_may_come_without_its_png_and_a_paintings_may_not():
    """An 8K print's PNG is over the blob cap: the worker sends its JPEG alone."""
    r = q.JobResult("job1", 1, "done", "w1", jpeg=b"j", stats={"print": True, "png_bytes": 9})
    assert q.JobResult.decode(r.encode()).png is None
    with pytest.raises(BadPayload, match="done without images"):
        q.JobResult("job1", 1, "done", "w1", jpeg=b"j", stats={"print": False})
