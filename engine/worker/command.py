"""``lienzo worker``: its options and its start-up.  Building the parser imports
nothing heavy (Keras loads in ``Worker.start``), so ``lienzo --help`` stays instant.

That is also what lets ``--gpu`` work: CUDA reads ``CUDA_VISIBLE_DEVICES`` and JAX
its allocator variables once, when the backend starts, so ``main`` sets them
(``engine.config.backend_environment``) before anything imports Keras."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys

from engine import config
from engine.errors import InvalidParams
from engine.queue import POLL_INTERVAL_S, JobQueue, redact
from engine.worker.loop import PREVIEW_INTERVAL_S, WARMUP_SIZE, Worker

log = logging.getLogger("lienzo.worker")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default=None,
                        help="worker name in heartbeats (default: HOST-PID)")
    parser.add_argument("--queue", default=None, metavar="URL",
                        help="queue URL (default: $LIENZO_QUEUE_URL or the data dir's SQLite)")
    parser.add_argument("--warmup-size", type=int, default=WARMUP_SIZE, metavar="PX",
                        help="compile the step at this size before taking jobs (0: skip)")
    parser.add_argument("--poll", type=float, default=POLL_INTERVAL_S, metavar="SECONDS",
                        help="queue polling delay when idle (at most 1 s)")
    parser.add_argument("--preview-interval", type=float, default=PREVIEW_INTERVAL_S,
                        metavar="SECONDS",
                        help="write a preview JPEG at most this often")
    parser.add_argument("--gpu", type=_gpu, default=None, metavar="N",
                        help="use only GPU N as nvidia-smi -L numbers it (default: $LIENZO_GPU, "
                             "else the first visible GPU)")
    parser.add_argument("--precision", choices=config.PRECISIONS, default=None,
                        help="the convolutions' precision (default: $LIENZO_PRECISION, else "
                             "auto: bf16 on GPUs with bf16 tensor cores, fp32 elsewhere)")
    parser.add_argument("--parent", type=int, default=None, metavar="PID",
                        help="stop when process PID, which started this worker, dies (Linux)")
    parser.add_argument("-v", "--verbose", action="store_true")


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """SIGTERM when ``parent`` (the bot that started this worker) dies: Linux's
    ``PR_SET_PDEATHSIG``, so a killed bot leaves no orphan holding a GPU.  Set here,
    after exec: set by the bot between its fork and the exec, it ran Python in the
    forked child, where freeing the bot's objects once waited for ever on a thread
    the child does not have (a PyAV scaler's)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the line above: nobody left to serve
        raise SystemExit(f"lienzo worker: process {parent}, which started it, has gone")


def _gpu(text: str) -> int:
    try:
        return config.gpu_index("--gpu", text)
    except InvalidParams as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(args: argparse.Namespace) -> int:
    """Run one worker until SIGTERM/SIGINT.  Configuration errors raise LienzoError
    (the command line prints them as one line)."""
    if args.parent is not None:
        die_with_parent(args.parent)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    settings = config.load()  # a bad setting is a start-up error, not a per-job one
    if args.gpu is not None:
        settings = dataclasses.replace(settings, gpu=args.gpu)
    if args.precision is not None:
        settings = dataclasses.replace(settings, precision=args.precision)
    os.environ.update(config.backend_environment(settings))  # before Keras loads
    queue = JobQueue(args.queue or settings.queue_url)
    queue.ping()
    worker = Worker(queue, args.name, settings=settings, warmup_size=args.warmup_size,
                    poll_interval=args.poll, preview_interval=args.preview_interval)
    worker.install_signal_handlers()
    log.info("worker %s: queue %s", worker.name, redact(queue.url))
    try:
        return worker.run()
    finally:
        queue.close()
