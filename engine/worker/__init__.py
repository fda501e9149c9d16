"""The engine worker (``lienzo worker``): ``loop`` takes jobs off the queue and keeps
the heartbeat, ``painting`` turns one job's spec into its result, ``command`` is
the command line.  See docs/architecture.md, "The life of a job"."""

from engine.worker.loop import Worker

__all__ = ["Worker"]
