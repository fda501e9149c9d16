"""Tiny test pictures, shared by the tests (``tests/conftest.py``) and the benchmarks
(``bench/chaos.py``).

They live here rather than in ``tests/conftest.py`` so that a benchmark can use them
without importing pytest's fixture module (and everything it pulls in).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

TINY = 64  # px: every test image and job is TINY×TINY, so a worker compiles once


def jpeg(image: np.ndarray, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, fmt)
    return buf.getvalue()


def tiny_image(seed: int, size: int = TINY) -> np.ndarray:
    """A smooth random picture (gradients plus blobs): compresses like a photo."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(-1, 1, 3)
        channels.append(np.sin(3 * a * xx + 4 * b * yy + c) * 0.5 + 0.5)
    image = np.stack(channels, -1) * 255 + rng.normal(0, 8, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)
