"""The job service: the bot's side of the queue (DESIGN.md §3, §6).  No keras.

The **job table** (SQLite, ``<LIENZO_DATA_DIR>/jobs.db``) is the source of
truth: huey forgets a job the moment a worker takes it, so a worker killed
mid-job would lose it without this table.  Each job goes::

    queued ──► running ──► done | failed | cancelled ──► delivered
      ▲           │                                   (outcome kept in `outcome`)
      └───────────┘  stale heartbeat / missing from the queue: re-enqueued,
                     same job id, up to 3 attempts; then failed (worker_lost)

- ``submit`` checks the per-user limit and the global cap, writes the row,
  stores the spec and enqueues; it returns how many queued jobs are ahead.
- ``cancel``: a queued job is revoked (and its spec removed, so no worker can
  run it); a running job gets ``cancel:<job>`` and stops within a step.
- ``poll`` (one pass of the watcher, blocking) reads ``progress:<job>`` and
  ``result:<job>`` for the active jobs, copies results into the table (so a
  Redis restart cannot lose them), runs the watchdog and housekeeping, and
  returns the events to hand to delivery.
- ``run``/``start`` (asyncio): the watcher.  Blocking calls go through
  ``asyncio.to_thread``; progress and results go to the delivery callbacks.
  A result is delivered **exactly once**: ``delivered`` is written after the
  ``on_result`` callback returns; if it raises, delivery is retried with
  back-off; a second result for the same job (a duplicate run) is dropped.
  (A crash between a successful send and that write would re-send once after
  restart: nothing is ever lost, and that window is milliseconds wide.)
- On start, jobs in flight before a restart are picked up: progress resumes,
  finished results are delivered, and running jobs get a full heartbeat
  timeout before the watchdog judges them.

Every terminal outcome - the painting, a failure with its code, or a
cancellation - reaches ``on_result`` once; the bot turns it into one answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine import queue as q
from engine.config import env_number
from engine.errors import EmptyImage, ImageTooLarge, InvalidParams, LienzoError

log = logging.getLogger("lienzo.jobs")

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
STATES = (*ACTIVE, *FINISHED, "delivered")

DEFAULT_USER_LIMIT = 3
DEFAULT_QUEUE_CAP = 100
DEFAULT_HEARTBEAT_TIMEOUT = 30.0
MAX_ATTEMPTS = 3
MAX_CONTENT_BYTES = 20 * 1024 * 1024  # Telegram's download limit for bots; decode_image's too


# --------------------------------------------------------------------------- errors


class JobError(LienzoError):
    """A request the job service refuses; ``code`` is for the bot's texts."""

    code = "job_error"


class UserLimitReached(JobError):
    code = "user_limit"

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"You already have {limit} pictures waiting; wait for one to finish.")


class QueueFull(JobError):
    code = "queue_full"

    def __init__(self, cap: int):
        self.cap = cap
        super().__init__("The painters are busy right now; please try again in a few minutes.")


class NotYourJob(JobError):
    code = "not_your_job"


class UnknownJob(JobError):
    code = "unknown_job"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Submitted:
    job_id: str
    ahead: int  # queued jobs before this one


@dataclass(frozen=True)
class Job:
    """A row of the job table, without its blobs."""

    id: str
    user_id: int
    chat_id: int
    message_id: int | None
    status_message_id: int | None
    meta: dict
    state: str
    outcome: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    cancel_requested: bool
    progress: dict | None
    worker: str | None
    created_at: float
    queued_at: float | None
    started_at: float | None
    finished_at: float | None
    delivered_at: float | None


@dataclass(frozen=True)
class Outcome:
    """How a job ended.  ``status``: done (jpeg, png, stats), failed (error_code,
    error_message) or cancelled.  ``partial``: the time limit was reached and
    the images are the best so far."""

    status: str
    jpeg: bytes | None = None
    png: bytes | None = None
    stats: dict = dataclasses.field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    partial: bool = False
    attempt: int | None = None
    worker: str | None = None
    finished: float | None = None  # worker's clock: when the result was written


@dataclass(frozen=True)
class ProgressEvent:
    job: Job
    progress: dict  # the contract's progress record
    preview: bytes | None  # a new preview JPEG, or None


@dataclass(frozen=True)
class ResultEvent:
    job: Job
    outcome: Outcome


ProgressCallback = Callable[[Job, dict, "bytes | None"], "Awaitable[None] | None"]
ResultCallback = Callable[[Job, Outcome], "Awaitable[None] | None"]


_SCHEMA = """
create table if not exists jobs (
    id text primary key,
    user_id integer not null,
    chat_id integer not null,
    message_id integer,
    status_message_id integer,
    meta text not null default '{}',
    spec blob,
    state text not null,
    outcome text,
    error_code text,
    error_message text,
    attempts integer not null default 1,
    priority integer not null default 0,
    cancel_requested integer not null default 0,
    progress text,
    preview_seq integer not null default 0,
    worker text,
    result blob,
    delivery_failures integer not null default 0,
    next_delivery_at real not null default 0,
    created_at real not null,
    queued_at real,
    started_at real,
    finished_at real,
    delivered_at real,
    heartbeat_at real,
    missing_since real,
    cleaned integer not null default 0
);
create index if not exists jobs_state on jobs (state);
create index if not exists jobs_user_state on jobs (user_id, state);
"""

_JOB_COLUMNS = ("id, user_id, chat_id, message_id, status_message_id, meta, state, outcome, "
                "error_code, error_message, attempts, cancel_requested, progress, worker, "
                "created_at, queued_at, started_at, finished_at, delivered_at")


def _job(row) -> Job:
    (id_, user_id, chat_id, message_id, status_message_id, meta, state, outcome, error_code,
     error_message, attempts, cancel_requested, progress, worker, created_at, queued_at,
     started_at, finished_at, delivered_at) = row
    return Job(id_, user_id, chat_id, message_id, status_message_id, json.loads(meta or "{}"),
               state, outcome, error_code, error_message, attempts, bool(cancel_requested),
               json.loads(progress) if progress else None, worker, created_at, queued_at,
               started_at, finished_at, delivered_at)


def _style_refs(styles) -> tuple[q.StyleRef, ...]:
    """'starry_night' | ('the_scream', 0.3) | (b'<jpeg>', 1.0) | StyleRef → StyleRef."""
    refs = []
    for s in styles:
        if isinstance(s, q.StyleRef):
            refs.append(s)
        elif isinstance(s, str):
            refs.append(q.StyleRef(id=s))
        elif isinstance(s, bytes):
            refs.append(q.StyleRef(image=s))
        else:
            what, weight = s
            refs.append(q.StyleRef(weight=float(weight), **({"id": what} if isinstance(what, str)
                                                             else {"image": bytes(what)})))
    return tuple(refs)


def _check_params(params: dict) -> dict:
    """Fail fast on parameters the worker would refuse (InvalidParams)."""
    from engine.params import StyleParams

    known = {f.name for f in dataclasses.fields(StyleParams)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidParams(f"unknown parameter(s): {', '.join(unknown)}")
    filled = {k: v for k, v in params.items() if v is not None}
    try:
        StyleParams(**filled)
    except TypeError as e:
        raise InvalidParams(f"bad parameter type ({e})") from None
    return dict(params)


class JobService:
    """The job table plus the queue.  Thread-safe; its methods block briefly (SQLite,
    the queue store), so from asyncio call them with ``asyncio.to_thread`` or use
    the ``a*`` coroutines."""

    def __init__(self, queue: q.JobQueue | None = None, db_path: str | Path | None = None, *,
                 user_limit: int | None = None, queue_cap: int | None = None,
                 heartbeat_timeout: float | None = None, missing_grace: float = 5.0,
                 max_attempts: int = MAX_ATTEMPTS, poll_interval: float = 0.25,
                 watchdog_interval: float = 1.0, cleanup_after: float = 600.0,
                 retention: float = 7 * 86400.0, validate_results: bool = True):
        self.queue = queue or q.JobQueue()
        self.db_path = Path(db_path) if db_path else q.data_dir() / "jobs.db"
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.user_limit = user_limit or env_number("LIENZO_USER_QUEUE_LIMIT",
                                                    DEFAULT_USER_LIMIT)
        self.queue_cap = queue_cap or env_number("LIENZO_QUEUE_CAP", DEFAULT_QUEUE_CAP)
        self.heartbeat_timeout = heartbeat_timeout or env_number(
            "LIENZO_HEARTBEAT_TIMEOUT", DEFAULT_HEARTBEAT_TIMEOUT, float)
        self.missing_grace = missing_grace
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        self.watchdog_interval = watchdog_interval
        self.cleanup_after = cleanup_after
        self.retention = retention
        self.validate_results = validate_results
        self.duplicates_dropped = 0
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.db_path), timeout=30, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=normal")
        self._db.executescript(_SCHEMA)
        self._last_watchdog = 0.0
        self._last_housekeeping = 0.0
        self._store_ok = True
        self._watcher: asyncio.Task | None = None
        self._stop: asyncio.Event | None = None
        self._recover()

    # -- plumbing -------------------------------------------------------------------
    @contextlib.contextmanager
    def _tx(self):
        """One write transaction (BEGIN IMMEDIATE … COMMIT) under the service lock."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            else:
                self._db.execute("commit")

    def _rows(self, sql: str, params=()) -> list:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _queue_call(self, what: str, fn, *args, **kwargs):
        """A queue-store call that must not take the service down; None on failure."""
        try:
            value = fn(*args, **kwargs)
        except Exception as e:
            if self._store_ok:
                log.warning("queue store unavailable (%s): %s: %s", what, type(e).__name__, e)
            self._store_ok = False
            return None
        if not self._store_ok:
            log.info("queue store reachable again")
            self._store_ok = True
        return value if value is not None else True

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self.queue.close()

    def _recover(self) -> None:
        """After a (re)start: give running jobs a full heartbeat timeout, re-check queued ones."""
        now = time.time()
        with self._tx() as db:
            running = db.execute("update jobs set heartbeat_at = ? where state = 'running'",
                                 (now,)).rowcount
            queued = db.execute("update jobs set missing_since = null where state = 'queued'"
                                ).rowcount
            finished = db.execute("select count(*) from jobs where state in "
                                  "('done', 'failed', 'cancelled')").fetchone()[0]
        if running or queued or finished:
            log.info("picked up %d running, %d queued and %d undelivered jobs", running, queued,
                     finished)

    # -- submitting -----------------------------------------------------------------
    def submit(self, *, user_id: int, chat_id: int, content: bytes, styles: Sequence,
               params: dict | None = None, message_id: int | None = None,
               status_message_id: int | None = None, meta: dict | None = None,
               job_id: str | None = None) -> Submitted:
        """Accept a job or raise: UserLimitReached, QueueFull, InvalidParams, image errors.

        ``styles``: catalogue ids (``"starry_night"``), ``(id, weight)``,
        ``(image_bytes, weight)`` or ``StyleRef``.  ``params``: StyleParams fields;
        size and quality may be left out (the worker picks its machine's defaults).
        Once this returns, the job will get exactly one outcome, whatever crashes.
        """
        if not content:
            raise EmptyImage("The image is empty (0 bytes).")
        if len(content) > MAX_CONTENT_BYTES:
            raise ImageTooLarge(f"The image is {len(content):,} bytes; the limit is "
                                f"{MAX_CONTENT_BYTES:,} bytes.")
        params = _check_params(params or {})
        job_id = job_id or uuid.uuid4().hex
        spec = q.JobSpec(job_id=job_id, content=bytes(content), styles=_style_refs(styles),
                         params=params, created=time.time())
        data = spec.encode()
        now = time.time()
        with self._tx() as db:
            self._check_user_limit(db, user_id)
            total = db.execute("select count(*) from jobs where state in "
                               "('queued', 'running')").fetchone()[0]
            if total >= self.queue_cap:
                raise QueueFull(self.queue_cap)
            db.execute(
                "insert into jobs (id, user_id, chat_id, message_id, status_message_id, meta, "
                "spec, state, attempts, created_at, queued_at) "
                "values (?, ?, ?, ?, ?, ?, ?, 'queued', 1, ?, ?)",
                (job_id, user_id, chat_id, message_id, status_message_id,
                 json.dumps(meta or {}), data, now, now))
            ahead = self._ahead(job_id)
        # Outside the lock.  If the store is down the row stays queued and the
        # watchdog enqueues it when the store is back: the photo is not lost.
        if self._queue_call("submitting", self._enqueue_spec, job_id, data, 1, 0) is None:
            log.warning("job %s accepted while the queue store is down; enqueued later", job_id)
        return Submitted(job_id, ahead)

    def _enqueue_spec(self, job_id: str, data: bytes, attempt: int, priority: int) -> None:
        self.queue.put(q.spec_key(job_id), data)
        self.queue.enqueue(job_id, attempt, priority)

    def _ahead(self, job_id: str) -> int | None:
        with self._lock:
            row = self._db.execute("select rowid, priority, state from jobs where id = ?",
                                   (job_id,)).fetchone()
            if row is None or row[2] != "queued":
                return None
            rowid, priority, _ = row
            return self._db.execute(
                "select count(*) from jobs where state = 'queued' and "
                "(priority > ? or (priority = ? and rowid < ?))",
                (priority, priority, rowid)).fetchone()[0]

    def position(self, job_id: str) -> int | None:
        """Queued jobs ahead of this one (None unless it is queued)."""
        return self._ahead(job_id)

    def update_meta(self, job_id: str, **values) -> None:
        with self._tx() as db:
            row = db.execute("select meta from jobs where id = ?", (job_id,)).fetchone()
            if row is None:
                raise UnknownJob(f"no job {job_id}")
            meta = dict(json.loads(row[0] or "{}"), **values)
            db.execute("update jobs set meta = ? where id = ?", (json.dumps(meta), job_id))

    # -- reading --------------------------------------------------------------------
    def status(self, job_id: str) -> Job | None:
        rows = self._rows(f"select {_JOB_COLUMNS} from jobs where id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def check_user_limit(self, user_id: int) -> None:
        """Raise UserLimitReached if the user has as many jobs waiting or running as
        allowed: the bot asks before acknowledging, ``submit`` again, atomically."""
        with self._lock:
            self._check_user_limit(self._db, user_id)

    def _check_user_limit(self, db, user_id: int) -> None:
        mine = db.execute("select count(*) from jobs where user_id = ? and state in "
                          "('queued', 'running')", (user_id,)).fetchone()[0]
        if mine >= self.user_limit:
            raise UserLimitReached(self.user_limit)

    def user_jobs(self, user_id: int, active_only: bool = True, limit: int = 20) -> list[Job]:
        states = ACTIVE if active_only else STATES
        marks = ",".join("?" * len(states))
        rows = self._rows(f"select {_JOB_COLUMNS} from jobs where user_id = ? and state in "
                          f"({marks}) order by rowid desc limit ?", (user_id, *states, limit))
        return [_job(r) for r in rows]

    def counts(self) -> dict[str, int]:
        found = dict(self._rows("select state, count(*) from jobs group by state"))
        return {state: found.get(state, 0) for state in STATES}

    def workers(self, fresh_within: float = 60.0) -> dict[str, dict]:
        """Engine workers whose heartbeat is recent (the worker's own clock)."""
        found = self._queue_call("listing workers", self.queue.workers)
        if not isinstance(found, dict):
            return {}
        now = time.time()
        return {n: w for n, w in found.items() if now - w["ts"] <= fresh_within}

    def outcome(self, job_id: str) -> Outcome | None:
        """The stored outcome of a finished, undelivered job (None otherwise)."""
        rows = self._rows("select state, result, error_code, error_message from jobs "
                          "where id = ?", (job_id,))
        if not rows or rows[0][0] not in FINISHED:
            return None
        return self._outcome(*rows[0])

    # -- cancelling -----------------------------------------------------------------
    def cancel(self, job_id: str, user_id: int | None = None) -> str:
        """'cancelled' (it was queued), 'cancelling' (running: stops within a step) or
        'finished' (too late).  Raises UnknownJob / NotYourJob.  The cancellation
        still reaches ``on_result`` (status ``cancelled``) like any outcome."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("select user_id, state, attempts from jobs where id = ?",
                             (job_id,)).fetchone()
            if row is None:
                raise UnknownJob(f"no job {job_id}")
            owner, state, attempts = row
            if user_id is not None and owner != user_id:
                raise NotYourJob("Only the person who asked for this picture can cancel it.")
            if state == "queued":
                db.execute("update jobs set state = 'cancelled', outcome = 'cancelled', "
                           "cancel_requested = 1, finished_at = ?, spec = null "
                           "where id = ?", (now, job_id))
                answer = "cancelled"
            elif state == "running":
                db.execute("update jobs set cancel_requested = 1 where id = ?", (job_id,))
                answer = "cancelling"
            else:
                return "finished"
        if answer == "cancelled":
            self._queue_call("cancelling", self._revoke, job_id, attempts)
        else:
            self._queue_call("cancelling", self.queue.set_cancel, job_id)
        return answer

    def _revoke(self, job_id: str, attempts: int) -> None:
        self.queue.set_cancel(job_id)
        self.queue.delete(q.spec_key(job_id))
        self.queue.revoke(job_id, attempts)

    # -- the watcher's pass ---------------------------------------------------------
    def poll(self, skip: Iterable[str] = ()) -> list[ProgressEvent | ResultEvent]:
        """One pass: progress, results, watchdog, housekeeping.  Blocking; returns events.

        ``skip``: job ids whose delivery is in flight (not returned again).
        """
        now = time.time()
        events: list[ProgressEvent | ResultEvent] = []
        active = self._rows("select id, state, progress, preview_seq from jobs "
                            "where state in ('queued', 'running')")
        values = None
        if active:
            keys = []
            for row in active:
                keys += [q.progress_key(row[0]), q.result_key(row[0])]
            values = self._queue_call("polling", self.queue.get_many, keys)
        if isinstance(values, dict):
            for job_id, state, progress, preview_seq in active:
                data = values.get(q.result_key(job_id))
                if data is not None:
                    self._accept_result(job_id, data)
                    continue
                record = values.get(q.progress_key(job_id))
                if record is not None:
                    event = self._apply_progress(job_id, state, progress, preview_seq, record,
                                                 now)
                    if event is not None:
                        events.append(event)
        if values is not None or not active:
            if now - self._last_watchdog >= self.watchdog_interval:
                self._last_watchdog = now
                self._watchdog(now)
        events += self._undelivered(set(skip), now)
        if now - self._last_housekeeping >= 30.0:
            self._last_housekeeping = now
            self._housekeeping(now)
        return events

    def _apply_progress(self, job_id, state, stored, preview_seq, data, now):
        try:
            record = q.decode_progress(data)
        except q.BadPayload as e:
            log.warning("job %s: ignoring bad progress record: %s", job_id, e)
            return None
        if record["job"] != job_id:
            return None
        old = json.loads(stored) if stored else None
        if old is not None and old.get("ts") == record["ts"] and old.get("state") == \
                record["state"]:
            return None  # nothing new: the worker has not written since
        # A fresh ts is a heartbeat; only a new step, state or preview is news for people.
        news = old is None or any(old.get(k) != record.get(k)
                                  for k in ("state", "step", "preview", "attempt"))
        new_state = state
        if record["state"] == "requeued":
            new_state = "queued"  # handed back by a stopping worker; it keeps its attempt
        elif state == "queued":
            new_state = "running"
        preview = None
        seq = record.get("preview", 0)
        if seq and seq != preview_seq:
            preview = self._queue_call("preview", self.queue.get, q.preview_key(job_id))
            preview = preview if isinstance(preview, bytes) else None
        with self._tx() as db:
            cur = db.execute(
                "update jobs set progress = ?, preview_seq = ?, heartbeat_at = ?, "
                "worker = ?, missing_since = null, state = ?, "
                "started_at = coalesce(started_at, case when ? = 'running' then ? end), "
                "priority = case when ? = 'requeued' then ? else priority end "
                "where id = ? and state = ?",
                (json.dumps(record), seq, now, record["worker"], new_state, new_state, now,
                 record["state"], q.RETRY_PRIORITY, job_id, state))
            if cur.rowcount == 0:
                return None
        if record["state"] not in ("starting", "running") or not news:
            return None
        job = self.status(job_id)
        return ProgressEvent(job, record, preview) if job else None

    def _accept_result(self, job_id: str, data: bytes) -> None:
        """Copy a worker's result into the table (the job becomes done/failed/cancelled)."""
        now = time.time()
        try:
            result = q.JobResult.decode(data)
            if result.job_id != job_id:
                raise q.BadPayload(f"result of {result.job_id} under {job_id}")
            if result.status == "done" and self.validate_results:
                from engine.images import decode_image

                decode_image(result.jpeg)
                decode_image(result.png, max_bytes=64 * 1024 * 1024)
            stored = data
            status, code, message = result.status, result.error_code, result.error_message
        except (q.BadPayload, LienzoError) as e:
            log.warning("job %s: unreadable result from the worker: %s", job_id, e)
            stored, status = None, "failed"
            code, message = "bad_result", "The engine sent back something unreadable."
        with self._tx() as db:
            cur = db.execute(
                "update jobs set state = ?, outcome = ?, result = ?, error_code = ?, "
                "error_message = ?, finished_at = ?, spec = null, heartbeat_at = null "
                "where id = ? and state in ('queued', 'running')",
                (status, status, stored, code, message, now, job_id))
            accepted = cur.rowcount == 1
        if not accepted:
            self.duplicates_dropped += 1
        # The result is safe in the table: clear the store, and raise the cancel flag
        # so that a duplicate run of this job (if any) stops at its next step.
        self._queue_call("cleaning up", self._finish_keys, job_id)

    def _finish_keys(self, job_id: str) -> None:
        self.queue.set_cancel(job_id, "finished")
        self.queue.purge(job_id, keep_cancel=True)

    def _watchdog(self, now: float) -> None:
        rows = self._rows("select id, state, attempts, heartbeat_at, queued_at, missing_since, "
                          "cancel_requested, spec from jobs where state in "
                          "('queued', 'running')")
        pending = None
        for job_id, state, attempts, heartbeat_at, queued_at, missing_since, cancel, spec \
                in rows:
            if state == "running":
                if heartbeat_at is None:
                    with self._tx() as db:
                        db.execute("update jobs set heartbeat_at = ? where id = ?",
                                   (now, job_id))
                elif now - heartbeat_at > self.heartbeat_timeout:
                    log.warning("job %s: no heartbeat for %.0f s (attempt %d)", job_id,
                                now - heartbeat_at, attempts)
                    self._retry(job_id, state, attempts, cancel, spec, now)
                continue
            if now - (queued_at or 0) < self.missing_grace:
                continue
            if pending is None:
                pending = self._queue_call("listing the queue", self.queue.pending)
                if not isinstance(pending, dict):
                    return
            if job_id in pending:
                if missing_since is not None:
                    with self._tx() as db:
                        db.execute("update jobs set missing_since = null where id = ?",
                                   (job_id,))
                continue
            if missing_since is None:
                with self._tx() as db:
                    db.execute("update jobs set missing_since = ? where id = ? and "
                               "state = 'queued'", (now, job_id))
            elif now - missing_since >= self.missing_grace:
                log.warning("job %s: queued but missing from the queue (attempt %d)", job_id,
                            attempts)
                self._retry(job_id, state, attempts, cancel, spec, now)

    def _retry(self, job_id, state, attempts, cancel, spec, now) -> None:
        """Re-enqueue a lost job (same id, next attempt), or end it."""
        if cancel:
            self._finish(job_id, state, "cancelled", None, None, now)
            return
        if attempts >= self.max_attempts or spec is None:
            self._finish(job_id, state, "failed", "worker_lost",
                         f"The painting could not be finished: the engine stopped "
                         f"{attempts} times while working on it.", now)
            return
        ok = self._queue_call("re-enqueueing", self._requeue, job_id, spec, attempts + 1)
        if ok is None:
            return  # store down: try again on a later pass
        with self._tx() as db:
            db.execute(
                "update jobs set state = 'queued', attempts = ?, priority = ?, queued_at = ?, "
                "heartbeat_at = null, missing_since = null, progress = null "
                "where id = ? and state = ? and attempts = ?",
                (attempts + 1, q.RETRY_PRIORITY, now, job_id, state, attempts))
        log.info("job %s: re-enqueued as attempt %d", job_id, attempts + 1)

    def _requeue(self, job_id: str, spec: bytes, attempt: int) -> None:
        self.queue.delete(q.progress_key(job_id), q.preview_key(job_id))
        self._enqueue_spec(job_id, spec, attempt, q.RETRY_PRIORITY)

    def _finish(self, job_id, state, status, code, message, now) -> None:
        with self._tx() as db:
            db.execute("update jobs set state = ?, outcome = ?, error_code = ?, "
                       "error_message = ?, finished_at = ?, spec = null, heartbeat_at = null "
                       "where id = ? and state = ?",
                       (status, status, code, message, now, job_id, state))
        self._queue_call("cleaning up", self._finish_keys, job_id)

    def _outcome(self, state, result, error_code, error_message) -> Outcome:
        if result is not None:
            r = q.JobResult.decode(result)
            return Outcome(r.status, r.jpeg, r.png, r.stats, r.error_code, r.error_message,
                           r.partial, r.attempt, r.worker, r.finished)
        return Outcome(state, error_code=error_code, error_message=error_message)

    def _undelivered(self, skip: set[str], now: float) -> list[ResultEvent]:
        ids = self._rows("select id from jobs where state in ('done', 'failed', 'cancelled') "
                         "and next_delivery_at <= ? order by finished_at", (now,))
        events = []
        for (job_id,) in ids:
            if job_id in skip:
                continue  # its delivery is in flight: do not load its images again
            rows = self._rows(f"select {_JOB_COLUMNS}, result from jobs where id = ? and "
                              "state in ('done', 'failed', 'cancelled')", (job_id,))
            if not rows:
                continue
            job = _job(rows[0][:-1])
            try:
                outcome = self._outcome(job.state, rows[0][-1], job.error_code,
                                        job.error_message)
            except q.BadPayload:  # cannot happen: checked when accepted; never block delivery
                outcome = Outcome("failed", error_code="bad_result",
                                  error_message="The engine sent back something unreadable.")
            events.append(ResultEvent(job, outcome))
        return events

    def mark_delivered(self, job_id: str) -> bool:
        """Delivery succeeded: the job is ``delivered`` (its result blob dropped)."""
        with self._tx() as db:
            cur = db.execute("update jobs set state = 'delivered', delivered_at = ?, "
                             "result = null where id = ? and state in "
                             "('done', 'failed', 'cancelled')", (time.time(), job_id))
            return cur.rowcount == 1

    def delivery_failed(self, job_id: str) -> None:
        """Delivery raised: retry later, backing off up to a minute."""
        with self._tx() as db:
            row = db.execute("select delivery_failures from jobs where id = ?",
                             (job_id,)).fetchone()
            failures = (row[0] if row else 0) + 1
            db.execute("update jobs set delivery_failures = ?, next_delivery_at = ? "
                       "where id = ?", (failures, time.time() + min(60.0, 2.0 ** failures),
                                        job_id))

    def _housekeeping(self, now: float) -> None:
        """Drop the store keys of long-finished jobs (duplicates included) and old rows."""
        rows = self._rows("select id from jobs where cleaned = 0 and state in "
                          "('done', 'failed', 'cancelled', 'delivered') and finished_at < ? "
                          "limit 500", (now - self.cleanup_after,))
        for (job_id,) in rows:
            if self._queue_call("housekeeping", self.queue.purge, job_id) is None:
                return
            with self._tx() as db:
                db.execute("update jobs set cleaned = 1 where id = ?", (job_id,))
        with self._tx() as db:
            db.execute("delete from jobs where state = 'delivered' and cleaned = 1 and "
                       "delivered_at < ?", (now - self.retention,))

    def chat_jobs(self, chat_id: int) -> list[Job]:
        """Active jobs of one chat (to cancel them when the chat is gone)."""
        marks = ",".join("?" * len(ACTIVE))
        rows = self._rows(f"select {_JOB_COLUMNS} from jobs where chat_id = ? and state in "
                          f"({marks})", (chat_id, *ACTIVE))
        return [_job(r) for r in rows]

    def stats_today(self) -> dict:
        """Jobs finished since midnight (local time): done, failed, mean engine seconds."""
        midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
        rows = self._rows("select outcome, started_at, finished_at from jobs "
                          "where finished_at >= ?", (midnight,))
        seconds = [end - start for outcome, start, end in rows
                   if outcome == "done" and start and end]
        return {"done": sum(1 for r in rows if r[0] == "done"),
                "failed": sum(1 for r in rows if r[0] == "failed"),
                "mean_s": round(sum(seconds) / len(seconds), 1) if seconds else 0}

    # -- asyncio ---------------------------------------------------------------------
    async def asubmit(self, **kwargs) -> Submitted:
        return await asyncio.to_thread(lambda: self.submit(**kwargs))

    async def acancel(self, job_id: str, user_id: int | None = None) -> str:
        return await asyncio.to_thread(self.cancel, job_id, user_id)

    async def astatus(self, job_id: str) -> Job | None:
        return await asyncio.to_thread(self.status, job_id)

    async def acheck_user_limit(self, user_id: int) -> None:
        await asyncio.to_thread(self.check_user_limit, user_id)

    async def auser_jobs(self, user_id: int, active_only: bool = True) -> list[Job]:
        return await asyncio.to_thread(self.user_jobs, user_id, active_only)

    async def aposition(self, job_id: str) -> int | None:
        return await asyncio.to_thread(self.position, job_id)

    def start(self, on_progress: ProgressCallback | None, on_result: ResultCallback
              ) -> asyncio.Task:
        """Start the watcher on the running loop (call from the bot's post_init)."""
        if self._watcher is not None and not self._watcher.done():
            raise RuntimeError("the watcher is already running")
        self._stop = asyncio.Event()
        self._watcher = asyncio.get_running_loop().create_task(
            self.run(on_progress, on_result, self._stop), name="lienzo-jobs-watcher")
        return self._watcher

    async def stop(self) -> None:
        """Stop the watcher, letting deliveries in flight finish."""
        if self._stop is not None:
            self._stop.set()
        if self._watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def run(self, on_progress: ProgressCallback | None, on_result: ResultCallback,
                  stop: asyncio.Event | None = None) -> None:
        """The watcher: poll, hand progress and results to delivery, until ``stop`` is set."""
        stop = stop or asyncio.Event()
        dispatcher = _Dispatcher(self, on_progress, on_result)
        try:
            while not stop.is_set():
                try:
                    events = await asyncio.to_thread(self.poll, dispatcher.busy())
                except Exception:
                    log.exception("job watcher pass failed")
                    events = []
                for event in events:
                    dispatcher.dispatch(event)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_interval)
        finally:
            await dispatcher.drain()


async def _call(callback, *args) -> None:
    value = callback(*args)
    if inspect.isawaitable(value):
        await value


class _Dispatcher:
    """Runs delivery callbacks as tasks: per job, progress in order and at most one in
    flight (the newest waiting one replaces older ones), and the result after the
    job's last progress call, once."""

    def __init__(self, service: JobService, on_progress, on_result):
        self.service = service
        self.on_progress = on_progress
        self.on_result = on_result
        self.progress_tasks: dict[str, asyncio.Task] = {}
        self.waiting: dict[str, ProgressEvent] = {}
        self.delivering: dict[str, asyncio.Task] = {}

    def busy(self) -> set[str]:
        return set(self.delivering)

    def dispatch(self, event) -> None:
        job_id = event.job.id
        if isinstance(event, ResultEvent):
            if job_id in self.delivering:
                return
            self.waiting.pop(job_id, None)
            self.delivering[job_id] = asyncio.get_running_loop().create_task(
                self._deliver(event))
            return
        if self.on_progress is None or job_id in self.delivering:
            return
        task = self.progress_tasks.get(job_id)
        if task is not None and not task.done():
            self.waiting[job_id] = event
            return
        self.progress_tasks[job_id] = asyncio.get_running_loop().create_task(
            self._progress(event))

    async def _progress(self, event: ProgressEvent) -> None:
        job_id = event.job.id
        while event is not None:
            try:
                await _call(self.on_progress, event.job, event.progress, event.preview)
            except Exception:
                log.exception("job %s: progress delivery failed", job_id)
            event = self.waiting.pop(job_id, None)
        self.progress_tasks.pop(job_id, None)

    async def _deliver(self, event: ResultEvent) -> None:
        job_id = event.job.id
        try:
            task = self.progress_tasks.get(job_id)
            if task is not None:
                self.waiting.pop(job_id, None)
                with contextlib.suppress(Exception):
                    await task
            try:
                await _call(self.on_result, event.job, event.outcome)
            except Exception:
                log.exception("job %s: result delivery failed; will retry", job_id)
                await asyncio.to_thread(self.service.delivery_failed, job_id)
                return
            # Sent: from here on the job must never be handed to on_result again, so
            # keep it "in flight" until the table says delivered.
            while True:
                try:
                    await asyncio.to_thread(self.service.mark_delivered, job_id)
                    break
                except Exception:
                    log.exception("job %s: cannot record the delivery; retrying", job_id)
                    await asyncio.sleep(1.0)
        finally:
            self.delivering.pop(job_id, None)

    async def drain(self, timeout: float = 30.0) -> None:
        """Let callbacks in flight finish; a delivery still running after ``timeout``
        is abandoned (not marked delivered, so it is sent again after a restart)."""
        tasks = [*self.progress_tasks.values(), *self.delivering.values()]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
