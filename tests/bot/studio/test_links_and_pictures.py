"""The studio's signed picture links, its per-person limit and its mix formula."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

from bot.studio.guard import PeopleLimiter
from bot.studio.links import EXPIRY_STEP_S, PictureLinks
from bot.studio.pictures import Pair, blend

NOW = 1_800_000_000.0


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_a_link_opens_for_its_owner_until_it_expires():
    links = PictureLinks("1:token", ttl_s=600)
    url = links.url(111, "job1", "photo", now=NOW)
    assert urlsplit(url).path == "pictures/job1/photo.jpg"  # relative to the page
    query = query_of(url)
    expires = int(query["e"])
    assert NOW + 600 <= expires < NOW + 600 + EXPIRY_STEP_S and expires % EXPIRY_STEP_S == 0
    assert links.url(111, "job1", "photo", now=NOW + 1) == url  # the browser's cache hits
    assert links.owner("job1", "photo", query, now=expires - 1) == 111
    assert links.owner("job1", "photo", query, now=expires + 1) is None


@pytest.mark.parametrize("change", [
    {"u": "222"}, {"e": str(int(NOW) + 10**6)}, {"s": "0" * 64}, {"s": ""}, {"u": "x"},
    {"s": "ñ" * 64}])
def test_an_altered_link_opens_nothing(change):
    links = PictureLinks("1:token")
    query = query_of(links.url(111, "job1", "painting", now=NOW)) | change
    assert links.owner("job1", "painting", query, now=NOW) is None


def test_a_link_is_for_one_picture_of_one_job_and_one_bot():
    links = PictureLinks("1:token")
    query = query_of(links.url(111, "job1", "painting", now=NOW))
    assert links.owner("job2", "painting", query, now=NOW) is None
    assert links.owner("job1", "photo", query, now=NOW) is None
    assert links.owner("job1", "secrets", query, now=NOW) is None
    assert PictureLinks("2:other").owner("job1", "painting", query, now=NOW) is None


@pytest.mark.asyncio
async def test_each_person_has_their_own_bucket():
    limiter = PeopleLimiter(per_minute=5)
    assert [await limiter.allow(1) for _ in range(6)] == [True] * 5 + [False]
    assert await limiter.allow(2)  # another person is not held up


def test_the_mix_is_the_pages_formula():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (8, 6, 3), dtype=np.uint8)
    painting = rng.integers(0, 256, (8, 6, 3), dtype=np.uint8)
    pair = Pair(photo, painting)
    assert np.array_equal(blend(pair, 0), photo)
    assert np.array_equal(blend(pair, 100), painting)
    expected = np.rint(photo * 0.7 + painting.astype(np.float64) * 0.3)
    assert np.abs(blend(pair, 30).astype(int) - expected).max() <= 1
    assert np.array_equal(blend(pair, 150), painting)  # clamped
