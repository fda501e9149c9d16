"""Test pictures, generated (no files, no network): tiny JPEGs for jobs, shared by the
tests and the benchmarks (``bench/chaos.py``), and a smooth 'photo' and a busy
'painting' as arrays for the engine's tests.

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


def make_content(h: int = 36, w: int = 48, seed: int = 0) -> np.ndarray:
    """A smooth 'photo': gradients plus a bright disc."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx / w * 255, yy / h * 255, (xx + yy) / (w + h) * 255], axis=-1)
    disc = (yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (min(h, w) / 4) ** 2
    img[disc] = [250, 220, 40]
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def make_style(h: int = 48, w: int = 48, seed: int = 1) -> np.ndarray:
    """A busy 'painting': coloured diagonal strokes."""
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    stripes = np.sin((xx + yy) / 2.0)[..., None] * rng.uniform(60, 120, 3)
    return np.clip(128 + stripes + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
