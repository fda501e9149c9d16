"""The contract's payloads: what the bot and the workers write for each other
(docs/architecture.md, "The queue contract").

Images travel as bytes in a small binary container (magic, a JSON header, raw
blobs): ``JobSpec`` (the bot's request) and ``JobResult`` (a worker's answer).
Progress records and worker heartbeats are JSON objects.  Everything is
validated on read: whoever reads a payload trusts nothing in it.  Nothing here
is pickled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from engine.params import MAX_STYLES
from engine.queue.container import JOB_ID_RE as JOB_ID_RE
from engine.queue.container import MAX_BLOB_BYTES as MAX_BLOB_BYTES
from engine.queue.container import BadPayload as BadPayload
from engine.queue.container import _is_int, _is_num, _need, _pack, _unpack
from engine.queue.container import check_job_id as check_job_id

MAX_RECORD_BYTES = 64 * 1024
MAX_ATTEMPT = 1000  # attempts at one job (the bot allows far fewer)
MAX_MESSAGE_CHARS = 2000  # a failure's message for people
#: A done result's timelapse (engine.media.timelapse): JPEG frames, the photo first and the
#: painting last.  ~40 frames of ≤ 480 px are a few hundred kB; these caps keep a
#: bad or runaway worker from filling the store and the bot's disk.
MAX_TIMELAPSE_FRAMES = 64
MAX_TIMELAPSE_FRAME_BYTES = 1024 * 1024
MAX_TIMELAPSE_BYTES = 12 * 1024 * 1024
#: A clip's painting (engine.worker.painting): ≤ 4 s of H.264 at ≤ 384 px
#: is well under 5 MB; 20 MB stays under what a bot may upload, with room to spare.
MAX_MP4_BYTES = 20 * 1024 * 1024
CLIP_KINDS = ("gif", "video")  # a spec's clip: how the result goes back
STYLE_ID_RE = re.compile(r"[A-Za-z0-9_ .'-]{1,64}")


class ProgressState(StrEnum):
    """A progress record's ``state``: where a job is in a worker's hands."""

    STARTING = "starting"
    RUNNING = "running"
    FINISHING = "finishing"
    REQUEUED = "requeued"  # handed back by a stopping worker


class ResultStatus(StrEnum):
    """A result's ``status``: how a job ended."""

    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class WorkerState(StrEnum):
    """A heartbeat's ``state``: what a worker is doing."""

    WARMING = "warming"
    IDLE = "idle"
    BUSY = "busy"
    STOPPING = "stopping"
    STOPPED = "stopped"


# The values a reader accepts (a StrEnum member equals its string).  Tuples, not
# sets: a malformed record's list or object is then "not one of them", not a TypeError.
PROGRESS_STATES = tuple(ProgressState)
RESULT_STATUSES = tuple(ResultStatus)
WORKER_STATES = tuple(WorkerState)

_SPEC_MAGIC = b"LZS1"
_RESULT_MAGIC = b"LZR1"

JSONValue = Any  # a value json.loads returns


class ProgressRecord(TypedDict):
    """``progress:<job>``: where a running job is; a fresh ``ts`` is its heartbeat."""

    state: str  # a ProgressState
    job: str
    attempt: int
    step: int
    steps: int
    fraction: float
    eta_s: float | None
    loss: float | None
    worker: str
    ts: float
    scale: NotRequired[int]
    scales: NotRequired[int]
    preview: NotRequired[int]  # sequence number of the newest preview:<job>
    frame: NotRequired[int]  # a clip's frame (1-based) and its frames; 0 for a photo
    frames: NotRequired[int]


class Heartbeat(TypedDict):
    """``worker:<name>``: an engine worker is alive, on this device."""

    ts: float
    device: str
    backend: str
    current_job: str | None
    name: NotRequired[str]
    state: NotRequired[str]  # a WorkerState
    pid: NotRequired[int]
    host: NotRequired[str]
    started: NotRequired[float]
    jobs_done: NotRequired[int]


@dataclass(frozen=True)
class StyleRef:
    """One style of a blend: a catalogue id, or the bytes of the user's own painting."""

    weight: float = 1.0
    id: str | None = None
    image: bytes | None = None

    def __post_init__(self) -> None:
        _need((self.id is None) != (self.image is None), "style", "give an id or an image")
        _need(_is_num(self.weight) and self.weight > 0, "style", "weight must be > 0")
        if self.id is not None:
            _need(isinstance(self.id, str) and bool(STYLE_ID_RE.fullmatch(self.id)), "style",
                  f"bad style id {self.id!r}")
        else:
            _need(isinstance(self.image, bytes) and len(self.image) <= MAX_BLOB_BYTES, "style",
                  "image must be bytes")


@dataclass(frozen=True)
class JobSpec:
    """What the bot asks of a worker.  ``params`` are StyleParams fields (JSON values).
    ``clip`` ("gif" or "video"): ``content`` is a clip, not a photo.  ``is_print``: a
    print (engine.worker.printing: the print side and time limit, the photo upscaled),
    ``start`` the painting it starts from (an image's bytes; a still's only)."""

    job_id: str
    content: bytes
    styles: tuple[StyleRef, ...]
    params: dict[str, JSONValue] = field(default_factory=dict)
    created: float = 0.0
    clip: str | None = None
    start: bytes | None = None
    is_print: bool = False

    def __post_init__(self) -> None:
        check_job_id(self.job_id)
        _need(self.clip is None or self.clip in CLIP_KINDS, "spec", f"bad clip {self.clip!r}")
        _need(self.start is None or (isinstance(self.start, bytes) and self.clip is None
                                     and 0 < len(self.start) <= MAX_BLOB_BYTES), "spec",
              "start must be an image's bytes, for a still")
        _need(isinstance(self.is_print, bool), "spec", "print must be true or false")
        _need(isinstance(self.content, bytes) and len(self.content) <= MAX_BLOB_BYTES, "spec",
              "content must be bytes")
        _need(1 <= len(self.styles) <= MAX_STYLES, "spec", f"1 to {MAX_STYLES} styles")
        _need(isinstance(self.params, dict), "spec", "params must be an object")
        for k, v in self.params.items():
            _need(isinstance(k, str) and k.isidentifier() and not k.startswith("_")
                  and len(k) <= 40, "spec", f"bad parameter name {k!r}")
            _need(v is None or isinstance(v, str | bool) or _is_num(v), "spec",
                  f"parameter {k} must be a number, text, true/false or null")
            _need(not isinstance(v, str) or len(v) <= 64, "spec", f"parameter {k} too long")

    def encode(self) -> bytes:
        blobs = [self.content]
        styles: list[dict[str, JSONValue]] = []
        for s in self.styles:
            if s.id is not None:
                styles.append({"id": s.id, "weight": s.weight})
            else:
                styles.append({"image": len(blobs), "weight": s.weight})
                blobs.append(s.image or b"")
        header = {"v": 1, "kind": "spec", "job": self.job_id, "created": self.created,
                  "content": 0, "styles": styles, "params": self.params, "clip": self.clip}
        if self.start is not None:
            header["start"] = len(blobs)
            blobs.append(self.start)
        if self.is_print:
            header["print"] = True
        return _pack(_SPEC_MAGIC, header, blobs)

    @classmethod
    def decode(cls, data: object) -> JobSpec:
        header, blobs = _unpack(_SPEC_MAGIC, data, "spec")
        _need(header.get("v") == 1 and header.get("kind") == "spec", "spec", "unknown version")
        _need(header.get("content") == 0 and len(blobs) >= 1, "spec", "no content image")
        raw_styles = header.get("styles")
        if not isinstance(raw_styles, list):
            raise BadPayload("spec: styles must be a list")
        styles: list[StyleRef] = []
        for s in raw_styles:
            _need(isinstance(s, dict) and set(s) <= {"id", "image", "weight"}, "spec",
                  "bad style entry")
            image = s.get("image")
            if image is not None:
                _need(_is_int(image) and 1 <= image < len(blobs), "spec", "bad style image index")
                image = blobs[image]
            styles.append(StyleRef(weight=s.get("weight", 1.0), id=s.get("id"), image=image))
        created, start = header.get("created", 0.0), header.get("start")
        _need(_is_num(created), "spec", "bad created time")
        _need(start is None or (_is_int(start) and 1 <= start < len(blobs)), "spec",
              "bad start image index")
        return cls(job_id=header.get("job", ""), content=blobs[0], styles=tuple(styles),
                   params=header.get("params", {}), created=float(created),
                   clip=header.get("clip"), start=None if start is None else blobs[start],
                   is_print=header.get("print", False))


@dataclass(frozen=True)
class JobResult:
    """What a worker answers.  ``status`` is done (jpeg, png, stats, and maybe a
    ``timelapse``: JPEG frames, the photo, the snapshots, the painting; a
    clip's: jpeg (its first frame) and ``mp4``, no png), failed
    (error_code, error_message) or cancelled.  ``partial``: the time budget ran
    out and the images are the best so far."""

    job_id: str
    attempt: int
    status: str
    worker: str = ""
    jpeg: bytes | None = None
    png: bytes | None = None
    stats: dict[str, JSONValue] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    partial: bool = False
    finished: float = 0.0
    timelapse: tuple[bytes, ...] = ()
    mp4: bytes | None = None

    def __post_init__(self) -> None:
        check_job_id(self.job_id)
        _need(_is_int(self.attempt) and 1 <= self.attempt <= MAX_ATTEMPT, "result", "bad attempt")
        _need(self.status in RESULT_STATUSES, "result", f"bad status {self.status!r}")
        _need(isinstance(self.stats, dict), "result", "stats must be an object")
        _need(isinstance(self.worker, str) and len(self.worker) <= 128, "result", "bad worker")
        _need(_is_num(self.finished), "result", "bad finished time")
        if self.status == ResultStatus.DONE:
            _need(bool(self.jpeg) and bool(self.png or self.mp4 or self.stats.get("print")),
                  "result", "done without images")  # a print's PNG may be too big to carry
        _need(self.mp4 is None or (isinstance(self.mp4, bytes) and 0 < len(self.mp4)
                                   <= MAX_MP4_BYTES), "result", f"MP4 over {MAX_MP4_BYTES} bytes")
        check_timelapse(self.timelapse)
        _need(not self.timelapse or self.status == ResultStatus.DONE, "result",
              "a timelapse, not done")
        if self.status == ResultStatus.FAILED:
            _need(isinstance(self.error_code, str) and bool(self.error_code)
                  and len(self.error_code) <= 64, "result", "failed without an error code")
            _need(isinstance(self.error_message, str)
                  and len(self.error_message) <= MAX_MESSAGE_CHARS, "result",
                  "failed without a message")

    def encode(self) -> bytes:
        blobs: list[bytes] = []
        images: dict[str, int] = {}
        for name in ("jpeg", "png", "mp4"):
            data = getattr(self, name)
            if data is not None:
                images[name] = len(blobs)
                blobs.append(data)
        error = None
        if self.error_code is not None:
            error = {"code": self.error_code, "message": self.error_message or ""}
        header = {"v": 1, "kind": "result", "job": self.job_id, "attempt": self.attempt,
                  "status": self.status, "worker": self.worker, "partial": bool(self.partial),
                  "stats": self.stats, "error": error, "finished": self.finished,
                  "images": images}
        if self.timelapse:
            header["timelapse"] = list(range(len(blobs), len(blobs) + len(self.timelapse)))
            blobs.extend(self.timelapse)
        return _pack(_RESULT_MAGIC, header, blobs)

    @classmethod
    def decode(cls, data: object) -> JobResult:
        header, blobs = _unpack(_RESULT_MAGIC, data, "result")
        _need(header.get("v") == 1 and header.get("kind") == "result", "result",
              "unknown version")
        images = header.get("images", {})
        _need(isinstance(images, dict) and set(images) <= {"jpeg", "png", "mp4"}, "result",
              "bad image table")
        got: dict[str, bytes] = {}
        for name, index in images.items():
            _need(_is_int(index) and 0 <= index < len(blobs), "result", "bad image index")
            got[name] = blobs[index]
        frames = header.get("timelapse", [])
        _need(isinstance(frames, list) and all(_is_int(i) and 0 <= i < len(blobs)
                                               for i in frames), "result", "bad timelapse")
        error = header.get("error")
        _need(error is None or (isinstance(error, dict) and set(error) <= {"code", "message"}),
              "result", "bad error")
        error = error or {}
        _need(isinstance(header.get("partial", False), bool), "result", "bad partial flag")
        return cls(job_id=header.get("job", ""), attempt=header.get("attempt", 0),
                   status=header.get("status", ""), worker=header.get("worker", ""),
                   jpeg=got.get("jpeg"), png=got.get("png"), stats=header.get("stats", {}),
                   error_code=error.get("code"), error_message=error.get("message"),
                   partial=header.get("partial", False), finished=header.get("finished", 0.0),
                   timelapse=tuple(blobs[i] for i in frames), mp4=got.get("mp4"))


def check_timelapse(frames: object) -> tuple[bytes, ...]:
    """Timelapse frames within the caps (a count, each frame's and the total size)."""
    _need(isinstance(frames, tuple) and all(isinstance(f, bytes) and 0 < len(f)
                                            <= MAX_TIMELAPSE_FRAME_BYTES for f in frames),
          "timelapse", f"frames must be JPEG bytes of at most {MAX_TIMELAPSE_FRAME_BYTES}")
    assert isinstance(frames, tuple)
    _need(len(frames) <= MAX_TIMELAPSE_FRAMES, "timelapse",
          f"at most {MAX_TIMELAPSE_FRAMES} frames")
    _need(sum(len(f) for f in frames) <= MAX_TIMELAPSE_BYTES, "timelapse",
          f"at most {MAX_TIMELAPSE_BYTES} bytes in all")
    return frames


# --------------------------------------------------------------------------- JSON records

Check = tuple[bool, Callable[[Any], bool]]  # (required, validator)

_PROGRESS_FIELDS: dict[str, Check] = {
    "state": (True, lambda v: v in PROGRESS_STATES),
    "job": (True, lambda v: isinstance(v, str) and bool(JOB_ID_RE.fullmatch(v))),
    "attempt": (True, lambda v: _is_int(v) and v >= 1),
    "step": (True, lambda v: _is_int(v) and v >= 0),
    "steps": (True, lambda v: _is_int(v) and v >= 0),
    "fraction": (True, lambda v: _is_num(v) and 0 <= v <= 1),
    "eta_s": (True, lambda v: v is None or (_is_num(v) and v >= 0)),
    "loss": (True, lambda v: v is None or _is_num(v)),
    "worker": (True, lambda v: isinstance(v, str) and len(v) <= 128),
    "ts": (True, _is_num),
    "scale": (False, lambda v: _is_int(v) and v >= 0),
    "scales": (False, lambda v: _is_int(v) and v >= 0),
    "preview": (False, lambda v: _is_int(v) and v >= 0),
    "frame": (False, lambda v: _is_int(v) and v >= 0),
    "frames": (False, lambda v: _is_int(v) and v >= 0),
}

_HEARTBEAT_FIELDS: dict[str, Check] = {
    "ts": (True, _is_num),
    "device": (True, lambda v: isinstance(v, str) and len(v) <= 200),
    "backend": (True, lambda v: isinstance(v, str) and len(v) <= 40),
    "current_job": (True, lambda v: v is None or (isinstance(v, str)
                                                  and bool(JOB_ID_RE.fullmatch(v)))),
    "name": (False, lambda v: isinstance(v, str) and len(v) <= 128),
    "state": (False, lambda v: v in WORKER_STATES),
    "pid": (False, _is_int),
    "host": (False, lambda v: isinstance(v, str) and len(v) <= 255),
    "started": (False, _is_num),
    "jobs_done": (False, _is_int),
}


def _check_record(record: object, fields: dict[str, Check], what: str) -> dict[str, JSONValue]:
    _need(isinstance(record, dict), what, "not an object")
    assert isinstance(record, dict)
    for name, (required, check) in fields.items():
        if name not in record:
            _need(not required, what, f"missing {name}")
            continue
        _need(check(record[name]), what, f"bad {name}: {record[name]!r}")
    return {k: v for k, v in record.items() if k in fields}


def _encode_record(record: object, fields: dict[str, Check], what: str) -> bytes:
    _check_record(record, fields, what)
    return json.dumps(record, separators=(",", ":"), allow_nan=False).encode()


def _decode_record(data: object, fields: dict[str, Check], what: str) -> dict[str, JSONValue]:
    if isinstance(data, memoryview):
        data = data.tobytes()
    _need(isinstance(data, bytes | bytearray) and len(data) <= MAX_RECORD_BYTES, what,
          "bad size")
    assert isinstance(data, bytes | bytearray)
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadPayload(f"{what}: not JSON") from None
    return _check_record(record, fields, what)


def encode_progress(record: ProgressRecord) -> bytes:
    return _encode_record(record, _PROGRESS_FIELDS, "progress")


def decode_progress(data: object) -> ProgressRecord:
    return _decode_record(data, _PROGRESS_FIELDS, "progress")  # type: ignore[return-value]


def encode_heartbeat(record: Heartbeat) -> bytes:
    return _encode_record(record, _HEARTBEAT_FIELDS, "heartbeat")


def decode_heartbeat(data: object) -> Heartbeat:
    return _decode_record(data, _HEARTBEAT_FIELDS, "heartbeat")  # type: ignore[return-value]
