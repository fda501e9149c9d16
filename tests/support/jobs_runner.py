"""A stand-in bot process for crash tests: the job service's watcher, nothing else.

    python -m tests.support.jobs_runner --db JOBS.DB --queue URL --out DELIVERIES.JSONL

Every progress and result handed to delivery is appended to ``--out`` as one
JSON line (flushed and fsynced before the callback returns, like a send that
succeeded).  The test kills this process with SIGKILL and starts it again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal

from bot.jobs import JobService
from engine.queue import JobQueue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--heartbeat-timeout", type=float, default=8.0)
    args = parser.parse_args()
    service = JobService(JobQueue(args.queue), args.db, heartbeat_timeout=args.heartbeat_timeout,
                         missing_grace=1.0, poll_interval=0.05, watchdog_interval=0.25)
    out = open(args.out, "a")  # noqa: SIM115 - for the life of the process

    def write(record: dict) -> None:
        out.write(json.dumps(dict(record, pid=os.getpid())) + "\n")
        out.flush()
        os.fsync(out.fileno())

    async def on_progress(job, progress, preview):
        write({"event": "progress", "job": job.id, "step": progress["step"],
               "attempt": progress["attempt"]})

    async def on_result(job, outcome):
        write({"event": "result", "job": job.id, "status": outcome.status,
               "code": outcome.error_code, "attempt": outcome.attempt})

    async def run():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        write({"event": "started"})
        await service.run(on_progress, on_result, stop)

    asyncio.run(run())


if __name__ == "__main__":
    main()
