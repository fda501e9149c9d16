"""Inline mode's answer time with a full store (issue #11): 1,000 people × 100
artworks each, one person's ``@bot`` query answered - the store read and the 50
results built and serialised as answerInlineQuery sends them - p50/p95 over
many queries, with and without a search; and the store's size per artwork.

    .venv/bin/python -m bench.inline_speed [--users 1000] [--per-user 100] [--queries 2000]

The network round trip to Telegram is not in it (it is the same for any bot);
the goal (docs/benchmarks.md) is p95 ≤ 50 ms on the development machine.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from bench.common import machine
from bot.handlers.inline import PAGE, Inline
from bot.stores.artworks import Artwork, Artworks
from engine import config
from engine.catalogue import styles


def fill(store: Artworks, users: int, per_user: int, catalog: dict) -> None:
    ids = sorted(catalog)
    now = time.time()
    rng = random.Random(7)
    for user in range(users):
        for n in range(per_user):
            chosen = rng.sample(ids, rng.choice((1, 1, 1, 2)))
            names = [name for i in chosen for name in catalog[i].names]
            # A real file id is ~70 characters; the job id 32.
            store.add(Artwork(1_000_000 + user, secrets.token_hex(16),
                              "AgACAgQAAxkBAAI" + secrets.token_urlsafe(42),
                              "document" if n % 20 == 0 else "photo",
                              tuple(chosen), now - n * 60), names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--per-user", type=int, default=100)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    settings = config.load()
    catalog = styles.load_catalog(settings.styles_dir, settings.style_cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "artworks.db"
        store = Artworks(path)
        t0 = time.perf_counter()
        fill(store, args.users, args.per_user, catalog)
        fill_s = time.perf_counter() - t0
        rows = args.users * args.per_user
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        services = SimpleNamespace(catalog=catalog)
        inline = Inline(services)  # type: ignore[arg-type]
        rng = random.Random(11)
        searches = ["", "", "", "starry", "noche", "wave", "grito"]
        timings: dict[str, list[float]] = {"all": [], "search": []}
        for _ in range(args.queries):
            user = 1_000_000 + rng.randrange(args.users)
            search = rng.choice(searches)
            t = time.perf_counter()
            found = store.of_user(user, search, 0, PAGE + 1)
            results = [inline._result("es", a, "LienzoBot").to_dict() for a in found[:PAGE]]
            json.dumps(results)
            timings["search" if search else "all"].append((time.perf_counter() - t) * 1000)
        store.close()
    report = {
        "machine": machine(), "users": args.users, "per_user": args.per_user, "rows": rows,
        "fill_s": round(fill_s, 1), "bytes_per_artwork": round(size / rows),
        **{f"{kind}_ms": {"p50": round(statistics.median(v), 2),
                          "p95": round(statistics.quantiles(v, n=20)[18], 2), "n": len(v)}
           for kind, v in timings.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
