"""The queue store's key names: the contract's vocabulary (docs/architecture.md,
"The queue contract").  Only ``engine.queue.client`` builds keys from these.

::

    spec:<job>      JobSpec container (JSON header + image bytes), written by the bot
    progress:<job>  JSON progress record, written by the worker every second (its heartbeat)
    preview:<job>   a small JPEG of the picture so far
    cancel:<job>    flag (JSON {ts, reason}): stop this job
    result:<job>    JobResult container (JSON header + JPEG + PNG)
    worker:<name>   JSON heartbeat of one engine worker
"""

from __future__ import annotations

import re

from engine.queue.payloads import BadPayload, check_job_id

WORKER_NAME_RE = re.compile(r"[A-Za-z0-9_.@:-]{1,128}")
WORKER_PREFIX = "worker:"
#: huey's revocation flag of a message: ``r:<task id>``.
REVOKED_PREFIX = "r:"
#: Attempts whose revocation flags housekeeping removes (the service allows far fewer).
MAX_ATTEMPT_FLAGS = 10

__all__ = ["WORKER_NAME_RE", "cancel_key", "job_keys", "preview_key",
           "progress_key", "result_key", "revocation_keys", "spec_key", "task_id",
           "worker_key"]


def _job_key(prefix: str, job_id: str) -> str:
    return f"{prefix}:{check_job_id(job_id)}"


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
    return WORKER_PREFIX + name


def job_keys(job_id: str) -> list[str]:
    """Every key a job may own (for cleaning up)."""
    return [k(job_id) for k in (spec_key, progress_key, preview_key, cancel_key, result_key)]


def task_id(job_id: str, attempt: int) -> str:
    """huey's id for the message of one attempt at a job."""
    return f"{job_id}.{attempt}"


def revocation_keys(job_id: str) -> list[str]:
    """huey's revocation flags for the attempts of a job no worker will ever take."""
    return [REVOKED_PREFIX + task_id(job_id, n) for n in range(1, MAX_ATTEMPT_FLAGS + 1)]
