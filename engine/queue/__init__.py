"""The queue contract between the bot and the engine workers (docs/architecture.md,
"The queue contract").

``JobQueue`` (``client``) is the one door: the bot and the workers call its
methods and nothing else touches the store.  Beneath it: ``keys`` (the key
names), ``payloads`` (what is stored under them, validated both ways) and
``store`` (huey from ``LIENZO_QUEUE_URL``, its key-value store as bytes).
This package imports no keras: the bot imports it.
"""

from engine.queue.client import (
    POLL_INTERVAL_S,
    PRINT_PRIORITY,
    PROGRESS_INTERVAL_S,
    RETRY_PRIORITY,
    JobQueue,
    Report,
    Taken,
    priority_of,
)
from engine.queue.payloads import (
    BadPayload,
    Heartbeat,
    JobResult,
    JobSpec,
    ProgressRecord,
    ProgressState,
    ResultStatus,
    StyleRef,
    WorkerState,
)
from engine.queue.store import QueueConfigError, QueueUnavailable, redact

__all__ = [
    "POLL_INTERVAL_S", "PRINT_PRIORITY", "PROGRESS_INTERVAL_S", "RETRY_PRIORITY", "BadPayload",
    "Heartbeat",
    "JobQueue", "JobResult", "JobSpec", "ProgressRecord", "ProgressState",
    "QueueConfigError", "QueueUnavailable", "Report", "ResultStatus", "StyleRef", "Taken",
    "WorkerState", "priority_of", "redact",
]
