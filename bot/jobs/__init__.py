"""The job service: the bot's side of the queue (docs/architecture.md)."""

from bot.jobs.service import *  # noqa: F403  (temporary during the split)
from bot.jobs.service import JobService, Job, Outcome, Submitted  # noqa: F401
from bot.jobs.table import ACTIVE, FINISHED, JobState  # noqa: F401
