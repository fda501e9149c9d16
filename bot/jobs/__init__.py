"""Jobs, on the bot's side of the queue (docs/architecture.md, "The life of a job").

``JobService`` (``service``) is what the handlers and delivery use: submit,
cancel, limits, queries.  Beneath it: ``table`` (the SQLite job table, the
source of truth, and ``JobState``), ``tracking`` (one pass over the store:
progress and results into the table, events out), ``watchdog`` (lost jobs,
retries, housekeeping) and ``watcher`` (the asyncio task that delivers events).
"""

from bot.jobs.errors import NotYourJob, QueueFull, UnknownJob, UserLimitReached
from bot.jobs.service import JobService, Submitted
from bot.jobs.table import Cancelling, Job, JobState

__all__ = ["Cancelling", "Job", "JobService", "JobState", "NotYourJob", "QueueFull", "Submitted",
           "UnknownJob", "UserLimitReached"]
