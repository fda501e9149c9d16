"""Lienzo's benchmarks; figures and how to read them in docs/benchmarks.md.

Each script is a module, run from the repository root (``make bench`` runs the first)::

    .venv/bin/python -m bench.engine_speed --help      # engine: overhead, time to quality
    .venv/bin/python -m bench.gpu_speed --help         # engine on a GPU (bash bench/gpu.sh)
    .venv/bin/python -m bench.queue_throughput --help  # the job queue's own cost
    .venv/bin/python -m bench.bot_load --help          # the bot under a burst of users
    .venv/bin/python -m bench.chaos --help             # the bot, workers, Redis killed

``bench.bot_process`` is the bot process that ``bench.bot_load`` and ``bench.chaos``
start; ``bench.common`` holds what they share.
"""
