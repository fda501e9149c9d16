"""``JobQueue``: the one door to the queue (docs/architecture.md, "The queue contract").

The bot and the workers both go through these methods; nothing else reads or
writes the store's keys.  Each method says who calls it.  Payloads are
validated on the way out and on the way in (``engine.queue.payloads``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from huey.api import Huey

from engine.queue import keys
from engine.queue.payloads import (
    MAX_ATTEMPT,
    BadPayload,
    Heartbeat,
    JobResult,
    JobSpec,
    ProgressRecord,
    check_job_id,
    decode_heartbeat,
    decode_progress,
    encode_heartbeat,
    encode_progress,
)
from engine.queue.store import TASK_NAME, KeyValue, QueueUnavailable, make_huey, redact

#: The worker writes progress at least this often; it doubles as the job's heartbeat.
PROGRESS_INTERVAL_S = 1.0
#: Longest wait between two looks at the queue when it is empty.
POLL_INTERVAL_S = 0.25
#: Priorities (huey's: the higher, the sooner; equal ones in order of arrival).  A
#: re-enqueued or handed-back job keeps its place at the front.  A print (``JobSpec.is_print``:
#: up to 30 minutes of a worker) waits behind every ordinary painting, so prints never starve
#: them; a lost print goes back to the front of the prints.
RETRY_PRIORITY = 10
PAINTING_PRIORITY = 0
PRINT_RETRY_PRIORITY = -5
PRINT_PRIORITY = -10


def priority_of(spec: JobSpec) -> int:
    """A new job's priority: a print's below every painting's."""
    return PRINT_PRIORITY if spec.is_print else PAINTING_PRIORITY


def retry_priority(priority: int) -> int:
    """The priority a job taken at ``priority`` goes back with (requeued, handed back):
    the front of its kind (prints are the ones below a painting's)."""
    return PRINT_RETRY_PRIORITY if priority < PAINTING_PRIORITY else RETRY_PRIORITY


@dataclass(frozen=True)
class Taken:
    """A message a worker took off the queue."""

    job_id: str
    attempt: int
    priority: int = 0


@dataclass(frozen=True)
class Report:
    """What the store holds for one active job, decoded.  A record that does not
    follow the schema is reported in ``bad_progress`` / ``bad_result`` instead."""

    progress: ProgressRecord | None = None
    result: JobResult | None = None
    bad_progress: str | None = None
    bad_result: str | None = None


class JobQueue:
    """The queue and its key-value store, in the contract's terms."""

    def __init__(self, url: str, huey: Huey | None = None) -> None:
        self.url = url
        self.huey = huey or make_huey(url)
        self._kv = KeyValue(self.huey)
        self._paint = self.huey._registry.string_to_task(TASK_NAME)

    def __repr__(self) -> str:
        return f"JobQueue({redact(self.url)!r})"

    @staticmethod
    def check_worker_name(name: str) -> None:
        """Raise BadPayload unless ``name`` can name a worker's heartbeat."""
        keys.worker_key(name)

    @property
    def take_waits(self) -> bool:
        """Whether ``take`` waits for a message (Redis) or returns at once (SQLite)."""
        return self._kv.is_redis

    def ping(self) -> None:
        """Raise QueueUnavailable if the store cannot be reached."""
        try:
            self.huey.storage.queue_size()
        except Exception as e:
            raise QueueUnavailable(f"queue {redact(self.url)} unreachable: {e}") from e

    def close(self) -> None:
        try:
            self._kv.close()
        except Exception:  # pragma: no cover - best effort at shutdown
            pass

    # -- the bot's side --------------------------------------------------------------
    def submit(self, spec: JobSpec, attempt: int = 1, priority: int | None = None) -> None:
        """Store the spec, then enqueue (in that order: a worker needs the spec).
        ``priority``: None is the spec's own (``priority_of``: a print's is lower)."""
        self._kv.put(keys.spec_key(spec.job_id), spec.encode())
        self._enqueue(spec.job_id, attempt,
                      priority_of(spec) if priority is None else priority)

    def requeue(self, spec: JobSpec, attempt: int) -> None:
        """A lost job, again: its old progress gone, at the front of the queue (a
        print: at the front of the prints)."""
        self._kv.delete(keys.progress_key(spec.job_id), keys.preview_key(spec.job_id))
        self.submit(spec, attempt, retry_priority(priority_of(spec)))

    def withdraw(self, job_id: str, attempt: int) -> None:
        """Cancel a queued job: no worker will run it (flag, spec gone, message revoked)."""
        self.request_cancel(job_id)
        self._kv.delete(keys.spec_key(job_id))
        self.huey.revoke_by_id(keys.task_id(job_id, attempt), revoke_once=True)

    def request_cancel(self, job_id: str, reason: str = "user") -> None:
        """Ask the worker running this job to stop (it looks every 0.1 s)."""
        flag = json.dumps({"ts": time.time(), "reason": reason[:40]}).encode()
        self._kv.put(keys.cancel_key(job_id), flag)

    def reports(self, job_ids: Iterable[str]) -> dict[str, Report]:
        """The newest progress and the result of each job that has either, in one read."""
        wanted = list(job_ids)
        values = self._kv.get_many(k for j in wanted
                                   for k in (keys.progress_key(j), keys.result_key(j)))
        found: dict[str, Report] = {}
        for job_id in wanted:
            progress_data = values.get(keys.progress_key(job_id))
            result_data = values.get(keys.result_key(job_id))
            if progress_data is None and result_data is None:
                continue
            progress = result = None
            bad_progress = bad_result = None
            if progress_data is not None:
                try:
                    progress = decode_progress(progress_data)
                    if progress["job"] != job_id:
                        raise BadPayload(f"progress of {progress['job']} under {job_id}")
                except BadPayload as e:
                    progress, bad_progress = None, str(e)
            if result_data is not None:
                try:
                    result = JobResult.decode(result_data)
                    if result.job_id != job_id:
                        raise BadPayload(f"result of {result.job_id} under {job_id}")
                except BadPayload as e:
                    result, bad_result = None, str(e)
            found[job_id] = Report(progress, result, bad_progress, bad_result)
        return found

    def preview(self, job_id: str) -> bytes | None:
        """The newest preview JPEG of a running job."""
        return self._kv.get(keys.preview_key(job_id))

    def retire(self, job_id: str) -> None:
        """The bot has the job's outcome safe: drop its keys, but raise the cancel flag
        so that a duplicate run (if any) stops at its next step."""
        self.request_cancel(job_id, "finished")
        self._kv.delete(*(k for k in keys.job_keys(job_id) if k != keys.cancel_key(job_id)))

    def forget(self, job_id: str) -> None:
        """Remove every trace of a long-finished job (flags included)."""
        self._kv.delete(*keys.job_keys(job_id), *keys.revocation_keys(job_id))

    def pending(self) -> dict[str, set[int]]:
        """Jobs waiting in the queue: job id → attempts (unreadable messages skipped)."""
        found: dict[str, set[int]] = {}
        for data in self.huey.storage.enqueued_items():
            try:
                job_id, attempt = self.huey.deserialize_task(data).args
            except Exception:
                continue
            if isinstance(job_id, str):
                found.setdefault(job_id, set()).add(attempt)
        return found

    def pending_count(self) -> int:
        return int(self.huey.storage.queue_size())

    def workers(self) -> dict[str, Heartbeat]:
        """Every worker's heartbeat, stale ones included (look at ``ts``)."""
        found: dict[str, Heartbeat] = {}
        for key, value in self._kv.scan(keys.WORKER_PREFIX):
            try:
                found[key[len(keys.WORKER_PREFIX):]] = decode_heartbeat(value)
            except BadPayload:
                continue
        return found

    # -- the worker's side -----------------------------------------------------------
    def take(self) -> Taken | None:
        """Pop one message (Redis: waits up to 1 s; SQLite: returns at once).

        A message that is not ours, or does not follow the schema, is dropped
        with BadPayload (it has already left the queue).  A revoked one is
        dropped silently (None).
        """
        data = self.huey.storage.dequeue()
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
        if not (isinstance(attempt, int) and 1 <= attempt <= MAX_ATTEMPT):
            raise BadPayload(f"message: bad attempt {attempt!r}")
        if self.huey.is_revoked(task, peek=False):
            return None
        return Taken(job_id, attempt, task.priority or 0)

    def get_spec(self, job_id: str) -> JobSpec | None:
        """The job's spec; None once it is cancelled or finished.  Raises BadPayload."""
        data = self._kv.get(keys.spec_key(job_id))
        if data is None:
            return None
        spec = JobSpec.decode(data)
        if spec.job_id != job_id:
            raise BadPayload(f"spec of {spec.job_id} stored under {job_id}")
        return spec

    def has_result(self, job_id: str) -> bool:
        return self._kv.has(keys.result_key(job_id))

    def is_cancelled(self, job_id: str) -> bool:
        return self._kv.has(keys.cancel_key(job_id))

    def put_progress(self, record: ProgressRecord) -> None:
        self._kv.put(keys.progress_key(record["job"]), encode_progress(record))

    def put_preview(self, job_id: str, jpeg: bytes) -> None:
        self._kv.put(keys.preview_key(job_id), jpeg)

    def put_result(self, result: JobResult) -> None:
        self._kv.put(keys.result_key(result.job_id), result.encode())

    def hand_back(self, job_id: str, attempt: int, progress: ProgressRecord | None,
                  priority: int = PAINTING_PRIORITY) -> None:
        """A stopping worker returns its job, taken at ``priority``, to the front of the
        queue (a print: of the prints), same attempt."""
        if progress is not None:
            self.put_progress(progress)
        self._enqueue(job_id, attempt, retry_priority(priority))

    def put_heartbeat(self, name: str, record: Heartbeat) -> None:
        self._kv.put(keys.worker_key(name), encode_heartbeat(record))

    def delete_worker(self, name: str) -> None:
        self._kv.delete(keys.worker_key(name))

    # -- tools ----------------------------------------------------------------------
    def clear(self) -> None:
        """Empty the store: every queued message, key and record (a benchmark's
        round starts clean; never the product's)."""
        self.huey.flush()

    def _enqueue(self, job_id: str, attempt: int, priority: int) -> None:
        check_job_id(job_id)
        task = self._paint(args=(job_id, int(attempt)), id=keys.task_id(job_id, attempt),
                           priority=priority or None)
        self.huey.enqueue(task)
