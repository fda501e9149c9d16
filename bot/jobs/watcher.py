"""The watcher: an asyncio task that runs the tracking pass in a thread and hands
its events to delivery (docs/architecture.md, "The life of a job").

A result is delivered **exactly once**: ``delivered`` is written after the
``on_result`` callback returns; if it raises, delivery is retried with
back-off; a second result for the same job (a duplicate run) is dropped.  (A
crash between a successful send and that write would re-send once after
restart: nothing is ever lost, and that window is milliseconds wide.)  Every
terminal outcome - the painting, a failure with its code, or a cancellation -
reaches ``on_result`` once; the bot turns it into one answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable

from bot.jobs.table import Job, JobTable
from bot.jobs.tracking import Event, ProgressEvent, ResultEvent, Tracker
from engine.queue import JobResult, ProgressRecord

log = logging.getLogger("lienzo.jobs")

POLL_INTERVAL_S = 0.25  # a pass four times a second: progress and results feel live

ProgressCallback = Callable[[Job, ProgressRecord, "bytes | None"], "Awaitable[None] | None"]
ResultCallback = Callable[[Job, JobResult], "Awaitable[None] | None"]


class Watcher:
    def __init__(self, table: JobTable, tracker: Tracker,
                 poll_interval: float = POLL_INTERVAL_S) -> None:
        self.table = table
        self.tracker = tracker
        self.poll_interval = poll_interval
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None

    def start(self, on_progress: ProgressCallback | None, on_result: ResultCallback
              ) -> asyncio.Task[None]:
        """Start watching on the running loop (the bot calls this once it is up)."""
        if self._task is not None and not self._task.done():
            raise RuntimeError("the watcher is already running")
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self.run(on_progress, on_result, self._stop), name="lienzo-jobs-watcher")
        return self._task

    async def stop(self) -> None:
        """Stop watching, letting deliveries in flight finish."""
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self, on_progress: ProgressCallback | None, on_result: ResultCallback,
                  stop: asyncio.Event | None = None) -> None:
        """Poll and dispatch until ``stop`` is set."""
        stop = stop or asyncio.Event()
        dispatcher = _Dispatcher(self.table, on_progress, on_result)
        try:
            while not stop.is_set():
                try:
                    events = await asyncio.to_thread(self.tracker.poll, dispatcher.busy())
                except Exception:
                    log.exception("job watcher pass failed")
                    events = []
                for event in events:
                    dispatcher.dispatch(event)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_interval)
        finally:
            await dispatcher.drain()


async def _call(callback: Callable[..., Awaitable[None] | None], *args: object) -> None:
    value = callback(*args)
    if inspect.isawaitable(value):
        await value


class _Dispatcher:
    """Runs delivery callbacks as tasks: per job, progress in order and at most one in
    flight (the newest waiting one replaces older ones), and the result after the
    job's last progress call, once."""

    def __init__(self, table: JobTable, on_progress: ProgressCallback | None,
                 on_result: ResultCallback) -> None:
        self.table = table
        self.on_progress = on_progress
        self.on_result = on_result
        self.progress_tasks: dict[str, asyncio.Task[None]] = {}
        self.waiting: dict[str, ProgressEvent] = {}
        self.delivering: dict[str, asyncio.Task[None]] = {}

    def busy(self) -> set[str]:
        return set(self.delivering)

    def dispatch(self, event: Event) -> None:
        job_id = event.job.id
        loop = asyncio.get_running_loop()
        if isinstance(event, ResultEvent):
            if job_id in self.delivering:
                return
            self.waiting.pop(job_id, None)
            self.delivering[job_id] = loop.create_task(self._deliver(event))
            return
        if self.on_progress is None or job_id in self.delivering:
            return
        task = self.progress_tasks.get(job_id)
        if task is not None and not task.done():
            self.waiting[job_id] = event
            return
        self.progress_tasks[job_id] = loop.create_task(self._progress(event))

    async def _progress(self, event: ProgressEvent | None) -> None:
        assert event is not None and self.on_progress is not None
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
                await asyncio.to_thread(self.table.delivery_failed, job_id)
                return
            # Sent: from here on the job must never be handed to on_result again, so
            # keep it "in flight" until the table says delivered.
            while True:
                try:
                    await asyncio.to_thread(self.table.mark_delivered, job_id)
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
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
