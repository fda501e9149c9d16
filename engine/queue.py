"""The queue contract between the bot and the engine workers (DESIGN.md §3).

This module imports no keras (the bot imports it; a test checks).  It holds:

- ``make_huey(url)``: the huey instance from ``LIENZO_QUEUE_URL`` -
  ``sqlite:///path`` → ``SqliteHuey`` (default ``<LIENZO_DATA_DIR>/queue.db``),
  ``redis://host:port/db`` (or ``rediss://``) → ``PriorityRedisHuey``;
  anything else is a ``QueueConfigError`` at start-up.  Immediate mode is never
  used: ``make_huey`` refuses an instance that has it on.
- the task: ``paint(job_id, attempt)``.  Its message is tiny; the job itself
  (photo bytes, styles, parameters) lives under ``spec:<job>`` in huey's
  key-value store, so the queue can be listed cheaply and a job whose spec is
  gone (cancelled, finished) is skipped by the worker.
- the keys (names are the contract)::

      spec:<job>      JobSpec container (JSON header + image bytes), written by the bot
      progress:<job>  JSON {state, step, steps, fraction, eta_s, loss, worker, ts, ...}
      preview:<job>   a small JPEG
      cancel:<job>    flag (JSON {ts, reason})
      result:<job>    JobResult container (JSON header + JPEG + PNG)
      worker:<name>   JSON heartbeat {ts, device, backend, current_job, ...}

- the schemas: ``JobSpec`` and ``JobResult`` are bytes (a small binary
  container: magic, JSON header, raw blobs), validated on read; progress and
  heartbeats are JSON.  The only pickles are huey's own task messages, read
  with an unpickler that accepts nothing but huey's ``Message`` tuple and
  ``datetime``: a hostile message cannot run code.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey
from huey.constants import EmptyData
from huey.serializer import Serializer

from engine.errors import LienzoError

QUEUE_NAME = "lienzo"
TASK_NAME = "engine.queue.paint"  # huey's registry name: <module>.<function>

#: The worker writes progress at least this often; it doubles as the job's heartbeat.
PROGRESS_INTERVAL_S = 1.0
#: Longest wait between two looks at the queue when it is empty.
POLL_INTERVAL_S = 0.25
#: Priority of a re-enqueued or handed-back job: it keeps its place at the front.
RETRY_PRIORITY = 10

MAX_STYLES = 8
MAX_BLOB_BYTES = 64 * 1024 * 1024  # a hard sanity cap; decode_image enforces the real 20 MB
MAX_HEADER_BYTES = 256 * 1024
JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
WORKER_NAME_RE = re.compile(r"[A-Za-z0-9_.@:-]{1,128}")
STYLE_ID_RE = re.compile(r"[A-Za-z0-9_ .'-]{1,64}")

PROGRESS_STATES = ("starting", "running", "finishing", "requeued")
RESULT_STATUSES = ("done", "failed", "cancelled")

_SPEC_MAGIC = b"LZS1"
_RESULT_MAGIC = b"LZR1"


class QueueConfigError(LienzoError):
    """``LIENZO_QUEUE_URL`` names something we cannot use."""

    code = "queue_config"


class QueueUnavailable(LienzoError):
    """The queue store (Redis) cannot be reached."""

    code = "queue_unavailable"


class BadPayload(LienzoError):
    """Bytes read from the queue that do not follow the schema."""

    code = "bad_job"


# --------------------------------------------------------------------------- configuration


def data_dir() -> Path:
    """``$LIENZO_DATA_DIR`` (default ``./data``); same rule as engine.styles.data_dir."""
    return Path(os.environ.get("LIENZO_DATA_DIR", "").strip() or "data").expanduser()


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'queue.db'}"


def queue_url() -> str:
    """``$LIENZO_QUEUE_URL``, or the SQLite file in the data dir."""
    return os.environ.get("LIENZO_QUEUE_URL", "").strip() or default_url()


def redact(url: str) -> str:
    """The URL with any password replaced, for logs and error messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def sqlite_path(url: str) -> Path:
    """``sqlite:///data/queue.db`` → ``data/queue.db``; ``sqlite:////abs/q.db`` → ``/abs/q.db``.

    The SQLAlchemy convention: what follows ``sqlite:///`` is the path, so an
    absolute path has four slashes (``sqlite:///`` + ``/var/lib/...``).
    """
    path = url[len("sqlite:///"):]
    if not url.startswith("sqlite:///") or not path or path.endswith("/"):
        raise QueueConfigError(
            f"LIENZO_QUEUE_URL={url!r}: a SQLite queue is sqlite:///PATH/TO/queue.db "
            "(four slashes for an absolute path: sqlite:////var/lib/lienzo/queue.db)."
        )
    return Path(path).expanduser()


class SafeSerializer(Serializer):
    """huey's pickle serializer, minus the ability to run code.

    huey pickles its task messages (a namedtuple) and revocation flags.  This
    unpickler resolves only the few globals those contain, so a message
    planted in Redis by someone else cannot import and call anything.
    """

    ALLOWED = frozenset({
        ("huey.registry", "Message"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
    })

    class _Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) in SafeSerializer.ALLOWED:
                return super().find_class(module, name)
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")

    def _deserialize(self, data):
        import io

        return self._Unpickler(io.BytesIO(data)).load()


def make_huey(url: str | None = None) -> Huey:
    """The huey instance for ``url`` (default: ``queue_url()``), with the task registered."""
    url = url or queue_url()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        path = sqlite_path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise QueueConfigError(f"LIENZO_QUEUE_URL: cannot create {path.parent}: {e}") from e
        huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False,
                          serializer=SafeSerializer(), timeout=30)
    elif scheme in ("redis", "rediss"):
        parts = urlsplit(url)
        db = parts.path.lstrip("/")
        if not parts.hostname or (db and not db.isdigit()):
            raise QueueConfigError(
                f"LIENZO_QUEUE_URL={redact(url)!r}: a Redis queue is redis://HOST:PORT/DB, "
                "e.g. redis://localhost:6379/0."
            )
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as e:
            raise QueueConfigError(f"LIENZO_QUEUE_URL={redact(url)!r}: {e}") from e
        # Blocking pop with a 1 s timeout: a job is picked up as soon as it is
        # enqueued, and a worker looks at its stop flag at least every second.
        from redis import ConnectionPool

        # Timeouts so that a Redis that vanished from the network fails a call in
        # seconds instead of hanging the bot's watcher or a worker for minutes.
        pool = ConnectionPool.from_url(url, socket_connect_timeout=5, socket_timeout=15,
                                       health_check_interval=30)
        huey = PriorityRedisHuey(QUEUE_NAME, connection_pool=pool, results=False,
                                 blocking=True, read_timeout=1, serializer=SafeSerializer())
    else:
        raise QueueConfigError(
            f"LIENZO_QUEUE_URL={redact(url)!r} is not supported: use sqlite:///PATH "
            "(one machine, the default) or redis://HOST:PORT/DB (several machines)."
        )
    if huey.immediate:  # pragma: no cover - huey's default is off; never run jobs in-process
        raise QueueConfigError("huey immediate mode is not supported: jobs run in workers.")
    huey.task(name="paint")(paint)
    return huey


def paint(job_id: str, attempt: int):
    """The queue's one task.  ``lienzo worker`` reads its arguments and runs the job
    (engine/worker.py); it is registered only to give messages a name, and is
    never executed by huey's own consumer."""
    raise RuntimeError("Lienzo jobs are run by `lienzo worker`, not by huey_consumer.")


# --------------------------------------------------------------------------- keys


def _job_key(prefix: str, job_id: str) -> str:
    check_job_id(job_id)
    return f"{prefix}:{job_id}"


def spec_key(job_id: str) -> str:
    return _job_key("spec", job_id)


def progress_key(job_id: str) -> str:
    return _job_key("progress", job_id)


def preview_key(job_id: str) -> str:
    return _job_key("preview", job_id)


def cancel_key(job_id: str) -> str:
    return _job_key("cancel", job_id)


def result_key(job_id: str) -> str:
    return _job_key("result", job_id)


def worker_key(name: str) -> str:
    if not WORKER_NAME_RE.fullmatch(name or ""):
        raise BadPayload(f"bad worker name {name!r}")
    return f"worker:{name}"


def job_keys(job_id: str) -> list[str]:
    """Every key a job may own (for cleaning up)."""
    return [k(job_id) for k in (spec_key, progress_key, preview_key, cancel_key, result_key)]


def task_id(job_id: str, attempt: int) -> str:
    return f"{job_id}.{attempt}"


def check_job_id(job_id) -> str:
    if not isinstance(job_id, str) or not JOB_ID_RE.fullmatch(job_id):
        raise BadPayload(f"bad job id {job_id!r}")
    return job_id


# --------------------------------------------------------------------------- containers


def _pack(magic: bytes, header: dict, blobs: list[bytes]) -> bytes:
    header = dict(header, blobs=[len(b) for b in blobs])
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    return b"".join([magic, struct.pack(">I", len(head)), head, *blobs])


def _unpack(magic: bytes, data, what: str) -> tuple[dict, list[bytes]]:
    if isinstance(data, memoryview):
        data = data.tobytes()
    if not isinstance(data, bytes | bytearray) or len(data) < 8 or data[:4] != magic:
        raise BadPayload(f"{what}: not a Lienzo {what} (bad magic)")
    (n,) = struct.unpack(">I", data[4:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise BadPayload(f"{what}: header length {n} out of range")
    try:
        header = json.loads(bytes(data[8:8 + n]))
    except (ValueError, UnicodeDecodeError) as e:
        raise BadPayload(f"{what}: header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise BadPayload(f"{what}: header is not an object")
    sizes = header.get("blobs")
    if not isinstance(sizes, list) or not all(_is_int(s) and 0 <= s <= MAX_BLOB_BYTES
                                               for s in sizes):
        raise BadPayload(f"{what}: bad blob table")
    if 8 + n + sum(sizes) != len(data):
        raise BadPayload(f"{what}: blob sizes do not add up to the payload length")
    blobs, at = [], 8 + n
    for size in sizes:
        blobs.append(bytes(data[at:at + size]))
        at += size
    return header, blobs


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _need(ok: bool, what: str, message: str):
    if not ok:
        raise BadPayload(f"{what}: {message}")


@dataclass(frozen=True)
class StyleRef:
    """One style of a blend: a catalogue id, or the bytes of the user's own painting."""

    weight: float = 1.0
    id: str | None = None
    image: bytes | None = None

    def __post_init__(self):
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
    """What the bot asks of a worker.  ``params`` are StyleParams fields (JSON values)."""

    job_id: str
    content: bytes
    styles: tuple[StyleRef, ...]
    params: dict = field(default_factory=dict)
    created: float = 0.0

    def __post_init__(self):
        check_job_id(self.job_id)
        _need(isinstance(self.content, bytes) and len(self.content) <= MAX_BLOB_BYTES, "spec",
              "content must be bytes")
        _need(1 <= len(self.styles) <= MAX_STYLES, "spec", f"1 to {MAX_STYLES} styles")
        _need(isinstance(self.params, dict), "spec", "params must be an object")
        for k, v in self.params.items():
            _need(isinstance(k, str) and k.isidentifier() and not k.startswith("_")
                  and len(k) <= 40, "spec",
                  f"bad parameter name {k!r}")
            _need(v is None or isinstance(v, str | bool) or _is_num(v), "spec",
                  f"parameter {k} must be a number, text, true/false or null")
            _need(not isinstance(v, str) or len(v) <= 64, "spec", f"parameter {k} too long")

    def encode(self) -> bytes:
        blobs = [self.content]
        styles = []
        for s in self.styles:
            if s.id is not None:
                styles.append({"id": s.id, "weight": s.weight})
            else:
                styles.append({"image": len(blobs), "weight": s.weight})
                blobs.append(s.image)
        header = {"v": 1, "kind": "spec", "job": self.job_id, "created": self.created,
                  "content": 0, "styles": styles, "params": self.params}
        return _pack(_SPEC_MAGIC, header, blobs)

    @classmethod
    def decode(cls, data) -> JobSpec:
        header, blobs = _unpack(_SPEC_MAGIC, data, "spec")
        _need(header.get("v") == 1 and header.get("kind") == "spec", "spec", "unknown version")
        _need(header.get("content") == 0 and len(blobs) >= 1, "spec", "no content image")
        raw_styles = header.get("styles")
        _need(isinstance(raw_styles, list), "spec", "styles must be a list")
        styles = []
        for s in raw_styles:
            _need(isinstance(s, dict) and set(s) <= {"id", "image", "weight"}, "spec",
                  "bad style entry")
            image = s.get("image")
            if image is not None:
                _need(_is_int(image) and 1 <= image < len(blobs), "spec", "bad style image index")
                image = blobs[image]
            styles.append(StyleRef(weight=s.get("weight", 1.0), id=s.get("id"), image=image))
        created = header.get("created", 0.0)
        _need(_is_num(created), "spec", "bad created time")
        return cls(job_id=header.get("job"), content=blobs[0], styles=tuple(styles),
                   params=header.get("params", {}), created=float(created))


@dataclass(frozen=True)
class JobResult:
    """What a worker answers.  ``status`` is done (jpeg, png, stats), failed
    (error_code, error_message) or cancelled.  ``partial``: the time budget ran
    out and the images are the best so far."""

    job_id: str
    attempt: int
    status: str
    worker: str = ""
    jpeg: bytes | None = None
    png: bytes | None = None
    stats: dict = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    partial: bool = False
    finished: float = 0.0

    def __post_init__(self):
        check_job_id(self.job_id)
        _need(_is_int(self.attempt) and 1 <= self.attempt <= 1000, "result", "bad attempt")
        _need(self.status in RESULT_STATUSES, "result", f"bad status {self.status!r}")
        _need(isinstance(self.stats, dict), "result", "stats must be an object")
        _need(isinstance(self.worker, str) and len(self.worker) <= 128, "result", "bad worker")
        _need(_is_num(self.finished), "result", "bad finished time")
        if self.status == "done":
            _need(bool(self.jpeg) and bool(self.png), "result", "done without images")
        if self.status == "failed":
            _need(isinstance(self.error_code, str) and bool(self.error_code)
                  and len(self.error_code) <= 64, "result", "failed without an error code")
            _need(isinstance(self.error_message, str) and len(self.error_message) <= 2000,
                  "result", "failed without a message")

    def encode(self) -> bytes:
        blobs, images = [], {}
        for name in ("jpeg", "png"):
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
        return _pack(_RESULT_MAGIC, header, blobs)

    @classmethod
    def decode(cls, data) -> JobResult:
        header, blobs = _unpack(_RESULT_MAGIC, data, "result")
        _need(header.get("v") == 1 and header.get("kind") == "result", "result",
              "unknown version")
        images = header.get("images", {})
        _need(isinstance(images, dict) and set(images) <= {"jpeg", "png"}, "result",
              "bad image table")
        got = {}
        for name, index in images.items():
            _need(_is_int(index) and 0 <= index < len(blobs), "result", "bad image index")
            got[name] = blobs[index]
        error = header.get("error")
        _need(error is None or (isinstance(error, dict) and set(error) <= {"code", "message"}),
              "result", "bad error")
        error = error or {}
        _need(isinstance(header.get("partial", False), bool), "result", "bad partial flag")
        return cls(job_id=header.get("job"), attempt=header.get("attempt"),
                   status=header.get("status"), worker=header.get("worker", ""),
                   jpeg=got.get("jpeg"), png=got.get("png"), stats=header.get("stats", {}),
                   error_code=error.get("code"), error_message=error.get("message"),
                   partial=header.get("partial", False), finished=header.get("finished", 0.0))


# --------------------------------------------------------------------------- JSON records

_PROGRESS_FIELDS = {
    # name: (required, check)
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
    "preview": (False, lambda v: _is_int(v) and v >= 0),  # preview sequence number
}

_HEARTBEAT_FIELDS = {
    "ts": (True, _is_num),
    "device": (True, lambda v: isinstance(v, str) and len(v) <= 200),
    "backend": (True, lambda v: isinstance(v, str) and len(v) <= 40),
    "current_job": (True, lambda v: v is None or (isinstance(v, str)
                                                  and bool(JOB_ID_RE.fullmatch(v)))),
    "name": (False, lambda v: isinstance(v, str) and len(v) <= 128),
    "state": (False, lambda v: v in ("warming", "idle", "busy", "stopping", "stopped")),
    "pid": (False, _is_int),
    "host": (False, lambda v: isinstance(v, str) and len(v) <= 255),
    "started": (False, _is_num),
    "jobs_done": (False, _is_int),
}


def _encode_record(record: dict, fields: dict, what: str) -> bytes:
    _check_record(record, fields, what)
    return json.dumps(record, separators=(",", ":"), allow_nan=False).encode()


def _check_record(record, fields: dict, what: str) -> dict:
    _need(isinstance(record, dict), what, "not an object")
    for name, (required, check) in fields.items():
        if name not in record:
            _need(not required, what, f"missing {name}")
            continue
        _need(check(record[name]), what, f"bad {name}: {record[name]!r}")
    return record


def _decode_record(data, fields: dict, what: str) -> dict:
    if isinstance(data, memoryview):
        data = data.tobytes()
    _need(isinstance(data, bytes | bytearray) and len(data) <= 64 * 1024, what, "bad size")
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadPayload(f"{what}: not JSON") from None
    record = _check_record(record, fields, what)
    return {k: v for k, v in record.items() if k in fields}


def encode_progress(record: dict) -> bytes:
    return _encode_record(record, _PROGRESS_FIELDS, "progress")


def decode_progress(data) -> dict:
    return _decode_record(data, _PROGRESS_FIELDS, "progress")


def encode_heartbeat(record: dict) -> bytes:
    return _encode_record(record, _HEARTBEAT_FIELDS, "heartbeat")


def decode_heartbeat(data) -> dict:
    return _decode_record(data, _HEARTBEAT_FIELDS, "heartbeat")


# --------------------------------------------------------------------------- the client


@dataclass(frozen=True)
class Taken:
    """A message a worker took off the queue."""

    job_id: str
    attempt: int
    priority: int = 0


class JobQueue:
    """The queue and its key-value store, in the contract's terms (both sides use it).

    Values are stored raw (bytes) with ``huey.storage``: nothing here goes
    through pickle except huey's own task messages.
    """

    def __init__(self, url: str | None = None, huey: Huey | None = None):
        self.url = url or queue_url()
        self.huey = huey or make_huey(self.url)
        self.storage = self.huey.storage
        self.backend = "sqlite" if isinstance(self.huey, SqliteHuey) else "redis"
        self._paint = self.huey._registry.string_to_task(TASK_NAME)

    def __repr__(self):
        return f"JobQueue({redact(self.url)!r})"

    def ping(self) -> None:
        """Raise QueueUnavailable if the store cannot be reached."""
        try:
            self.storage.queue_size()
        except Exception as e:
            raise QueueUnavailable(f"queue {redact(self.url)} unreachable: {e}") from e

    def close(self) -> None:
        try:
            if self.backend == "redis":
                self.storage.pool.disconnect()
            else:
                self.storage.close()
        except Exception:  # pragma: no cover - best effort
            pass

    # -- the queue -----------------------------------------------------------------
    def enqueue(self, job_id: str, attempt: int, priority: int = 0) -> None:
        check_job_id(job_id)
        task = self._paint(args=(job_id, int(attempt)), id=task_id(job_id, attempt),
                           priority=priority or None)
        self.huey.enqueue(task)

    def submit(self, spec: JobSpec, attempt: int = 1, priority: int = 0) -> None:
        """Store the spec, then enqueue (the order matters: a worker needs the spec)."""
        self.put(spec_key(spec.job_id), spec.encode())
        self.enqueue(spec.job_id, attempt, priority)

    def revoke(self, job_id: str, attempt: int) -> None:
        self.huey.revoke_by_id(task_id(job_id, attempt), revoke_once=True)

    def take(self) -> Taken | None:
        """Pop one message (Redis: waits up to 1 s; SQLite: returns at once).

        A message that is not ours, or does not follow the schema, is dropped
        with BadPayload (it has already left the queue).  A revoked one is
        dropped silently (None).
        """
        data = self.storage.dequeue()
        if data is None:
            return None
        try:
            task = self.huey.deserialize_task(data)
        except Exception as e:
            raise BadPayload(f"unreadable queue message ({type(e).__name__}: {e})") from None
        args = getattr(task, "args", None)
        if not isinstance(task, self._paint) or not isinstance(args, tuple) or len(args) != 2:
            raise BadPayload(f"unexpected task {getattr(task, 'name', task)!r}")
        job_id, attempt = args
        check_job_id(job_id)
        _need(_is_int(attempt) and 1 <= attempt <= 1000, "message", "bad attempt")
        if self.huey.is_revoked(task, peek=False):
            return None
        return Taken(job_id, attempt, task.priority or 0)

    def pending(self) -> dict[str, set[int]]:
        """Jobs waiting in the queue: job id → attempts (unreadable messages skipped)."""
        found: dict[str, set[int]] = {}
        for data in self.storage.enqueued_items():
            try:
                task = self.huey.deserialize_task(data)
                job_id, attempt = task.args
            except Exception:
                continue
            if isinstance(job_id, str):
                found.setdefault(job_id, set()).add(attempt)
        return found

    def pending_count(self) -> int:
        return self.storage.queue_size()

    # -- the key-value store ------------------------------------------------------
    def put(self, key: str, value: bytes) -> None:
        self.storage.put_data(key, value)

    def get(self, key: str) -> bytes | None:
        value = self.storage.peek_data(key)
        if value is EmptyData:
            return None
        return value.tobytes() if isinstance(value, memoryview) else bytes(value)

    def get_many(self, keys: Iterable[str], chunk: int = 400) -> dict[str, bytes]:
        keys = list(keys)
        found: dict[str, bytes] = {}
        for i in range(0, len(keys), chunk):
            part = self.storage.peek_many(keys[i:i + chunk])
            for k, v in part.items():
                k = k.decode() if isinstance(k, bytes) else k
                found[k] = v.tobytes() if isinstance(v, memoryview) else bytes(v)
        return found

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        if self.backend == "redis":
            self.storage.conn.hdel(self.storage.result_key, *keys)
        else:
            marks = ",".join("?" * len(keys))
            self.storage.sql(f"delete from kv where queue = ? and key in ({marks})",
                             (self.storage.name, *keys), commit=True)

    # -- typed helpers -------------------------------------------------------------
    def get_spec(self, job_id: str) -> JobSpec | None:
        data = self.get(spec_key(job_id))
        return None if data is None else JobSpec.decode(data)

    def put_result(self, result: JobResult) -> None:
        self.put(result_key(result.job_id), result.encode())

    def get_result(self, job_id: str) -> JobResult | None:
        data = self.get(result_key(job_id))
        return None if data is None else JobResult.decode(data)

    def put_progress(self, record: dict) -> None:
        self.put(progress_key(record["job"]), encode_progress(record))

    def get_progress(self, job_id: str) -> dict | None:
        data = self.get(progress_key(job_id))
        return None if data is None else decode_progress(data)

    def set_cancel(self, job_id: str, reason: str = "user") -> None:
        flag = json.dumps({"ts": time.time(), "reason": reason[:40]}).encode()
        self.put(cancel_key(job_id), flag)

    def is_cancelled(self, job_id: str) -> bool:
        return self.storage.has_data_for_key(cancel_key(job_id))

    def put_heartbeat(self, name: str, record: dict) -> None:
        self.put(worker_key(name), encode_heartbeat(record))

    def workers(self) -> dict[str, dict]:
        """Every ``worker:<name>`` heartbeat (stale ones included; look at ``ts``)."""
        if self.backend == "sqlite":
            rows = self.storage.sql(
                "select key, value from kv where queue = ? and key like 'worker:%'",
                (self.storage.name,), results=True)
        else:
            rows = self.storage.conn.hscan_iter(self.storage.result_key, match="worker:*")
        found = {}
        for key, value in rows:
            key = key.decode() if isinstance(key, bytes) else key
            try:
                found[key.split(":", 1)[1]] = decode_heartbeat(value)
            except BadPayload:
                continue
        return found

    def delete_worker(self, name: str) -> None:
        self.delete(worker_key(name))

    def purge(self, job_id: str, keep_cancel: bool = False) -> None:
        """Remove a job's keys (all of them, or all but the cancel flag)."""
        keys = job_keys(job_id)
        if keep_cancel:
            keys.remove(cancel_key(job_id))
        else:  # huey's revocation flags of messages no worker will ever take
            keys += [f"r:{task_id(job_id, n)}" for n in range(1, 11)]
        self.delete(*keys)
