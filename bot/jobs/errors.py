"""Requests the job service refuses; each ``code`` has a text in ``bot.texts``."""

from __future__ import annotations

from engine.errors import LienzoError


class JobError(LienzoError):
    code = "job_error"


class UserLimitReached(JobError):
    code = "user_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(f"You already have {limit} pictures waiting; wait for one to finish.",
                         limit=limit)


class QueueFull(JobError):
    code = "queue_full"

    def __init__(self, cap: int) -> None:
        super().__init__("The painters are busy right now; please try again in a few minutes.",
                         cap=cap)


class NotYourJob(JobError):
    code = "not_your_job"


class UnknownJob(JobError):
    code = "unknown_job"
