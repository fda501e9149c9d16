"""Prometheus metrics of the bot process (served at ``/metrics``).

A registry of our own, so tests can build several bots in one process and a
scrape shows only Lienzo's figures plus the process collector.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.jobs = Gauge("lienzo_jobs", "Jobs in the job table, by state", ["state"],
                          registry=self.registry)
        self.queue_length = Gauge("lienzo_queue_length", "Jobs waiting in the queue",
                                  registry=self.registry)
        self.workers_alive = Gauge("lienzo_workers_alive", "Engine workers with a fresh heartbeat",
                                   registry=self.registry)
        self.oldest_queued = Gauge("lienzo_oldest_queued_seconds",
                                   "How long the oldest queued job has waited",
                                   registry=self.registry)
        self.job_seconds = Histogram(
            "lienzo_job_seconds", "Engine seconds per finished job", registry=self.registry,
            buckets=(5, 10, 20, 30, 60, 120, 300, 600))
        self.results = Counter("lienzo_results_total", "Outcomes delivered, by status",
                               ["status"], registry=self.registry)
        self.submitted = Counter("lienzo_jobs_submitted_total", "Jobs accepted",
                                 registry=self.registry)
        self.inline_queries = Counter("lienzo_inline_queries_total",
                                      "Inline queries answered (a person's artworks listed)",
                                      registry=self.registry)
        self.shares = Counter("lienzo_shares_total",
                              "Artworks sent into a chat through inline mode (inline feedback)",
                              registry=self.registry)
        self.gallery_opens = Counter("lienzo_gallery_opens_total",
                                     "/gallery opened in a private chat (its first page shown)",
                                     registry=self.registry)
        self.looks = Counter("lienzo_looks_total",
                             "Feed-forward looks (bot.looks): first looks shown, skipped "
                             "(busy) or failed, and instant paintings made", ["outcome"],
                             registry=self.registry)
        self.stars_received = Counter("lienzo_stars_received_total",
                                      "Telegram Stars received for packs of paintings",
                                      registry=self.registry)
        self.paintings_paid = Counter("lienzo_paintings_paid_total",
                                      "Paintings paid for with bought paintings (not free ones)",
                                      registry=self.registry)
        self.quota_refusals = Counter("lienzo_quota_refusals_total",
                                      "Pictures held: their person had no painting left",
                                      registry=self.registry)
        self.refunds = Counter("lienzo_star_refunds_total",
                               "Payments refunded (/refund, or Telegram's refunded_payment)",
                               registry=self.registry)
        self.paintings_returned = Counter("lienzo_paintings_returned_total",
                                          "Paintings given back: the job failed on our side "
                                          "or was cancelled before it started",
                                          registry=self.registry)
        self.telegram_errors = Counter("lienzo_telegram_errors_total",
                                       "Errors from the Telegram Bot API, by kind", ["kind"],
                                       registry=self.registry)

    def refresh(self, counts: dict[str, int], queued: int, workers: int,
                oldest_queued_s: float) -> None:
        for state, count in counts.items():
            self.jobs.labels(state).set(count)
        self.queue_length.set(queued)
        self.workers_alive.set(workers)
        self.oldest_queued.set(oldest_queued_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)
